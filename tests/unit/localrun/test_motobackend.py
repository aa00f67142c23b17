"""moto inside the runner's process (localrun.motobackend): a call handed to moto's app without HTTP is the request
moto's own server would have seen."""

from __future__ import annotations

import http.client
import os
import threading
from collections.abc import Iterable, Iterator

import boto3
import pytest
from localrun.motobackend import MotoBackend, wsgi_environ
from localrun.motohttp import moto_http_server

# What the app reads of a request; the rest (sockets, streams, the client's address) differs by nature.
_COMPARED = ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "RAW_URI")
_COMPARED += ("CONTENT_TYPE", "CONTENT_LENGTH", "SERVER_NAME", "SERVER_PORT", "moto.preserved_header_names")

REQUESTS = [
    ("GET", "/bkt/a%20b/%C3%BC%2Bx?list-type=2&prefix=a%2Fb", [("Accept", "*/*")], b""),
    (
        "PUT",
        "/bkt/key",
        [
            ("Content-Type", "text/plain"),
            ("x-amz-meta-my_key", "v1"),
            ("X-Amz-Meta-Other", "v2"),
            ("X-Amz-Meta-Other", "v3"),  # a header sent twice is joined with a comma
            ("x-amz-meta-dup_name", "under"),
            ("x-amz-meta-dup-name", "dash"),  # the dashed spelling wins over the underscored one
        ],
        b"body",
    ),
    ("POST", "/", [("X-Amz-Target", "DynamoDB_20120810.ListTables"), ("Content-Type", "application/json")], b"{}"),
]


class _Recorder:
    def __init__(self) -> None:
        self.environs: list[dict[str, object]] = []

    def __call__(self, environ: dict[str, object], start_response: object) -> Iterable[bytes]:
        self.environs.append(dict(environ))
        start_response("200 OK", [("Content-Length", "0")])  # type: ignore[operator]
        return [b""]


@pytest.fixture
def recorded() -> Iterator[tuple[_Recorder, int]]:
    recorder = _Recorder()
    server = moto_http_server("127.0.0.1", 0, recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield recorder, server.server_port
    server.shutdown()
    server.server_close()


def _seen(environ: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in environ.items() if k in _COMPARED or k.startswith("HTTP_")}


@pytest.mark.parametrize(("method", "path", "headers", "body"), REQUESTS)
def test_the_environ_is_the_one_motos_server_builds(
    recorded: tuple[_Recorder, int], method: str, path: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    recorder, port = recorded
    sent = [("Host", f"127.0.0.1:{port}"), *headers, ("Content-Length", str(len(body)))]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in sent:
        conn.putheader(name, value)
    conn.endheaders(body)
    assert conn.getresponse().status == 200
    conn.close()

    direct = wsgi_environ(method, path, sent, body, ("127.0.0.1", port))

    assert _seen(direct) == _seen(recorder.environs[0])
    assert direct["wsgi.input"].read() == body  # type: ignore[attr-defined]


def test_calls_land_in_the_account_without_touching_the_process_environment() -> None:
    backend = MotoBackend("111122223333")
    try:
        sqs = boto3.client(
            "sqs",
            endpoint_url=backend.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        url = sqs.create_queue(QueueName="accounted")["QueueUrl"]
        status, _, body = backend.answer(
            "POST",
            "/",
            [
                ("X-Amz-Target", "AmazonSQS.GetQueueUrl"),
                ("Content-Type", "application/x-amz-json-1.0"),
                ("Authorization", "AWS4-HMAC-SHA256 Credential=test/20261203/us-east-1/sqs/aws4_request, x"),
            ],
            b'{"QueueName": "accounted"}',
        )
    finally:
        backend.stop()
    assert url.endswith("/111122223333/accounted")  # through the backend's own port
    assert status == 200 and b"/111122223333/accounted" in body  # handed over without HTTP
    assert "MOTO_ACCOUNT_ID" not in os.environ  # which would reach every moto and every child of this process
