"""What the AWS endpoint answers itself, from the Lambda control plane: the Lambda API (moto cannot run image
functions) and the runner's own control API under ``/_localrun/``."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import unquote, urlsplit

from localrun.httpserve import Answer
from localrun.lambdas import (
    MAX_ASYNC_REQUEST_BYTES,
    MAX_SYNC_REQUEST_BYTES,
    Chaos,
    FunctionNotFoundError,
    LambdaControlPlane,
)
from localrun.model import ACCOUNT_ID, REGION, EventInvokeConfig, Function
from localrun.pool import NoFreeInstanceError
from localrun.rewrite import Request
from localrun.traces import TRACE_HEADER, new_trace_id, trace_id_from_header

LAMBDA_PATHS = ("/2015-03-31/functions", "/2019-09-25/functions")
CONTROL_PATH = "/_localrun/"
# How long a synchronous Invoke waits for a free instance of the local pool before it is throttled (429).
INVOKE_WAIT_S = 29.0


class LambdaApi:
    """``ListFunctions``, ``GetFunction``, ``Invoke`` (RequestResponse, Event, DryRun), event invoke configs."""

    def __init__(self, control: LambdaControlPlane) -> None:
        self.control = control

    def answer(self, request: Request) -> Answer:
        method = request.method
        path = urlsplit(request.path).path
        segments = [unquote(s) for s in path.split("/") if s]
        # /2015-03-31/functions[/NAME[/invocations]] ; /2019-09-25/functions/NAME/event-invoke-config
        name = segments[2] if len(segments) > 2 else None
        action = segments[3] if len(segments) > 3 else None
        try:
            if name is None and method == "GET":
                return _json(200, {"Functions": [_configuration(f) for f in self.control.functions()]})
            if name is not None and action == "invocations" and method == "POST":
                return self._invoke(name, request)
            if name is not None and action is None and method == "GET":
                fn = self.control.function(name)
                return _json(
                    200,
                    {
                        "Configuration": _configuration(fn),
                        "Code": {"RepositoryType": "ECR", "ImageUri": f"{fn.service}:latest"},
                    },
                )
            if name is not None and action == "event-invoke-config":
                return self._event_invoke_config(method, name, request.body)
        except FunctionNotFoundError:
            return _lambda_error(
                404,
                "ResourceNotFoundException",
                f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
            )
        return _lambda_error(
            400, "InvalidRequestContentException", f"{method} {path} is not supported by the local Lambda endpoint"
        )

    def _invoke(self, name: str, request: Request) -> Answer:
        kind = request.header("X-Amz-Invocation-Type") or "RequestResponse"
        fn = self.control.function(name)
        limit = MAX_ASYNC_REQUEST_BYTES if kind == "Event" else MAX_SYNC_REQUEST_BYTES
        if len(request.body) > limit:
            return _lambda_error(
                413,
                "RequestEntityTooLargeException",
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
            )
        if kind == "DryRun":
            return 204, [("x-amzn-RequestId", str(uuid.uuid4()))], b""
        trace = trace_id_from_header(request.header(TRACE_HEADER)) or new_trace_id()
        if kind == "Event":
            request_id = self.control.invoke_async(fn.name, request.body, trace, "Invoke (Event)")
            return 202, [("x-amzn-RequestId", request_id), ("Content-Type", "application/json")], b""
        request_id = str(uuid.uuid4())
        try:
            result = self.control.invoke(fn.name, request.body, trace, "Invoke", wait_s=INVOKE_WAIT_S)
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

    def _event_invoke_config(self, method: str, name: str, body: bytes) -> Answer:
        fn = self.control.function(name)
        if method in ("PUT", "POST"):
            data = json.loads(body or b"{}")
            dest = data.get("DestinationConfig", {})
            current = self.control.invoke_config(fn)
            self.control.put_invoke_config(
                EventInvokeConfig(
                    function_name=fn.name,
                    max_retries=int(data.get("MaximumRetryAttempts", current.max_retries)),
                    max_event_age_s=int(data.get("MaximumEventAgeInSeconds", current.max_event_age_s)),
                    on_success=dest.get("OnSuccess", {}).get("Destination", current.on_success),
                    on_failure=dest.get("OnFailure", {}).get("Destination", current.on_failure),
                )
            )
        cfg = self.control.invoke_config(fn)
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


def control_api(control: LambdaControlPlane, request: Request) -> Answer:
    """``GET /_localrun/health``; ``GET|POST /_localrun/chaos`` ({"fail_rate", "kill_rate", "only", "seed"})."""
    route = urlsplit(request.path).path
    if route == "/_localrun/health":
        return _json(200, {"status": "ok", "functions": len(control.functions())})
    if route == "/_localrun/chaos":
        if request.method == "POST":
            data = json.loads(request.body or b"{}")
            control.set_chaos(
                Chaos(
                    fail_rate=float(data.get("fail_rate", 0.0)),
                    kill_rate=float(data.get("kill_rate", 0.0)),
                    only=str(data.get("only", "")),
                    seed=data.get("seed"),
                )
            )
        return _json(200, control.chaos.describe())
    return _json(404, {"message": f"unknown control path {route}"})


def _configuration(fn: Function) -> dict[str, Any]:
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


def _json(status: int, data: Any) -> Answer:
    return status, [("Content-Type", "application/json")], json.dumps(data).encode()


def _lambda_error(status: int, error_type: str, message: str) -> Answer:
    return (
        status,
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)],
        json.dumps({"Type": "User", "message": message}).encode(),
    )
