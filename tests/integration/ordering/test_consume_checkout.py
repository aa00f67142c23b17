"""`ordering.handlers.consume_checkout.handler` with SQS events whose bodies are EventBridge events, against moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

Consume = Callable[[dict[str, Any]], dict[str, Any]]


def _orders(order_table: Any) -> list[dict[str, Any]]:
    return list(order_table.scan()["Items"])


def test_a_checkout_becomes_an_order_dated_by_the_checkout(
    consume: Consume, sqs_event: Any, checkout_event: Any, order_table: Any
) -> None:
    # WHEN
    result = consume(sqs_event(checkout_event(checkoutId="c-1", checkoutTime="2026-11-23T12:00:00.123Z")))
    # THEN
    assert result == {"batchItemFailures": []}
    [order] = _orders(order_table)
    assert (order["orderId"], order["userName"], order["orderDate"]) == ("c-1", "swn", "2026-11-23T12:00:00.123Z")
    assert "cardNumber" not in order and "cardInfo" not in order


def test_a_duplicated_delivery_yields_one_order(
    consume: Consume, sqs_event: Any, checkout_event: Any, order_table: Any
) -> None:
    # GIVEN the same event delivered twice in one batch, and again in a later batch
    event = checkout_event(checkoutId="c-1")
    # WHEN
    first = consume(sqs_event(event, event))
    again = consume(sqs_event(event))
    # THEN
    assert first == again == {"batchItemFailures": []}
    assert [o["orderId"] for o in _orders(order_table)] == ["c-1"]


def test_one_poison_message_is_reported_alone(
    consume: Consume, sqs_event: Any, checkout_event: Any, order_table: Any
) -> None:
    # GIVEN a batch with a malformed record between two good ones
    poison = checkout_event()
    del poison["detail"]["data"]["checkoutId"]
    batch = sqs_event(
        checkout_event(checkoutId="c-1", checkoutTime="2026-11-23T12:00:00.000Z"),
        poison,
        checkout_event(checkoutId="c-2", checkoutTime="2026-11-23T12:01:00.000Z"),
    )
    # WHEN
    result = consume(batch)
    # THEN exactly that message is failed (it returns to the queue, then the DLQ); its neighbours are stored
    assert result == {"batchItemFailures": [{"itemIdentifier": batch["Records"][1]["messageId"]}]}
    assert sorted(o["orderId"] for o in _orders(order_table)) == ["c-1", "c-2"]


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "",
        "[]",
        json.dumps({"detail-type": "CheckoutBasket", "source": "com.swn.basket.checkoutbasket"}),
        "WRONG_TYPE",
        "WRONG_SOURCE",
        "NAIVE_TIME",
    ],
)
def test_malformed_messages_fail_with_the_cause_logged(
    consume: Consume,
    sqs_event: Any,
    checkout_event: Any,
    order_table: Any,
    body: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # GIVEN
    if body == "WRONG_TYPE":
        body = json.dumps({**checkout_event(), "detail-type": "ProductPriceChanged"})
    elif body == "WRONG_SOURCE":
        body = json.dumps({**checkout_event(), "source": "com.swn.product"})
    elif body == "NAIVE_TIME":
        body = json.dumps(checkout_event(checkoutTime="2026-11-23T12:00:00"))
    batch = sqs_event(body)
    # WHEN
    result = consume(batch)
    # THEN
    assert result == {"batchItemFailures": [{"itemIdentifier": batch["Records"][0]["messageId"]}]}
    assert _orders(order_table) == []
    assert any(
        record.levelname == "ERROR"
        and record.getMessage().startswith("malformed CheckoutBasket message: ")
        and getattr(record, "messageId", None) == batch["Records"][0]["messageId"]
        for record in caplog.records
    )


def test_a_dependency_failure_fails_the_records_for_a_retry(aws_env: None, sqs_event: Any, checkout_event: Any) -> None:
    # GIVEN no order table (DynamoDB fails)
    from ordering.handlers.consume_checkout import handler

    batch = sqs_event(checkout_event(checkoutId="c-1"), checkout_event(checkoutId="c-2"))
    # WHEN
    result = handler(batch, None)
    # THEN
    assert result == {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in batch["Records"]]}


def test_two_checkouts_at_the_same_millisecond_for_one_user_are_two_orders(
    consume: Consume, sqs_event: Any, checkout_event: Any, order_table: Any
) -> None:
    # GIVEN
    same_time = "2026-11-23T12:00:00.000Z"
    batch = sqs_event(
        checkout_event(checkoutId="c-1", checkoutTime=same_time),
        checkout_event(checkoutId="c-2", checkoutTime=same_time),
        checkout_event(checkoutId="c-1", checkoutTime=same_time),  # a duplicate publish of the first
    )
    # WHEN
    result = consume(batch)
    # THEN both are stored, neither over the other, and the duplicate is absorbed
    assert result == {"batchItemFailures": []}
    assert sorted(o["orderId"] for o in _orders(order_table)) == ["c-1", "c-2"]


def test_the_shipped_sample_events(consume: Consume, sample: Callable[[str], Any], order_table: Any) -> None:
    assert consume(sample("sqs-checkout.json")) == {"batchItemFailures": []}
    assert consume(sample("sqs-checkout-duplicated.json")) == {"batchItemFailures": []}
    poisoned = sample("sqs-checkout-with-poison.json")
    assert consume(poisoned) == {"batchItemFailures": [{"itemIdentifier": poisoned["Records"][1]["messageId"]}]}
    assert len(_orders(order_table)) == 2


def test_a_non_sqs_event_is_refused(consume: Consume) -> None:
    with pytest.raises(Exception, match="Invalid event format|Records|batch"):
        consume({"hello": "world"})
