"""What moto delivers to a shadow queue, turned into the event the real integration (EventBridge, SNS, S3) passes
to Lambda."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, quote_plus, unquote_plus, urlsplit

from localrun.model import ACCOUNT_ID, REGION


@dataclass(frozen=True)
class ShadowEvent:
    source: Literal["events", "sns", "s3", "unknown"]  # the integration that delivered it
    payload: bytes  # the Lambda event
    skip: bool = False  # s3:TestEvent


def _no_subscription(topic_arn: str) -> str | None:  # noqa: ARG001 - the lookup's signature
    return None


def shadow_to_lambda_event(body: str, subscription_arn: Callable[[str], str | None] = _no_subscription) -> ShadowEvent:
    """Turn what moto delivered to a shadow queue into the event the real integration would pass to Lambda."""
    try:
        data = json.loads(body)
    except ValueError:
        return ShadowEvent("unknown", body.encode())
    if isinstance(data, dict) and data.get("Type") == "Notification" and "TopicArn" in data:
        topic = data["TopicArn"]
        # The subscription's ARN is in its unsubscribe URL; fall back to what the runner recorded, then to a stable id.
        unsubscribe = str(data.get("UnsubscribeURL") or data.get("UnsubscribeUrl") or "")
        from_url = dict(parse_qsl(urlsplit(unsubscribe).query)).get("SubscriptionArn")
        sub_arn = from_url or subscription_arn(topic) or f"{topic}:{uuid.uuid5(uuid.NAMESPACE_URL, topic)}"
        sns = {
            "Type": "Notification",
            "MessageId": data.get("MessageId"),
            "TopicArn": topic,
            "Subject": data.get("Subject"),
            "Message": data.get("Message"),
            "Timestamp": data.get("Timestamp"),
            "SignatureVersion": data.get("SignatureVersion", "1"),
            "Signature": data.get("Signature", "EXAMPLE"),
            "SigningCertUrl": data.get("SigningCertURL", ""),
            "UnsubscribeUrl": data.get("UnsubscribeURL", ""),
            "MessageAttributes": data.get("MessageAttributes", {}),
        }
        event = {
            "Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": sub_arn, "Sns": sns}]
        }
        return ShadowEvent("sns", json.dumps(event).encode())
    if isinstance(data, dict) and data.get("Event") == "s3:TestEvent":
        return ShadowEvent("s3", b"", skip=True)
    if (
        isinstance(data, dict)
        and isinstance(data.get("Records"), list)
        and data["Records"]
        and data["Records"][0].get("eventSource") == "aws:s3"
    ):
        for record in data["Records"]:
            obj = record.get("s3", {}).get("object", {})
            if "key" in obj:  # AWS form-encodes the key but keeps '/'; moto percent-encodes '/' too
                obj["key"] = quote_plus(unquote_plus(obj["key"]), safe="/")
        return ShadowEvent("s3", json.dumps(data).encode())
    if isinstance(data, dict) and "detail-type" in data:
        # moto's envelope lacks some fields; give the function AWS's full envelope, in AWS's order.
        envelope = {
            "version": "0",
            "id": data.get("id"),
            "detail-type": data.get("detail-type"),
            "source": data.get("source"),
            "account": data.get("account", ACCOUNT_ID),
            "time": data.get("time"),
            "region": data.get("region", REGION),
            "resources": data.get("resources", []),
            "detail": data.get("detail", {}),
        }
        extra = {k: v for k, v in data.items() if k not in envelope}
        return ShadowEvent("events", json.dumps({**envelope, **extra}).encode())
    return ShadowEvent("unknown", body.encode())
