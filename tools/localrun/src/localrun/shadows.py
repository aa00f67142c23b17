"""Shadow queues: the private SQS queue per function that stands in for it wherever AWS would call a Lambda.

moto cannot run image functions, so a Lambda target (an EventBridge rule target, an SNS subscription, an S3
notification) is registered in moto as this queue; moto still matches patterns and fans out, and a poller drains
the queue and invokes the function asynchronously (:class:`localrun.pollers.ShadowQueuePoller`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from localrun.model import ACCOUNT_ID, REGION

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SHADOW_PREFIX = "localrun-shadow-"


def shadow_queue_name(function_name: str) -> str:
    return (SHADOW_PREFIX + function_name)[:80]


def function_arn(function_name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"


class ShadowRegistry:
    """Which functions have a shadow queue, and the SNS subscriptions made for them; every write under one lock.

    ``on_new(function_name, queue_url)`` is called once per function, after its queue exists.
    """

    def __init__(self, sqs: SQSClient, on_new: Callable[[str, str], None]) -> None:
        self._sqs = sqs
        self._on_new = on_new
        self._lock = threading.Lock()
        self._known: dict[str, str] = {}  # function name -> shadow queue ARN
        self._subscriptions: dict[tuple[str, str], str] = {}  # (function, topic ARN) -> subscription ARN

    def arn_for(self, function_name: str) -> str:
        """The shadow queue's ARN for ``function_name``, created (and its poller started) on first use."""
        with self._lock:
            known = self._known.get(function_name)
            if known is not None:
                return known
            name = shadow_queue_name(function_name)
            url = self._sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
            self._known[function_name] = arn
        self._on_new(function_name, url)
        return arn

    def record_subscription(self, function_name: str, topic_arn: str, subscription_arn: str) -> None:
        with self._lock:
            self._subscriptions[(function_name, topic_arn)] = subscription_arn

    def subscription_arn(self, function_name: str, topic_arn: str) -> str | None:
        with self._lock:
            return self._subscriptions.get((function_name, topic_arn))

    def to_function_arns(self, text: str) -> str:
        """Replace shadow queue ARNs with the function ARNs they stand for (in responses users read)."""
        with self._lock:
            known = dict(self._known)
        for fn, arn in known.items():
            text = text.replace(arn, function_arn(fn))
        return text
