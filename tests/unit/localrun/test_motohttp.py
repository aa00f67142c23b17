"""moto behind keep-alive HTTP/1.1 (localrun.motohttp), and the local endpoint that hands calls to moto without HTTP
(localrun.gateway with localrun.motobackend): connections stay open, bodies are framed, and moto sees the same
requests through either."""

from __future__ import annotations

import http.client
import io
import json
import socket
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
