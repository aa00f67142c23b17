"""The AWS endpoint's traces: a producer call outside any trace starts one, with what it sent, and links its ids."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator

import boto3
import pytest
from localrun.clock import Clock
from localrun.instance import free_port
from localrun.journal import Journal
from localrun.model import Function, Topology
from localrun.pool import Instance
from localrun.rewrite import Request
from localrun.runner import Runner


def _no_functions(fn: Function) -> Instance:
    raise LookupError(fn.name)


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    runner = Runner(Topology(stacks=()), _no_functions, clock=Clock(), journal=Journal(io.StringIO()), port=free_port())
    runner.start()
    yield runner
    runner.stop()


def test_a_producer_call_without_a_trace_starts_one_with_what_it_sent_and_links_its_message(runner: Runner) -> None:
    sqs = boto3.client(
        "sqs", endpoint_url=runner.endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    url = sqs.create_queue(QueueName="traced")["QueueUrl"]
    # WHEN a message is sent without an X-Amzn-Trace-Id, twice
    sent = [sqs.send_message(QueueUrl=url, MessageBody=f"body-{i}")["MessageId"] for i in range(2)]
    # (recorded once the answer is written: a consumer waits for the link, as here)
    linked = [runner.traces.linked_wait([m], timeout_s=5.0) for m in sent]
    # THEN each call is a hop of a trace of its own, holding the JSON the caller sent
    hops = [e for e in runner.journal.entries if e.get("action") == "SendMessage"]
    assert len(hops) == 2
    traces = [str(h["corr"]) for h in hops]
    assert all(re.fullmatch(r"[0-9a-f]{24}", t) for t in traces) and traces[0] != traces[1]
    [hop] = [h for h in runner.traces.hops(traces[0]) if h.kind == "call"]
    assert json.loads(str(hop.fields["input"])) == {"QueueUrl": url, "MessageBody": "body-0"}
    # AND the message ids AWS handed back lead to those traces (a consumer continues them)
    assert linked == traces


def test_a_producer_calls_hop_can_wait_for_its_answer_and_consumers_wait_for_it(runner: Runner) -> None:
    sqs = boto3.client(
        "sqs", endpoint_url=runner.endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    url = sqs.create_queue(QueueName="deferred")["QueueUrl"]
    body = json.dumps({"QueueUrl": url, "MessageBody": "later"}).encode()
    headers = [
        ("Host", runner.endpoint.split("//")[1]),
        ("X-Amz-Target", "AmazonSQS.SendMessage"),
        ("Content-Type", "application/x-amz-json-1.0"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=t/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x",
        ),
    ]
    after: list[Callable[[], None]] = []
    # WHEN the endpoint answers a SendMessage, leaving its bookkeeping until after the answer
    assert runner.gateway is not None
    status, _, answer = runner.gateway.dispatch(Request("POST", "/", headers, body), after)
    message_id = json.loads(answer)["MessageId"]
    # THEN the message was sent, but not linked to a trace yet: a consumer looking for its trace waits for it
    assert status == 200 and len(after) == 1
    assert runner.traces.linked_wait([message_id], timeout_s=0.2) is None
    # AND once the bookkeeping has run, the link is there, to a trace whose hop holds what was sent
    after[0]()
    trace = runner.traces.linked_wait([message_id], timeout_s=0.2)
    assert trace is not None
    [hop] = runner.traces.hops(trace)
    assert hop.fields["input"] == body.decode()
