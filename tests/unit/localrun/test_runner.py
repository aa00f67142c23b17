"""The runner's glue end to end, with in-process fake functions instead of RIE (no Docker, loopback only)."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from localrun.assembly import read_assembly
from localrun.clock import Clock
from localrun.instance import free_port
from localrun.journal import Journal
from localrun.model import Function
from localrun.runner import Runner
from localrun_testing import FakeFleet, default_behaviour, drain, wait_for

ASSEMBLY = Path(__file__).parent / "fixtures" / "assembly"


def behaviour(fn: Function, event: Any) -> Any:
    if fn.logical_id.startswith("Consumer"):  # an SQS consumer reporting partial batch failures
        failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if "fail" in r["body"]]
        return {"batchItemFailures": failures}
    if fn.logical_id.startswith("ApiFn") and event.get("path") == "/product/malformed":
        return {"statusCode": 200, "unexpected": True}
    if fn.logical_id.startswith("ApiFn") and event.get("path") == "/product/slow":
        time.sleep(0.6)
    if fn.logical_id.startswith("ApiFn") and event.get("path") == "/product/huge":
        return {"statusCode": 200, "body": "x" * (7 * 1024 * 1024)}
    return default_behaviour(fn, event)


class Env:
    def __init__(self, runner: Runner, fleet: FakeFleet, endpoint: str, api: str) -> None:
        self.runner, self.fleet, self.endpoint, self.api = runner, fleet, endpoint, api

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",  # type: ignore[call-overload]
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )

    def fn(self, logical_prefix: str) -> Function:
        return next(f for f in self.runner.topology.functions if f.logical_id.startswith(logical_prefix))

    def queue_url(self, logical_prefix: str) -> str:
        q = next(q for q in self.runner.topology.queues if q.logical_id.startswith(logical_prefix))
        return f"{self.endpoint}/000000000000/{q.name}"

    def calls(self, logical_prefix: str) -> list[Any]:
        return self.fleet.calls.setdefault(self.fn(logical_prefix).name, [])


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    port, api_port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{port}"
    topology = read_assembly(ASSEMBLY, endpoint=endpoint)
    fleet = FakeFleet(behaviour)
    runner = Runner(topology, fleet.start, clock=Clock(0.01), journal=Journal(), port=port, api_port=api_port)
    runner.start()
    yield Env(runner, fleet, endpoint, f"http://127.0.0.1:{api_port}")
    runner.stop()
    assert all(i.stopped for i in fleet.instances)


def watch_bus(env: Env, bus: str, pattern: dict[str, Any], name: str) -> str:
    sqs, events = env.client("sqs"), env.client("events")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule=name, EventBusName=bus, Targets=[{"Id": "1", "Arn": f"arn:aws:sqs:us-east-1:000000000000:{name}"}]
    )
    return str(url)


def test_physical_names_carry_stack_and_logical_id(env: Env) -> None:
    # GIVEN the provisioned topology WHEN listing queues by the CloudFormation-style prefix
    urls = env.client("sqs").list_queues(QueueNamePrefix="ErrorsStack-SourceDlq")["QueueUrls"]
    # THEN the DLQ is found
    assert len(urls) == 1


def test_rule_to_lambda_success_goes_to_the_source_bus(env: Env) -> None:
    # GIVEN a runtime catch-all rule on the source bus for Lambda results
    url = watch_bus(env, "source_bus", {"source": ["lambda"]}, "watch-success")
    # WHEN an event with source backtosource is put on the bus
    env.client("events").put_events(
        Entries=[
            {
                "Source": "backtosource",
                "DetailType": "Demo",
                "Detail": json.dumps({"message": "hi"}),
                "EventBusName": "source_bus",
            }
        ]
    )
    # THEN the function's on-success destination puts the AWS result record on the bus
    [message] = drain(env.client("sqs"), url, 1, timeout=15.0)
    event = json.loads(message["Body"])
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert list(event)[:5] == ["version", "id", "detail-type", "source", "account"]
    assert event["account"] == "000000000000"
    detail = event["detail"]
    assert detail["requestContext"]["condition"] == "Success"
    assert detail["requestContext"]["approximateInvokeCount"] == 1
    assert detail["requestPayload"]["source"] == "backtosource"
    assert detail["requestPayload"]["account"] == "000000000000"
    assert detail["responsePayload"] == {"statusCode": 200, "reponse": "Hello Lambda"}


def test_async_failure_retries_then_on_failure_destination(env: Env) -> None:
    # GIVEN the backtosource function (1 retry configured) WHEN an event makes it fail
    before = len(env.calls("backtosourcelambda"))
    env.client("events").put_events(
        Entries=[
            {
                "Source": "backtosource",
                "DetailType": "Demo",
                "Detail": json.dumps({"pass": False}),
                "EventBusName": "source_bus",
            }
        ]
    )
    # THEN after 2 attempts the on-failure queue holds the RetriesExhausted record
    [message] = drain(env.client("sqs"), env.queue_url("ServiceDlq"), 1, timeout=15.0)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "pass was false"
    assert record["requestPayload"]["detail"] == {"pass": False}
    assert len(env.calls("backtosourcelambda")) - before == 2


def test_lambda_event_invoke_failure_lands_in_the_function_dlq(env: Env) -> None:
    # GIVEN AsyncFn with a Lambda DLQ and 2 retries WHEN invoked with InvocationType Event and a failing payload
    fn = env.fn("AsyncFn")
    resp = env.client("lambda").invoke(FunctionName=fn.name, InvocationType="Event", Payload=b'{"pass": false}')
    assert resp["StatusCode"] == 202
    # THEN the DLQ holds the original event with Lambda's error attributes after 3 attempts
    [message] = drain(env.client("sqs"), env.queue_url("LambdaDlq"), 1, timeout=15.0)
    assert json.loads(message["Body"]) == {"pass": False}
    attributes = message["MessageAttributes"]
    assert attributes["ErrorMessage"]["StringValue"] == "pass was false"
    assert attributes["RequestID"]["StringValue"] == resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert attributes["ErrorCode"]["DataType"] == "Number"
    assert sum(1 for c in env.calls("AsyncFn") if c == {"pass": False}) == 3


def test_sync_invoke_reports_function_errors(env: Env) -> None:
    # GIVEN a function WHEN invoked synchronously with a failing payload
    fn = env.fn("AsyncFn")
    resp = env.client("lambda").invoke(FunctionName=fn.name, Payload=b'{"pass": false, "sync": 1}')
    # THEN the error comes back as AWS reports it
    assert resp["FunctionError"] == "Unhandled"
    assert json.loads(resp["Payload"].read())["errorMessage"] == "pass was false"
    names = [f["FunctionName"] for f in env.client("lambda").list_functions()["Functions"]]
    assert fn.name in names


def test_sqs_event_source_partial_failures_reach_the_dlq(env: Env) -> None:
    # GIVEN the consumer's queue (maxReceiveCount 3, ReportBatchItemFailures) WHEN two good and one bad message arrive
    sqs = env.client("sqs")
    for body in ("good-1", "good-2", "fail-1"):
        sqs.send_message(QueueUrl=env.queue_url("SourceQueue"), MessageBody=body)
    # THEN only the bad one ends in the DLQ, after 3 receives
    [dead] = drain(sqs, env.queue_url("SourceDlq"), 1, timeout=30)
    assert dead["Body"] == "fail-1"
    bodies = [r["body"] for c in env.calls("Consumer") for r in c["Records"]]
    assert bodies.count("good-1") == 1 and bodies.count("good-2") == 1
    assert bodies.count("fail-1") == 3
    record = env.calls("Consumer")[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(
        env.queue_url("SourceQueue").rsplit("/", 1)[1]
    )


def test_s3_upload_notifies_the_function_with_the_suffix_filter(env: Env) -> None:
    # GIVEN the bucket's notification to AsyncFn for *.csv
    bucket = env.runner.topology.buckets[0].name
    s3 = env.client("s3")
    # WHEN a csv and a txt are uploaded
    s3.put_object(Bucket=bucket, Key="data/file.txt", Body=b"x")
    s3.put_object(Bucket=bucket, Key="data/file.csv", Body=b"a,b\n1,2\n")

    # THEN the function sees one S3 event, for the csv
    def s3_calls() -> list[Any]:
        return [
            c
            for c in env.calls("AsyncFn")
            if isinstance(c, dict) and c.get("Records", [{}])[0].get("eventSource") == "aws:s3"
        ]

    [event] = wait_for(s3_calls)
    assert event["Records"][0]["s3"]["object"]["key"] == "data/file.csv"
    time.sleep(0.5)
    assert len(s3_calls()) == 1


def test_sns_publish_invokes_the_subscribed_function(env: Env) -> None:
    # GIVEN the topic's lambda subscription WHEN a message is published
    topic = env.runner.topology.topics[0].arn
    env.client("sns").publish(TopicArn=topic, Message="hello sns", Subject="s")

    # THEN the function gets the SNS event shape
    def sns_calls() -> list[Any]:
        return [
            c
            for c in env.calls("AsyncFn")
            if isinstance(c, dict) and c.get("Records", [{}])[0].get("EventSource") == "aws:sns"
        ]

    [event] = wait_for(sns_calls)
    assert event["Records"][0]["Sns"]["Message"] == "hello sns"
    assert event["Records"][0]["Sns"]["TopicArn"] == topic


def test_runtime_rule_with_a_lambda_target_is_honoured(env: Env) -> None:
    # GIVEN a rule created at runtime with a Lambda target
    events, fn = env.client("events"), env.fn("AsyncFn")
    events.put_rule(Name="runtime-rule", EventPattern=json.dumps({"source": ["runtime.test"]}))
    events.put_targets(Rule="runtime-rule", Targets=[{"Id": "fn", "Arn": fn.arn}])
    # WHEN a matching event is put on the default bus
    events.put_events(Entries=[{"Source": "runtime.test", "DetailType": "x", "Detail": "{}"}])
    # THEN the function runs, and the target still reads as the function
    wait_for(lambda: [c for c in env.calls("AsyncFn") if isinstance(c, dict) and c.get("source") == "runtime.test"])
    targets = events.list_targets_by_rule(Rule="runtime-rule")["Targets"]
    assert targets[0]["Arn"] == fn.arn


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_rest_api_routes_like_api_gateway(env: Env) -> None:
    # GIVEN the REST API WHEN calling routes, unknown paths, the stage prefix and a malformed response
    status, body = http("GET", f"{env.api}/product/42?x=1")
    assert (status, body["resource"], body["pathParameters"]) == (200, "/product/{id}", {"id": "42"})
    status, body = http("GET", f"{env.api}/files/a/b.txt")
    assert (status, body["pathParameters"]) == (200, {"proxy": "a/b.txt"})
    assert http("GET", f"{env.api}/prod/product")[0] == 200
    assert http("GET", f"{env.api}/nope") == (403, {"message": "Missing Authentication Token"})
    assert http("DELETE", f"{env.api}/product")[0] == 403
    assert http("GET", f"{env.api}/product/malformed") == (502, {"message": "Internal server error"})
    proxy_event = next(c for c in env.calls("ApiFn") if c.get("path") == "/product/42")
    assert proxy_event["queryStringParameters"] == {"x": "1"}
    assert proxy_event["requestContext"]["stage"] == "prod"
    assert proxy_event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"


def test_fault_injection_loses_nothing(env: Env) -> None:
    # GIVEN fault injection on the SQS consumer, switched on through the control endpoint
    chaos = {"fail_rate": 0.3, "kill_rate": 0.1, "only": env.fn("Consumer").name, "seed": 7}
    req = urllib.request.Request(f"{env.endpoint}/_localrun/chaos", data=json.dumps(chaos).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 - loopback
        assert json.loads(resp.read())["fail_rate"] == 0.3
    sqs = env.client("sqs")
    bodies = {f"chaos-{i}" for i in range(40)}
    try:
        # WHEN 40 messages go through the queue
        for body in sorted(bodies):
            sqs.send_message(QueueUrl=env.queue_url("SourceQueue"), MessageBody=body)

        # THEN every message was either processed successfully or moved to the DLQ: nothing is lost
        def settled() -> bool:
            attrs = sqs.get_queue_attributes(QueueUrl=env.queue_url("SourceQueue"), AttributeNames=["All"])
            a = attrs["Attributes"]
            return bool(a["ApproximateNumberOfMessages"] == "0" and a["ApproximateNumberOfMessagesNotVisible"] == "0")

        wait_for(settled, timeout=60)
    finally:
        off = json.dumps({"fail_rate": 0, "kill_rate": 0}).encode()
        urllib.request.urlopen(urllib.request.Request(f"{env.endpoint}/_localrun/chaos", data=off, method="POST"))  # noqa: S310
    dead = {m["Body"] for m in drain(sqs, env.queue_url("SourceDlq"), 40, timeout=3)}
    seen = {r["body"] for c in env.calls("Consumer") for r in c["Records"]}
    assert bodies <= seen | dead
    assert any(e["kind"] == "chaos" and "killing" in e["text"] for e in env.runner.journal.entries)


def test_rest_api_times_out_like_api_gateway(env: Env) -> None:
    # GIVEN an integration timeout shorter than the function's run (29 s on AWS, shortened here)
    env.runner.rest.integration_timeout_s = 0.3
    try:
        # WHEN the function takes longer THEN API Gateway's 504
        assert http("GET", f"{env.api}/product/slow") == (504, {"message": "Endpoint request timed out"})
    finally:
        env.runner.rest.integration_timeout_s = 29.0


def test_max_event_age_set_at_runtime_expires_retries(env: Env) -> None:
    # GIVEN backtosource's async config changed through the Lambda API: 60 s max age (0.6 s at this clock)
    fn, lam = env.fn("backtosourcelambda"), env.client("lambda")
    lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumEventAgeInSeconds=60, MaximumRetryAttempts=2)
    try:
        # WHEN an invocation fails and its retry would start after the max age
        lam.invoke(FunctionName=fn.name, InvocationType="Event", Payload=b'{"pass": false, "age": 1}')
        # THEN the on-failure destination gets an EventAgeExceeded record after one attempt
        [message] = drain(env.client("sqs"), env.queue_url("ServiceDlq"), 1, timeout=15.0)
        record = json.loads(message["Body"])
        assert record["requestContext"]["condition"] == "EventAgeExceeded"
        assert record["requestContext"]["approximateInvokeCount"] == 1
    finally:
        lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumEventAgeInSeconds=300, MaximumRetryAttempts=1)


def test_shortcuts_find_resources_by_name_part(env: Env) -> None:
    from localrun.aws import EndpointClients
    from localrun.shortcuts import ShortcutError, Shortcuts, pick

    # GIVEN the running topology WHEN shortcuts name resources by a part of their physical name
    sc = Shortcuts(EndpointClients(env.endpoint))
    sent = sc.send("SourceDlq", "by-shortcut")
    assert sent["MessageId"]
    [got] = sc.receive("SourceDlq", 1)
    assert got["body"] == "by-shortcut"
    assert sc.invoke("ApiFn", b'{"x": 1}', False)["StatusCode"] == 200
    # THEN ambiguous or unknown parts are clear errors
    with pytest.raises(ShortcutError, match="match"):
        pick("queue", sc.queues(), "Dlq")
    with pytest.raises(ShortcutError, match="0 queues"):
        pick("queue", sc.queues(), "nope")


def raw_request(port: int, head: str, body: bytes = b"") -> tuple[float, bytes]:
    """Send a hand-written request; return how long the answer took and its status line."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + body)
        answer = sock.recv(200)
    return time.monotonic() - started, answer.split(b"\r\n", 1)[0]


@pytest.mark.parametrize(
    "headers",
    [
        "Content-Length: -5\n",
        "Content-Length: abc\n",
        "Content-Length: 5\nContent-Length: 6\n",
        "Content-Length: 3\nTransfer-Encoding: chunked\n",
    ],
)
def test_a_bad_content_length_is_answered_at_once(env: Env, headers: str) -> None:
    # GIVEN a request whose body framing cannot be trusted, to the REST API and to the AWS endpoint
    for port in (env.runner.api_port, env.runner.port):
        # WHEN it is sent (and the client then waits)
        took, status = raw_request(port, f"POST /product HTTP/1.1\nHost: x\n{headers}\n")
        # THEN it is refused with 400 straight away, not left hanging
        assert status == b"HTTP/1.1 400 Bad Request", (port, headers)
        assert took < 2.0


def test_a_body_over_api_gateways_10_mb_is_refused_from_its_header(env: Env) -> None:
    took, status = raw_request(env.runner.api_port, "POST /product HTTP/1.1\nHost: x\nContent-Length: 10485761\n\n")
    assert status.startswith(b"HTTP/1.1 413") and took < 2.0
    calls = len(env.calls("ApiFn"))
    # and a chunked one too, once it passes the limit
    chunk = b"%x\r\n" % (1024 * 1024) + b"y" * (1024 * 1024) + b"\r\n"
    _, status = raw_request(
        env.runner.api_port, "POST /product HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n", chunk * 11
    )
    assert status.startswith(b"HTTP/1.1 413")
    assert len(env.calls("ApiFn")) == calls  # the function never ran


def test_an_event_over_lambdas_6_mb_is_refused_and_so_is_such_a_response(env: Env) -> None:
    calls = len(env.calls("ApiFn"))
    # GIVEN a 7 MB body: under API Gateway's 10 MB, over Lambda's 6 MB synchronous payload
    status, body = http("POST", f"{env.api}/product", b"z" * (7 * 1024 * 1024))
    # THEN 413, and the function never ran
    assert (status, body) == (413, {"message": "Request Too Long"})
    assert len(env.calls("ApiFn")) == calls
    # AND a function answering more than 6 MB fails the integration, as Function.ResponseSizeTooLarge does
    assert http("GET", f"{env.api}/product/huge") == (502, {"message": "Internal server error"})
    # AND the Lambda API refuses such a payload with AWS's error
    with pytest.raises(ClientError) as excinfo:
        env.client("lambda").invoke(FunctionName=env.fn("ApiFn").name, Payload=b'"' + b"a" * (6 * 1024 * 1024) + b'"')
    assert excinfo.value.response["Error"]["Code"] == "RequestEntityTooLargeException"

    # AND an Event invocation over Lambda's asynchronous 1 MB, which is never queued
    def padded(size: int) -> bytes:  # a JSON object of ``size`` bytes
        return b'{"pad": "' + b"a" * (size - 11) + b'"}'

    def queued() -> int:
        return sum(1 for entry in env.runner.journal.entries if "queued via Invoke (Event)" in entry["text"])

    before = queued()
    with pytest.raises(ClientError) as excinfo:
        env.client("lambda").invoke(
            FunctionName=env.fn("ApiFn").name, InvocationType="Event", Payload=padded(1024 * 1024 + 1)
        )
    assert excinfo.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert "1048576 bytes" in excinfo.value.response["Error"]["Message"]
    assert queued() == before
    # AND one at the limit is queued
    payload = padded(1024 * 1024)
    assert (
        env.client("lambda").invoke(FunctionName=env.fn("ApiFn").name, InvocationType="Event", Payload=payload)[
            "StatusCode"
        ]
        == 202
    )
    assert queued() == before + 1


def test_the_wait_for_a_free_instance_is_bounded_by_the_integration_timeout(env: Env) -> None:
    # GIVEN every instance of the API function busy
    pool = env.runner.pools[env.fn("ApiFn").name]
    held = [pool.acquire() for _ in range(pool.max_size)]
    env.runner.rest.integration_timeout_s = 0.5
    try:
        # WHEN a request arrives THEN it is answered as an integration timeout once the wait is over
        started = time.monotonic()
        assert http("GET", f"{env.api}/product/1") == (504, {"message": "Endpoint request timed out"})
        assert 0.4 < time.monotonic() - started < 3.0
    finally:
        env.runner.rest.integration_timeout_s = 29.0
        for inst in held:
            pool.release(inst)
    # AND with an instance free again the API answers
    assert http("GET", f"{env.api}/product/1")[0] == 200


def test_a_poison_message_on_a_shadow_queue_is_dead_lettered_with_a_log_line(env: Env) -> None:
    # GIVEN a message on AsyncFn's shadow queue that the runner cannot turn into an event, then a good one
    sqs = env.client("sqs")
    fn = env.fn("AsyncFn")
    shadow = sqs.get_queue_url(QueueName=f"localrun-shadow-{fn.name}"[:80])["QueueUrl"]
    sqs.send_message(QueueUrl=shadow, MessageBody=json.dumps({"Records": ["not a record"]}))
    # WHEN the poller meets it THEN after a few tries it is moved to the runner's dead-letter queue, with a log line
    dlq = wait_for(lambda: _queue_url(sqs, "localrun-dead-letters"), timeout=20)
    [dead] = drain(sqs, dlq, 1, timeout=20)
    assert json.loads(dead["Body"]) == {"Records": ["not a record"]}
    wait_for(lambda: any(e["kind"] == "dead-letter" and fn.name in e["text"] for e in env.runner.journal.entries))
    # AND the shadow queue is empty: it is not redelivered forever
    attrs = sqs.get_queue_attributes(QueueUrl=shadow, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def _queue_url(sqs: Any, name: str) -> str | None:
    try:
        return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist:
        return None


# -- the Cognito authorizer on the REST API -----------------------------------------------------------------------
def call(method: str, url: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    req = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def sign(claims: dict[str, Any], key: Any, kid: str = "dummy") -> str:
    import jwt

    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def moto_pool_key() -> Any:
    """The private key moto signs every pool's tokens with (it ships in moto), to make tokens moto would make."""
    import jwt
    from moto.utilities.utils import load_resource

    return jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key


def test_cognito_methods_take_the_pools_id_tokens_and_pass_their_claims(env: Env) -> None:
    import jwt
    from localrun.aws import EndpointClients
    from localrun.shortcuts import Shortcuts

    # GIVEN a user of the topology's pool, in admins
    token = Shortcuts(EndpointClients(env.endpoint)).user("ann", "ErrorsStack-Users", True, None, "Local-Passw0rd!")
    # WHEN calling the guarded route without, then with the ID token
    assert call("GET", f"{env.api}/me") == (401, {"message": "Unauthorized"})
    status, _ = call("GET", f"{env.api}/me", token)
    # THEN the function sees the token's claims, as strings, in the request context
    assert status == 200
    event = next(c for c in env.calls("ApiFn") if c.get("path") == "/me")
    claims = event["requestContext"]["authorizer"]["claims"]
    assert (claims["cognito:username"], claims["cognito:groups"], claims["token_use"]) == ("ann", "admins", "id")
    assert (
        claims["exp"].endswith(" UTC " + claims["exp"][-4:])
        and claims["aud"] == jwt.decode(token, options={"verify_signature": False})["aud"]
    )
    # AND a public route gets no authorizer claims
    assert call("GET", f"{env.api}/product/1")[0] == 200
    assert "authorizer" not in next(c for c in env.calls("ApiFn") if c.get("path") == "/product/1")["requestContext"]


def test_bad_tokens_are_401_and_never_reach_the_function(env: Env) -> None:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa
    from localrun.aws import EndpointClients
    from localrun.shortcuts import Shortcuts

    sc = Shortcuts(EndpointClients(env.endpoint))
    token = sc.user("bob", "ErrorsStack-Users", False, None, "Local-Passw0rd!")
    real = jwt.decode(token, options={"verify_signature": False})
    cognito = env.client("cognito-idp")
    # GIVEN another pool (same moto key, its own issuer) with a user of its own
    other = cognito.create_user_pool(PoolName="other-pool")["UserPool"]["Id"]
    other_client = cognito.create_user_pool_client(
        UserPoolId=other, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    sc.user("eve", "other-pool", False, None, "Local-Passw0rd!")
    other_token = cognito.initiate_auth(
        ClientId=other_client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "eve", "PASSWORD": "Local-Passw0rd!"},
    )["AuthenticationResult"]
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    bad = {
        "forged (another key)": sign(real, stranger_key),
        "forged (unknown kid)": sign(real, stranger_key, kid="other"),
        "expired": sign({**real, "iat": now - 7200, "exp": now - 3600}, moto_pool_key()),
        "another pool's": other_token["IdToken"],
        "another audience": sign({**real, "aud": "not-a-client"}, moto_pool_key()),
        "an access token": cognito.initiate_auth(
            ClientId=real["aud"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "bob", "PASSWORD": "Local-Passw0rd!"},
        )["AuthenticationResult"]["AccessToken"],
        "not a JWT": "hello",
        "unsigned": jwt.encode(real, key=None, algorithm="none"),  # type: ignore[arg-type]
    }
    before = len(env.calls("ApiFn"))
    for what, token_text in bad.items():
        assert call("GET", f"{env.api}/me", token_text) == (401, {"message": "Unauthorized"}), what
    assert len(env.calls("ApiFn")) == before
    # AND the raw token without "Bearer " is accepted too, as API Gateway does
    req = urllib.request.Request(f"{env.api}/me", headers={"Authorization": token})
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback
        assert resp.status == 200


def test_a_method_with_scopes_wants_an_access_token_granting_one(env: Env) -> None:
    from localrun.aws import EndpointClients
    from localrun.shortcuts import Shortcuts
    from localrun.userpools import find_pools

    sc = Shortcuts(EndpointClients(env.endpoint))
    id_token = sc.user("cid", "ErrorsStack-Users", False, None, "Local-Passw0rd!")
    [pool] = env.runner.topology.user_pools
    cognito = env.client("cognito-idp")
    client_id = find_pools(cognito)[pool.name].client_ids[0]
    access = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "cid", "PASSWORD": "Local-Passw0rd!"},
    )["AuthenticationResult"]["AccessToken"]
    assert call("GET", f"{env.api}/admin", id_token)[0] == 401
    assert call("GET", f"{env.api}/admin", access)[0] == 200


def test_a_long_poll_on_the_endpoint_holds_up_no_other_client_and_gets_what_is_sent_meanwhile(env: Env) -> None:
    # GIVEN an empty queue, one client polling it for up to 5 s and one whose queue waits 5 s by default
    sqs = env.client("sqs")
    url = sqs.create_queue(QueueName="long-poll")["QueueUrl"]
    waiting_url = sqs.create_queue(QueueName="long-poll-default", Attributes={"ReceiveMessageWaitTimeSeconds": "5"})[
        "QueueUrl"
    ]
    got: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    def poll(name: str, queue: str, **wait: int) -> None:
        started = time.monotonic()
        messages = env.client("sqs").receive_message(QueueUrl=queue, **wait).get("Messages", [])
        got[name] = (time.monotonic() - started, messages)

    pollers = [
        threading.Thread(target=poll, args=("explicit", url), kwargs={"WaitTimeSeconds": 5}),
        threading.Thread(target=poll, args=("default", waiting_url)),
    ]
    for t in pollers:
        t.start()
    time.sleep(0.3)
    # WHEN another client calls meanwhile, then sends to both queues
    started = time.monotonic()
    sqs.list_queues(QueueNamePrefix="long-poll")
    answered_s = time.monotonic() - started
    sqs.send_message(QueueUrl=url, MessageBody="meanwhile")
    sqs.send_message(QueueUrl=waiting_url, MessageBody="by default")
    for t in pollers:
        t.join(10)
    # THEN that client was answered at once, and each poll got its message as it was sent, not at its end
    assert answered_s < 1.0
    assert [m["Body"] for m in got["explicit"][1]] == ["meanwhile"] and got["explicit"][0] < 4
    assert [m["Body"] for m in got["default"][1]] == ["by default"] and got["default"][0] < 4
