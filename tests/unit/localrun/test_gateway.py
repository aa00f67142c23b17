"""The AWS endpoint's traces: a producer call outside any trace starts one, with what it sent, and links its ids."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import boto3
import pytest
from localrun.clock import Clock
from localrun.instance import free_port
from localrun.journal import Journal
from localrun.model import Function, Topology
from localrun.pool import Instance
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
    # THEN each call is a hop of a trace of its own, holding the JSON the caller sent
    hops = [e for e in runner.journal.entries if e.get("action") == "SendMessage"]
    assert len(hops) == 2
    traces = [str(h["corr"]) for h in hops]
    assert all(re.fullmatch(r"[0-9a-f]{24}", t) for t in traces) and traces[0] != traces[1]
    [hop] = [h for h in runner.traces.hops(traces[0]) if h.kind == "call"]
    assert json.loads(str(hop.fields["input"])) == {"QueueUrl": url, "MessageBody": "body-0"}
    # AND the message ids AWS handed back lead to those traces (a consumer continues them)
    assert [runner.traces.linked([m]) for m in sent] == traces
