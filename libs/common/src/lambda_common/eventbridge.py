"""Publishing to an event bus (used by services that emit events; needs boto3).

PutEvents answers 200 even when it drops an entry, so the result is checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from lambda_common.errors import DependencyError

if TYPE_CHECKING:
    from mypy_boto3_events.client import EventBridgeClient


class EventBridgePublisher:
    def __init__(self, client: EventBridgeClient, bus_name: str) -> None:
        self._client = client
        self._bus_name = bus_name

    def publish(self, *, source: str, detail_type: str, detail: BaseModel) -> None:
        entry = {
            "Source": source,
            "DetailType": detail_type,
            "Detail": detail.model_dump_json(by_alias=True),
            "EventBusName": self._bus_name,
        }
        try:
            result = self._client.put_events(Entries=[entry])  # type: ignore[list-item]
        except (BotoCoreError, ClientError) as exc:
            raise DependencyError(f"PutEvents {detail_type} failed: {exc}") from exc
        entries = result.get("Entries") or [{}]
        if result.get("FailedEntryCount", 0) or "ErrorCode" in entries[0]:
            raise DependencyError(
                f"PutEvents rejected {detail_type}: {entries[0].get('ErrorCode')} {entries[0].get('ErrorMessage')}"
            )
