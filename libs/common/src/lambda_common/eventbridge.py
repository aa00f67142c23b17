"""Publishing to an event bus (used by services that emit events; needs botocore).

PutEvents answers 200 even when it drops an entry, so the result is checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from lambda_common.errors import DependencyError

if TYPE_CHECKING:
    from mypy_boto3_events.client import EventBridgeClient


class EventBridgePublisher:
    """Publishes to ``bus_name`` with the client ``client_factory`` returns (e.g. ``partial(aws.client, "events")``).

    The client is made on the first publish: creating one costs tens of ms of a cold start, which requests that
    never publish (reads, most price updates) should not pay.
    """

    def __init__(self, client_factory: Callable[[], EventBridgeClient], bus_name: str) -> None:
        self._client_factory = client_factory
        self._bus_name = bus_name

    def publish(self, *, source: str, detail_type: str, detail: BaseModel) -> None:
        entry = {
            "Source": source,
            "DetailType": detail_type,
            "Detail": detail.model_dump_json(by_alias=True),
            "EventBusName": self._bus_name,
        }
        try:
            result = self._client_factory().put_events(Entries=[entry])  # type: ignore[list-item]
        except (BotoCoreError, ClientError) as exc:
            raise DependencyError(f"PutEvents {detail_type} failed: {exc}") from exc
        entries = result.get("Entries") or [{}]
        if result.get("FailedEntryCount", 0) or "ErrorCode" in entries[0]:
            raise DependencyError(
                f"PutEvents rejected {detail_type}: {entries[0].get('ErrorCode')} {entries[0].get('ErrorMessage')}"
            )
