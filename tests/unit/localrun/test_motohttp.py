"""moto behind keep-alive HTTP/1.1 (localrun.motohttp), and the local endpoint that hands calls to moto without HTTP
(localrun.gateway with localrun.motobackend): connections stay open, bodies are framed, and moto sees the same
requests through either."""

from __future__ import annotations

import http.client
import io
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from localrun.clock import Clock
from localrun.instance import free_port
from localrun.journal import Journal
from localrun.model import Function, Topology
from localrun.motohttp import moto_http_server
from localrun.pool import Instance
from localrun.runner import Runner

LIST_TABLES = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20261203/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0",
}


def _no_functions(fn: Function) -> Instance:
    raise LookupError(fn.name)


@pytest.fixture(scope="module", params=["moto's server", "the endpoint"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    port = free_port()
    if request.param == "the endpoint":
        runner = Runner(Topology(stacks=()), _no_functions, clock=Clock(), journal=Journal(io.StringIO()), port=port)
        runner.start()
        yield "127.0.0.1", port
        runner.stop()
        return
    srv = moto_http_server("127.0.0.1", port)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield "127.0.0.1", port
    srv.shutdown()


def client(server: tuple[str, int], service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=f"http://{server[0]}:{server[1]}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_one_connection_serves_many_requests(server: tuple[str, int]) -> None:
    conn = http.client.HTTPConnection(*server, timeout=10)
    local_ports = set()
    for _ in range(3):
        conn.request("POST", "/", body="{}", headers=LIST_TABLES)
        resp = conn.getresponse()
        assert resp.status == 200
        assert isinstance(json.loads(resp.read())["TableNames"], list)
        assert not resp.will_close  # werkzeug's server said Connection: close on every answer
        assert conn.sock is not None
        local_ports.add(conn.sock.getsockname()[1])
    assert len(local_ports) == 1
    conn.close()


def test_a_chunked_body_is_read_whole(server: tuple[str, int]) -> None:
    conn = http.client.HTTPConnection(*server, timeout=10)
    conn.request("POST", "/", body=iter([b"{", b"}"]), headers=LIST_TABLES, encode_chunked=True)
    resp = conn.getresponse()
    assert resp.status == 200
    assert isinstance(json.loads(resp.read())["TableNames"], list)
    conn.close()


def test_a_malformed_body_is_a_400_and_the_connection_closes(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=10) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0]
    assert head.startswith(b"HTTP/1.1 400")
    assert b"Connection: close" in head
    assert b"invalid Content-Length" in answer


def test_s3_objects_keep_metadata_spelling_head_length_and_expect_continue(server: tuple[str, int]) -> None:
    s3 = client(server, "s3")
    bucket = f"motohttp-{server[1]}"  # both servers share this process's moto
    s3.create_bucket(Bucket=bucket)
    body = b"x" * 2048
    # boto3 sends PutObject with Expect: 100-continue; moto's environ keeps the underscore in the metadata name.
    s3.put_object(Bucket=bucket, Key="k", Body=body, Metadata={"my_key": "v"})
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ContentLength"] == len(body)  # a HEAD's Content-Length describes the object
    assert head["Metadata"] == {"my_key": "v"}
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == body
    s3.delete_object(Bucket=bucket, Key="k")  # 204: no body, no length
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


REPLAY = """
import json, re, sys, threading, boto3
from botocore.config import Config
from moto.moto_api._internal import mock_random
from moto.core import serialize
from localrun.motohttp import call_wsgi, flask_app, moto_app, moto_http_server
from localrun.motoserver import apply_patches
generic_members = serialize.ResponseSerializer.get_value
xmltodict_body = serialize.BaseXMLSerializer._serialize_body
from moto.core import parse
shape_walk = parse.JSONParser._parse_json_body
from moto.core.responses import BaseResponse
chain_map_param = BaseResponse._get_param
apply_patches()
if sys.argv[2:] == ["generic-members"]:  # every patch but patch_serializer_dict_members
    serialize.ResponseSerializer.get_value = generic_members
    del serialize.JSONSerializer._serialize_structure_member
    del serialize.JSONSerializer._serialize_type_structure
if sys.argv[2:] == ["xmltodict"]:  # every patch but patch_query_xml_body
    serialize.BaseXMLSerializer._serialize_body = xmltodict_body
if sys.argv[2:] == ["shape-walk"]:  # every patch but patch_json_request_parse
    parse.JSONParser._parse_json_body = shape_walk
if sys.argv[2:] == ["chain-map"]:  # every patch but patch_param_lookup
    BaseResponse._get_param = chain_map_param
app = moto_app() if sys.argv[1] == "direct" else flask_app()
answers = []
def digits(text):  # times, S3 sequencers and digests of bodies that hold times differ from run to run
    return re.sub(r"[0-9]+", "0", re.sub(r"[0-9a-f]{32}|[0-9A-F]{10,}", "x", text))
def recording(environ, start_response):
    status, headers, body = call_wsgi(app, environ)
    kept = sorted((k.lower(), digits(v)) for k, v in headers if k.lower() not in ("date", "x-amz-crc32"))
    answers.append([status, kept, digits(body.decode("latin-1"))])
    start_response(f"{status} -", headers)
    return [body]
server = moto_http_server("127.0.0.1", 0, recording)
threading.Thread(target=server.serve_forever, daemon=True).start()
mock_random.seed(7)
def client(service):
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{server.server_port}", region_name="us-east-1",
                        aws_access_key_id="t", aws_secret_access_key="t", config=Config(retries={"max_attempts": 1}))
def attempt(call, **kwargs):
    try:
        call(**kwargs)
    except Exception:
        pass
s3, ddb, sqs, sns, events, idp = (client(s) for s in ("s3", "dynamodb", "sqs", "sns", "events", "cognito-idp"))
q = sqs.create_queue(QueueName="replay")["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
s3.create_bucket(Bucket="replay")
s3.put_bucket_notification_configuration(Bucket="replay", NotificationConfiguration={
    "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
key = "dir/\\u00fc a+b.txt"
s3.put_object(Bucket="replay", Key=key, Body=b"hello", ContentType="text/plain", Metadata={"my_key": "v"})
s3.get_object(Bucket="replay", Key=key)
s3.head_object(Bucket="replay", Key=key)
s3.list_objects_v2(Bucket="replay", Prefix="dir/")
attempt(s3.get_object, Bucket="replay", Key="missing")
attempt(s3.head_object, Bucket="replay", Key="missing")
s3.delete_object(Bucket="replay", Key=key)
ddb.create_table(TableName="replay", BillingMode="PAY_PER_REQUEST",
                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                       {"AttributeName": "sk", "AttributeType": "S"}])
ddb.put_item(TableName="replay", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}, "b": {"B": b"x"}})
ddb.get_item(TableName="replay", Key={"pk": {"S": "a"}, "sk": {"S": "1"}})
ddb.query(TableName="replay", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})
attempt(ddb.update_item, TableName="replay", Key={"pk": {"S": "a"}, "sk": {"S": "1"}}, UpdateExpression="SET n = :n",
        ConditionExpression="attribute_not_exists(pk)", ExpressionAttributeValues={":n": {"N": "2"}})
attempt(ddb.describe_table, TableName="missing")
attempt(ddb.put_item, TableName="replay", Item={"pk": {"S": "a"}})
sqs.send_message(QueueUrl=q, MessageBody="m", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
sqs.send_message_batch(QueueUrl=q, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)])
for m in sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", []):
    sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])
attempt(sqs.send_message, QueueUrl=q + "-missing", MessageBody="m")
fifo = sqs.create_queue(QueueName="replay.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
sqs.send_message_batch(QueueUrl=fifo, Entries=[
    {"Id": "a", "MessageBody": "a", "MessageGroupId": "g", "MessageDeduplicationId": "a",
     "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "1"}}},
    {"Id": "b", "MessageBody": "b", "MessageGroupId": "g", "MessageDeduplicationId": "b"}])
got = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10, AttributeNames=["All"],
                          MessageAttributeNames=["All"]).get("Messages", [])
sqs.change_message_visibility_batch(QueueUrl=fifo, Entries=[
    {"Id": "v", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 0},
    {"Id": "w", "ReceiptHandle": "not-a-handle", "VisibilityTimeout": 0}])
attempt(sqs.delete_message_batch, QueueUrl=fifo, Entries=[{"Id": "x", "ReceiptHandle": "not-a-handle"}])
sqs.list_queues(QueueNamePrefix="replay")
topic = sns.create_topic(Name="replay")["TopicArn"]
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
sns.publish(TopicArn=topic, Message="hi", Subject="s")
sns.list_subscriptions()
attempt(sns.publish, TopicArn=topic + "-missing", Message="hi")
sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "k<&>", "Value": "v\\"'&\\u00fc"}])
sns.list_tags_for_resource(ResourceArn=topic)
sns.get_topic_attributes(TopicArn=topic)
attempt(sns.create_topic, Name="bad<&>'name")
events.put_rule(Name="replay", EventPattern=json.dumps({"source": ["replay"]}))
events.put_targets(Rule="replay", Targets=[{"Id": "q", "Arn": arn}])
events.put_events(Entries=[{"Source": "replay", "DetailType": "t", "Detail": "{}"}])
events.put_events(Entries=[{"Source": "replay", "DetailType": "t", "Detail": "not json"}])
sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "1", "Message": "a"}, {"Id": "2", "Message": "b"}])
ddb.batch_write_item(RequestItems={"replay": [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}}}]})
ddb.describe_table(TableName="replay")
ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "replay", "Item": {"pk": {"S": "c"}, "sk": {"S": "1"}}}}])
events.list_rules()
attempt(events.describe_rule, Name="missing")
pool = idp.create_user_pool(PoolName="replay")["UserPool"]["Id"]
idp.list_user_pools(MaxResults=10)
attempt(idp.describe_user_pool, UserPoolId="us-east-1_missing")
import http.client
raw = sqs.create_queue(QueueName="replay-raw")["QueueUrl"]
raw_arn = sqs.get_queue_attributes(QueueUrl=raw, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
sns_auth = "AWS4-HMAC-SHA256 Credential=t/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=x"
publish = b"Action=Publish&TopicArn=" + topic.encode() + b"&Message="
for form in (publish + b"a%2Bb+c%26%3D%C3%BC", publish + b"%FF+%zz&y", publish + b"\\xff", b"Action=ListTopics&x"):
    # escapes, escapes that are no UTF-8 or none at all, a body that is no UTF-8, a field without a value
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port)
    connection.request("POST", "/", form, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                                            "Authorization": sns_auth})
    connection.getresponse().read()
sqs.receive_message(QueueUrl=raw, MaxNumberOfMessages=10)
print(json.dumps(answers))
"""


def test_the_answers_without_flask_are_the_answers_through_flask() -> None:
    # GIVEN the same calls to S3, DynamoDB, SQS, SNS, EventBridge and Cognito, errors included, from one seed
    runs = {
        path: subprocess.run([sys.executable, "-c", REPLAY, path], capture_output=True, text=True, timeout=120)
        for path in ("direct", "flask")
    }
    assert runs["direct"].returncode == 0, runs["direct"].stderr
    direct, flask = (json.loads(runs[path].stdout) for path in ("direct", "flask"))
    # THEN moto's answers (status, headers, body) are the same either way, call by call
    assert len(direct) >= 40
    assert [a[0] for a in direct] == [a[0] for a in flask]
    assert direct == flask
    assert {a[0] for a in direct} >= {200, 204, 400, 404}  # the errors were answered, not skipped


@pytest.mark.parametrize(
    ("variant", "patch"),
    [
        # optional members of batch results (FIFO sequence numbers, attribute digests, failed entries) included
        ("generic-members", "patch_serializer_dict_members"),
        # SNS answers and errors, with markup, quotes and non-ASCII in tags, policies and error messages
        ("xmltodict", "patch_query_xml_body"),
        # DynamoDB items of every attribute type, SQS batches with attributes, EventBridge entries, Cognito
        ("shape-walk", "patch_json_request_parse"),
        # optional parameters absent and present, for every service above
        ("chain-map", "patch_param_lookup"),
    ],
)
def test_a_patch_of_moto_s_request_or_answer_handling_gives_moto_s_own_answers(variant: str, patch: str) -> None:
    # GIVEN the same calls, answered with every patch, and with every patch but one of those reading requests or
    # writing answers
    runs = {
        name: subprocess.run(
            [sys.executable, "-c", REPLAY, "direct", *extra], capture_output=True, text=True, timeout=120
        )
        for name, extra in (("patched", []), ("without", [variant]))
    }
    assert runs["patched"].returncode == 0, runs["patched"].stderr
    patched, without = (json.loads(runs[name].stdout) for name in ("patched", "without"))
    # THEN every answer is the same
    assert len(patched) >= 50
    assert patched == without, f"{patch} changed an answer"


@pytest.mark.parametrize(
    ("host", "target"),
    [
        ("127.0.0.1:4566", "/"),
        ("localhost:4566", "/000000000000/queue?Action=ReceiveMessage&x=%2F+y"),
        ("bucket.s3.localhost:4566", "/dir/%C3%BC%20a%2Bb.txt?versionId=1"),
        ("localhost", "//double/slash"),
        ("localhost:80", "/p"),
        ("LocalHost:4566", "/p"),  # werkzeug lower-cases it: moto's way
        ("xn--n3h.net:4566", "/p"),  # Punycode: moto's way
        ("[::1]:4566", "/p"),  # IPv6: moto's way
        ("localhost:04566", "/p"),  # a port werkzeug rewrites: moto's way
    ],
)
def test_the_url_handed_to_moto_is_the_one_moto_would_build(host: str, target: str) -> None:
    from localrun.motobackend import wsgi_environ
    from localrun.motohttp import _backend_request, _raw_url

    request = _backend_request(wsgi_environ("GET", target, [("Host", host)], b"", ("127.0.0.1", 4566)))
    assert _raw_url(request) == request.raw_url


@pytest.mark.parametrize(
    ("method", "status", "headers", "content", "plain"),
    [
        (
            "POST",
            200,
            {"server": "amazon.com", "x-amzn-RequestId": "r", "Content-Type": "application/json"},
            "{}",
            True,
        ),
        ("POST", 200, {"server": "amazon.com"}, "<xml/>", True),  # no Content-Type: the response class's default
        ("PUT", 200, {"ETag": '"abc"', "content-length": "99", "x-amz-crc32": 123}, b"\x00bytes", True),
        ("POST", 201, {"access-control-allow-origin": "x", "content-type": "text/xml"}, "ünïcödé", True),
        ("GET", 200, {}, "", True),
        ("HEAD", 200, {"content-length": "5"}, "", False),
        ("POST", 204, {}, "", False),
        ("POST", 400, {"Content-Type": "application/json"}, '{"__type": "x"}', False),
        ("POST", 200, {"Location": "/elsewhere"}, "", False),
        ("POST", 200, {"x-multi": ["a", "b"]}, "", False),
        ("POST", 200, {"x-bad": "line\nbreak"}, "", False),  # Flask refuses it
        ("POST", 200, {}, iter([b"streamed"]), False),
    ],
)
def test_a_plain_answer_is_the_one_flask_s_response_class_gives(
    method: str, status: int, headers: dict[str, Any], content: Any, plain: bool
) -> None:
    from flask import Response
    from localrun.motohttp import _plain_answer, call_wsgi
    from moto.settings import DISABLE_GLOBAL_CORS

    def through_flask(environ: Any, start_response: Any) -> Any:
        response = Response(response=content, status=status, headers=headers)
        if not DISABLE_GLOBAL_CORS:
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response(environ, start_response)

    environ = {"REQUEST_METHOD": method, "SERVER_NAME": "localhost", "SERVER_PORT": "4566", "wsgi.url_scheme": "http"}
    answer = _plain_answer(Response, method, status, headers, content)
    # THEN the plain case is answered as Flask's response class answers it, to the byte (status, header names,
    # order, values, body); anything else is left to that class
    assert (answer is not None) == plain
    if plain:
        assert answer == call_wsgi(through_flask, environ)
