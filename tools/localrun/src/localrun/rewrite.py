"""The AWS endpoint's request rewriting, one rewriter per wire protocol.

A call that would register a Lambda as a target (EventBridge PutTargets, SNS Subscribe, S3
PutBucketNotificationConfiguration) is rewritten to the function's shadow queue (``localrun.shadows``), in
whichever protocol it came: JSON with ``X-Amz-Target``, a query form (``Action=...``), or S3's REST XML. Each
rewriter returns a :class:`Rewrite`: the request to forward, and what to do with the answer (typed intents).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.etree import ElementTree

from localrun.journal import Journal
from localrun.model import arn_service, function_name_from_arn, query_action
from localrun.shadows import shadow_queue_name

Headers = list[tuple[str, str]]
_S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_CHECKSUM_HEADERS = ("content-md5", "x-amz-sdk-checksum-algorithm")
_SUBSCRIPTION_ARN = re.compile(r"(arn:aws:sns:[^<\"]+)")


# -- what to do with the backend's answer ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ShowFunctionArns:
    """The answer lists targets or subscriptions: show the function ARNs where moto has their shadow queues."""


@dataclass(frozen=True)
class RecordSubscription:
    """The answer carries the ARN of a subscription made for ``function_name`` to ``topic_arn``: remember it (the
    function's SNS events carry it as ``EventSubscriptionArn``)."""

    function_name: str
    topic_arn: str

    def subscription_arn(self, answer: bytes) -> str | None:
        match = _SUBSCRIPTION_ARN.search(answer.decode(errors="replace"))
        return match.group(1) if match else None


AnswerIntent = ShowFunctionArns | RecordSubscription


@dataclass(frozen=True)
class Rewrite:
    body: bytes
    headers: Headers
    then: AnswerIntent | None = None


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Headers
    body: bytes

    def header(self, name: str) -> str | None:
        return self._by_name.get(name.lower())

    @cached_property
    def _by_name(self) -> dict[str, str]:
        """Each header's first value by its lower-case name (the endpoint looks up three to five per call)."""
        found: dict[str, str] = {}
        for name, value in self.headers:
            found.setdefault(name.lower(), value)
        return found

    def unchanged(self, then: AnswerIntent | None = None) -> Rewrite:
        return Rewrite(self.body, self.headers, then)


# The shadow queue's ARN for a function, created on first use.
ShadowArn = Callable[[str], str]


class Rewriter(Protocol):
    def rewrite(self, request: Request) -> Rewrite: ...


@dataclass
class JsonTargetRewriter:
    """JSON protocols, selected by ``X-Amz-Target`` (EventBridge; SNS in newer SDKs)."""

    shadow_arn: ShadowArn
    journal: Journal

    def rewrite(self, request: Request) -> Rewrite:
        target = request.header("X-Amz-Target") or ""
        if target == "AWSEvents.PutTargets":
            data = json.loads(request.body)
            changed = False
            for t in data.get("Targets", []):
                if arn_service(str(t.get("Arn", ""))) == "lambda":
                    fn = function_name_from_arn(t["Arn"])
                    t["Arn"] = self.shadow_arn(fn)
                    changed = True
                    self.journal.log("wire", f"rule {data.get('Rule')} -> {fn} (through {shadow_queue_name(fn)})")
            return Rewrite(json.dumps(data).encode(), request.headers) if changed else request.unchanged()
        if target.startswith(("AWSEvents.ListTargets", "AmazonSNS.List", "AmazonSNS.Get")):
            return request.unchanged(ShowFunctionArns())
        if target == "AmazonSNS.Subscribe":
            data = json.loads(request.body)
            if str(data.get("Protocol", "")).lower() != "lambda":
                return request.unchanged()
            fn = function_name_from_arn(data["Endpoint"])
            data["Protocol"], data["Endpoint"] = "sqs", self.shadow_arn(fn)
            then = RecordSubscription(fn, str(data["TopicArn"])) if data.get("TopicArn") else None
            return Rewrite(json.dumps(data).encode(), request.headers, then)
        return request.unchanged()


@dataclass
class QueryRewriter:
    """Query protocols: a form POST with ``Action=...`` (SNS, SQS in older SDKs)."""

    shadow_arn: ShadowArn

    def rewrite(self, request: Request) -> Rewrite:
        action = query_action(request.body)
        if action.startswith(("List", "Get")):
            return request.unchanged(ShowFunctionArns())
        if action != "Subscribe":
            return request.unchanged()
        form = parse_qsl(request.body.decode(errors="replace"), keep_blank_values=True)
        fields = dict(form)
        if fields.get("Protocol", "").lower() == "lambda":
            fn = function_name_from_arn(fields["Endpoint"])
            shadow = self.shadow_arn(fn)
            form = [(k, "sqs" if k == "Protocol" else shadow if k == "Endpoint" else v) for k, v in form]
            then = RecordSubscription(fn, fields["TopicArn"]) if fields.get("TopicArn") else None
            return Rewrite(urlencode(form).encode(), request.headers, then)
        return request.unchanged()


@dataclass
class S3NotificationRewriter:
    """S3's REST XML: ``PUT|GET /bucket?notification``."""

    shadow_arn: ShadowArn
    journal: Journal

    @staticmethod
    def applies(request: Request) -> bool:
        return "notification" in dict(parse_qsl(urlsplit(request.path).query, keep_blank_values=True))

    def rewrite(self, request: Request) -> Rewrite:
        if request.method == "GET":
            return request.unchanged(ShowFunctionArns())
        if request.method != "PUT" or not request.body:
            return request.unchanged()
        body = self._to_queues(request.body)
        if body == request.body:
            return request.unchanged()
        # The body changed, so its checksums no longer hold.
        headers = [
            (k, v)
            for k, v in request.headers
            if k.lower() not in _CHECKSUM_HEADERS and not k.lower().startswith("x-amz-checksum")
        ]
        return Rewrite(body, headers)

    def _to_queues(self, body: bytes) -> bytes:
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
            fn_el.text = self.shadow_arn(fn)
            self.journal.log("wire", f"bucket notification -> {fn} (through {shadow_queue_name(fn)})")
        # S3 wants the configurations grouped by kind, in the schema's order.
        order = {f"{ns}TopicConfiguration": 0, f"{ns}QueueConfiguration": 1, f"{ns}CloudFunctionConfiguration": 2}
        children = sorted(root, key=lambda c: order.get(c.tag, 3))
        for c in list(root):
            root.remove(c)
        root.extend(children)
        return bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=False))


@dataclass
class Rewriters:
    """Picks the rewriter for a request's protocol; requests of no rewriter's concern pass unchanged."""

    json_target: JsonTargetRewriter
    query: QueryRewriter
    s3: S3NotificationRewriter

    @classmethod
    def for_shadows(cls, shadow_arn: ShadowArn, journal: Journal) -> Rewriters:
        return cls(
            JsonTargetRewriter(shadow_arn, journal),
            QueryRewriter(shadow_arn),
            S3NotificationRewriter(shadow_arn, journal),
        )

    def rewrite(self, request: Request) -> Rewrite:
        if request.header("X-Amz-Target"):
            return self.json_target.rewrite(request)
        content_type = request.header("Content-Type") or ""
        if request.method == "POST" and "x-www-form-urlencoded" in content_type and b"Action=" in request.body:
            return self.query.rewrite(request)
        if S3NotificationRewriter.applies(request):
            return self.s3.rewrite(request)
        return request.unchanged()
