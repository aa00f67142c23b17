"""Adapter behaviour that needs no AWS: page tokens and PutEvents result checking (with a stub client)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lambda_common import page_token
from lambda_common.errors import DependencyError, InvalidInputError
from lambda_common.eventbridge import EventBridgePublisher
from pydantic import BaseModel


def test_a_page_token_round_trips() -> None:
    key = {"id": "p1", "category": "Phone"}
    token = page_token.encode(key)
    assert token is not None and "=" not in token
    assert page_token.decode(token, keys=frozenset(key)) == key


def test_no_last_key_means_no_token() -> None:
    assert page_token.encode(None) is None
    assert page_token.encode({}) is None


@pytest.mark.parametrize(
    "token",
    ["not base64 !", "e30", page_token.encode({"other": "x"}), page_token.encode({"id": "p1", "category": "c"}), "W10"],
)
def test_foreign_or_forged_tokens_are_invalid_input(token: str) -> None:
    with pytest.raises(InvalidInputError, match="nextToken"):
        page_token.decode(token, keys=frozenset({"id"}))


class _Detail(BaseModel):
    value: int


class StubEvents:
    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.calls.append(Entries)
        return self.result


def test_publish_sends_one_entry_to_the_configured_bus() -> None:
    # GIVEN
    client = StubEvents({"FailedEntryCount": 0, "Entries": [{"EventId": "e1"}]})
    # WHEN
    EventBridgePublisher(lambda: client, "the-bus").publish(source="s", detail_type="T", detail=_Detail(value=1))  # type: ignore[arg-type,return-value]
    # THEN
    [[entry]] = client.calls
    assert entry["EventBusName"] == "the-bus"
    assert (entry["Source"], entry["DetailType"], json.loads(entry["Detail"])) == ("s", "T", {"value": 1})


def test_a_failed_entry_is_an_error_not_a_silent_loss() -> None:
    # GIVEN PutEvents answers 200 but drops the entry, as it does when throttled
    client = StubEvents(
        {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}]}
    )
    # WHEN / THEN
    with pytest.raises(DependencyError, match="ThrottlingException"):
        EventBridgePublisher(lambda: client, "b").publish(source="s", detail_type="T", detail=_Detail(value=1))  # type: ignore[arg-type,return-value]
