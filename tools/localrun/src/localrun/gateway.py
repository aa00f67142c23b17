"""The local AWS endpoint (``http://127.0.0.1:4566``).

The Lambda API is answered here (moto cannot run image functions); every other call goes to moto. Calls that would
register a Lambda as a target (EventBridge PutTargets, SNS Subscribe, S3 PutBucketNotificationConfiguration) are
rewritten to a private "shadow" SQS queue per function: moto still matches patterns and fans out, and the runner
drains the shadow queue and invokes the function asynchronously. Template resources and resources created at
runtime take the same path.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit
from xml.etree import ElementTree

from localrun.httpserve import BodyError, read_body
from localrun.journal import Journal
from localrun.lambdas import MAX_SYNC_REQUEST_BYTES, FunctionNotFoundError, LambdaService
from localrun.model import ACCOUNT_ID, REGION, Function, arn_service, function_name_from_arn
from localrun.pool import NoFreeInstanceError

SHADOW_PREFIX = "localrun-shadow-"
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    "content-length",
}
_S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
# How long a synchronous Invoke waits for a free instance of the local pool before it is throttled (429).
INVOKE_WAIT_S = 29.0


def shadow_queue_name(function_name: str) -> str:
    return (SHADOW_PREFIX + function_name)[:80]


class ShadowRegistry:
    """Creates shadow queues in moto on demand and starts one poller per function."""

    def __init__(self, clients: Any, on_new: Callable[[str, str, dict[str, str]], None]) -> None:
        self.clients = clients
        self._on_new = on_new
        self._lock = threading.Lock()
        self._known: dict[str, str] = {}  # function name -> shadow queue ARN
        self.subscription_arns: dict[str, dict[str, str]] = {}  # function -> topic ARN -> subscription ARN

    def arn_for(self, function_name: str) -> str:
        with self._lock:
            if function_name in self._known:
                return self._known[function_name]
            name = shadow_queue_name(function_name)
            url = self.clients.sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
            self._known[function_name] = arn
            self.subscription_arns[function_name] = {}
        assert url
        self._on_new(function_name, self.clients.queue_url(name), self.subscription_arns[function_name])
        return arn

    def reverse(self, text: str) -> str:
        """Replace shadow queue ARNs with the function ARNs they stand for (in responses users read)."""
        with self._lock:
            known = dict(self._known)
        for fn, arn in known.items():
            text = text.replace(arn, f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{fn}")
        return text


class Gateway:
    def __init__(
        self,
        moto_host: str,
        moto_port: int,
        lambdas: LambdaService,
        shadows: ShadowRegistry,
        journal: Journal,
        host: str = "127.0.0.1",
        port: int = 4566,
    ) -> None:
        self.moto = (moto_host, moto_port)
        self.lambdas = lambdas
        self.shadows = shadows
        self.journal = journal
        gateway = self

        class Handler(_Handler):
            owner = gateway

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- forwarding ----------------------------------------------------------------------------------------------
    def forward(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self.moto, timeout=120)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP:
                    conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            keep_length = method == "HEAD"  # a HEAD answer's Content-Length describes the object, not the body
            out = [
                (k, v)
                for k, v in resp.getheaders()
                if k.lower() not in _HOP_BY_HOP or (keep_length and k.lower() == "content-length")
            ]
            return resp.status, out, data
        finally:
            conn.close()

    # -- rewrites ------------------------------------------------------------------------------------------------
    def rewrite_request(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[bytes, list[tuple[str, str]], str | None]:
        """Returns the body to forward, the headers, and a tag naming the rewrite (for the response side)."""
        target = _header(headers, "X-Amz-Target") or ""
        if target == "AWSEvents.PutTargets":
            data = json.loads(body)
            changed = False
            for t in data.get("Targets", []):
                if arn_service(str(t.get("Arn", ""))) == "lambda":
                    fn = function_name_from_arn(t["Arn"])
                    t["Arn"] = self.shadows.arn_for(fn)
                    changed = True
                    self.journal.log("wire", f"rule {data.get('Rule')} -> {fn} (through {shadow_queue_name(fn)})")
            return (json.dumps(data).encode() if changed else body), headers, None
        if target.startswith("AWSEvents.ListTargets") or target.startswith("AmazonSNS.List"):
            return body, headers, "reverse"
        if target == "AmazonSNS.Subscribe":
            data = json.loads(body)
            if str(data.get("Protocol", "")).lower() == "lambda":
                fn = function_name_from_arn(data["Endpoint"])
                data["Protocol"], data["Endpoint"] = "sqs", self.shadows.arn_for(fn)
                return json.dumps(data).encode(), headers, f"subscribe:{fn}:{data.get('TopicArn')}"
            return body, headers, None
        content_type = _header(headers, "Content-Type") or ""
        if method == "POST" and "x-www-form-urlencoded" in content_type and b"Action=" in body:
            form = parse_qsl(body.decode(), keep_blank_values=True)
            action = dict(form).get("Action", "")
            if action == "Subscribe" and dict(form).get("Protocol", "").lower() == "lambda":
                fn = function_name_from_arn(dict(form)["Endpoint"])
                shadow = self.shadows.arn_for(fn)
                form = [(k, "sqs" if k == "Protocol" else shadow if k == "Endpoint" else v) for k, v in form]
                return urlencode(form).encode(), headers, f"subscribe:{fn}:{dict(form).get('TopicArn')}"
            if action.startswith("List") or action.startswith("Get"):
                return body, headers, "reverse"
            return body, headers, None
        query = urlsplit(path).query
        if "notification" in dict(parse_qsl(query, keep_blank_values=True)):
            if method == "PUT" and body:
                new_body = self._rewrite_s3_notifications(body)
                if new_body != body:
                    headers = [
                        (k, v)
                        for k, v in headers
                        if k.lower() not in ("content-md5",)
                        and not k.lower().startswith("x-amz-checksum")
                        and k.lower() != "x-amz-sdk-checksum-algorithm"
                    ]
                    return new_body, headers, None
            if method == "GET":
                return body, headers, "reverse"
        return body, headers, None

    def _rewrite_s3_notifications(self, body: bytes) -> bytes:
        ElementTree.register_namespace("", _S3_NS)
        root = ElementTree.fromstring(body)
        ns = "{" + _S3_NS + "}" if root.tag.startswith("{") else ""
        lambda_configs = root.findall(f"{ns}CloudFunctionConfiguration")
        if not lambda_configs:
            return body
        for cfg in lambda_configs:
            fn_el = cfg.find(f"{ns}CloudFunction")
            if fn_el is None or not fn_el.text:
                continue
            fn = function_name_from_arn(fn_el.text)
            cfg.tag = f"{ns}QueueConfiguration"
            fn_el.tag = f"{ns}Queue"
            fn_el.text = self.shadows.arn_for(fn)
            self.journal.log("wire", f"bucket notification -> {fn} (through {shadow_queue_name(fn)})")
        # S3 wants the configurations grouped by kind, in the schema's order.
        order = {f"{ns}TopicConfiguration": 0, f"{ns}QueueConfiguration": 1, f"{ns}CloudFunctionConfiguration": 2}
        children = sorted(root, key=lambda c: order.get(c.tag, 3))
        for c in list(root):
            root.remove(c)
        root.extend(children)
        return bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=False))

    def rewrite_response(self, tag: str | None, body: bytes) -> bytes:
        if tag is None:
            return body
        if tag == "reverse":
            try:
                return self.shadows.reverse(body.decode()).encode()
            except UnicodeDecodeError:
                return body
        if tag.startswith("subscribe:"):
            _, fn, topic = tag.split(":", 2)
            text = body.decode(errors="replace")
            match = re.search(r"(arn:aws:sns:[^<\"]+)", text)
            if match and topic and topic != "None":
                self.shadows.subscription_arns.setdefault(fn, {})[topic] = match.group(1)
            return body
        return body

    # -- the runner's own control API (not AWS) --------------------------------------------------------------------
    def control(self, method: str, path: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """``GET /_localrun/health``; ``GET|POST /_localrun/chaos`` ({"fail_rate", "kill_rate", "only", "seed"})."""
        from localrun.lambdas import Chaos

        route = urlsplit(path).path
        if route == "/_localrun/health":
            return _json(200, {"status": "ok", "functions": len(self.lambdas.pools)})
        if route == "/_localrun/chaos":
            if method == "POST":
                data = json.loads(body or b"{}")
                self.lambdas.chaos = Chaos(
                    fail_rate=float(data.get("fail_rate", 0.0)),
                    kill_rate=float(data.get("kill_rate", 0.0)),
                    only=str(data.get("only", "")),
                    seed=data.get("seed"),
                )
                self.journal.log("chaos", f"fault injection set to {self.lambdas.chaos.describe()}")
            return _json(200, self.lambdas.chaos.describe())
        return _json(404, {"message": f"unknown control path {route}"})

    # -- the Lambda API ----------------------------------------------------------------------------------------
    def lambda_api(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = urlsplit(path)
        segments = [unquote(s) for s in parts.path.split("/") if s]
        # /2015-03-31/functions[/NAME[/invocations]] ; /2019-09-25/functions/NAME/event-invoke-config
        name = segments[2] if len(segments) > 2 else None
        action = segments[3] if len(segments) > 3 else None
        try:
            if name is None and method == "GET":
                return _json(200, {"Functions": [self._configuration(f) for f in self._functions()]})
            if name is not None and action == "invocations" and method == "POST":
                return self._invoke(name, headers, body)
            if name is not None and action is None and method == "GET":
                fn = self.lambdas.function(name)
                return _json(
                    200,
                    {
                        "Configuration": self._configuration(fn),
                        "Code": {"RepositoryType": "ECR", "ImageUri": f"{fn.service}:latest"},
                    },
                )
            if name is not None and action == "event-invoke-config":
                return self._event_invoke_config(method, name, body)
        except FunctionNotFoundError:
            return _lambda_error(
                404,
                "ResourceNotFoundException",
                f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
            )
        return _lambda_error(
            400,
            "InvalidRequestContentException",
            f"{method} {parts.path} is not supported by the local Lambda endpoint",
        )

    def _functions(self) -> list[Function]:
        return [f for f in self.lambdas.topology.functions if f.name in self.lambdas.pools]

    def _configuration(self, fn: Function) -> dict[str, Any]:
        return {
            "FunctionName": fn.name,
            "FunctionArn": fn.arn,
            "PackageType": "Image",
            "Timeout": fn.timeout_s,
            "MemorySize": fn.memory_mb,
            "Environment": {"Variables": dict(fn.env)},
            "Version": "$LATEST",
            "State": "Active",
            "ImageConfigResponse": {"ImageConfig": {"Command": [fn.handler]}},
            "DeadLetterConfig": {"TargetArn": fn.dlq_arn} if fn.dlq_arn else {},
        }

    def _invoke(
        self, name: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        kind = _header(headers, "X-Amz-Invocation-Type") or "RequestResponse"
        fn = self.lambdas.function(name)
        if kind == "RequestResponse" and len(body) > MAX_SYNC_REQUEST_BYTES:
            return _lambda_error(
                413,
                "RequestEntityTooLargeException",
                f"Request must be smaller than {MAX_SYNC_REQUEST_BYTES} bytes for the InvokeFunction operation",
            )
        if kind == "DryRun":
            return 204, [("x-amzn-RequestId", str(uuid.uuid4()))], b""
        if kind == "Event":
            request_id = self.lambdas.invoke_async(fn.name, body, None, "Invoke (Event)")
            return 202, [("x-amzn-RequestId", request_id), ("Content-Type", "application/json")], b""
        request_id = str(uuid.uuid4())
        try:
            result = self.lambdas.invoke(fn.name, body, request_id, "Invoke", wait_s=INVOKE_WAIT_S)
        except NoFreeInstanceError:
            # Lambda throttles an invocation it has no concurrency for; the SDKs retry this error.
            return _lambda_error(429, "TooManyRequestsException", "Rate Exceeded.")
        out = [
            ("x-amzn-RequestId", request_id),
            ("X-Amz-Executed-Version", "$LATEST"),
            ("Content-Type", "application/json"),
        ]
        if not result.ok:
            out.append(("X-Amz-Function-Error", "Unhandled"))
        return 200, out, result.body

    def _event_invoke_config(self, method: str, name: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        from localrun.model import EventInvokeConfig

        fn = self.lambdas.function(name)
        if method in ("PUT", "POST"):
            data = json.loads(body or b"{}")
            dest = data.get("DestinationConfig", {})
            current = self.lambdas.config(fn)
            self.lambdas.invoke_configs[fn.name] = EventInvokeConfig(
                function_name=fn.name,
                max_retries=int(data.get("MaximumRetryAttempts", current.max_retries)),
                max_event_age_s=int(data.get("MaximumEventAgeInSeconds", current.max_event_age_s)),
                on_success=dest.get("OnSuccess", {}).get("Destination", current.on_success),
                on_failure=dest.get("OnFailure", {}).get("Destination", current.on_failure),
            )
        cfg = self.lambdas.config(fn)
        return _json(
            200,
            {
                "FunctionArn": f"{fn.arn}:$LATEST",
                "MaximumRetryAttempts": cfg.max_retries,
                "MaximumEventAgeInSeconds": cfg.max_event_age_s,
                "DestinationConfig": {
                    "OnSuccess": {"Destination": cfg.on_success} if cfg.on_success else {},
                    "OnFailure": {"Destination": cfg.on_failure} if cfg.on_failure else {},
                },
            },
        )


def _json(status: int, data: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json")], json.dumps(data).encode()


def _lambda_error(status: int, error_type: str, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    return (
        status,
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)],
        json.dumps({"Type": "User", "message": message}).encode(),
    )


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    lname = name.lower()
    return next((v for k, v in headers if k.lower() == lname), None)


class _Handler(BaseHTTPRequestHandler):
    owner: Gateway
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: avoid the 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the journal logs what matters
        pass

    def _handle(self) -> None:
        try:
            body = read_body(self)
        except BodyError as exc:
            self.close_connection = True  # the rest of the stream is not a request
            status, out, data = _json(exc.status, {"message": exc.message})
            self.send_response_only(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            return
        headers = list(self.headers.items())
        gw = self.owner
        try:
            if self.path.startswith("/_localrun/"):
                status, out, data = gw.control(self.command, self.path, body)
            elif self.path.startswith(("/2015-03-31/functions", "/2019-09-25/functions")):
                status, out, data = gw.lambda_api(self.command, self.path, headers, body)
            else:
                body, headers, tag = gw.rewrite_request(self.command, self.path, headers, body)
                status, out, data = gw.forward(self.command, self.path, headers, body)
                data = gw.rewrite_response(tag, data)
        except Exception as exc:  # never hang a client: answer like a failing AWS endpoint
            gw.journal.log("gateway", f"{self.command} {self.path}: {exc!r}")
            status, out, data = (
                500,
                [("Content-Type", "application/json")],
                json.dumps({"message": f"local endpoint error: {exc}"}).encode(),
            )
        self.send_response_only(status)
        for name, value in out:
            self.send_header(name, value)
        if not any(k.lower() == "content-length" for k, _ in out):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle
