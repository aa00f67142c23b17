"""In-memory fakes of the basket ports (no network, no boto3)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from basket.domain.baskets import BasketService
from basket.domain.checkout import CheckoutService
from basket.models.basket import Basket, ProductInfo
from basket.models.checkout import CheckoutAccepted
from lambda_common.errors import DependencyError, InvalidInputError
from pydantic import BaseModel

NOW = datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=UTC)


class FakeBaskets:
    def __init__(self) -> None:
        self.items: dict[str, Basket] = {}
        self.before_put: list[Any] = []  # callables run before a conditional put (to simulate a race)

    def get(self, user_name: str) -> Basket | None:
        return self.items.get(user_name)

    def put(self, basket: Basket, *, expected_revision: str | None = None) -> bool:
        current = self.items.get(basket.userName)
        if expected_revision is not None:
            if self.before_put:
                self.before_put.pop(0)()
                current = self.items.get(basket.userName)
            if current is None or current.revision != expected_revision:
                return False
        elif current is not None and current.checkout is not None and current.checkout.state == "pending":
            return False
        self.items[basket.userName] = basket
        return True

    def delete(self, user_name: str, *, expected_revision: str | None = None) -> bool:
        current = self.items.get(user_name)
        if current is None or (expected_revision is not None and current.revision != expected_revision):
            return False
        del self.items[user_name]
        return True

    def containing(self, product_id: str) -> Iterator[Basket]:
        yield from [b for b in self.items.values() if product_id in b.product_ids]


class FakeProducts:
    def __init__(self, products: dict[str, ProductInfo]) -> None:
        self.products = products

    def find(self, product_ids: Iterable[str]) -> dict[str, ProductInfo]:
        return {pid: self.products[pid] for pid in product_ids if pid in self.products}


class FakeBus:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, dict[str, Any]]] = []
        self.fail = False

    def publish(self, *, source: str, detail_type: str, detail: BaseModel) -> None:
        if self.fail:
            raise DependencyError("bus rejected the entry")
        self.published.append((source, detail_type, detail.model_dump(mode="json", by_alias=True)))


class FakeIdempotency:
    """Remembers successful answers by key (in-process), as the Powertools adapter does in DynamoDB."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[str, CheckoutAccepted]] = {}

    def once(self, *, key: str, request: BaseModel, action: Callable[[], CheckoutAccepted]) -> CheckoutAccepted:
        fingerprint = request.model_dump_json()
        if key in self.answers:
            first, answer = self.answers[key]
            if first != fingerprint:
                raise InvalidInputError("this Idempotency-Key was already used with a different request")
            return answer
        answer = action()
        self.answers[key] = (fingerprint, answer)
        return answer


@pytest.fixture
def baskets() -> FakeBaskets:
    return FakeBaskets()


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()


@pytest.fixture
def products() -> FakeProducts:
    return FakeProducts(
        {
            "phone": ProductInfo(name="IPhone X", price=Decimal("950.40")),
            "case": ProductInfo(name="Phone case", price=Decimal("19.99")),
        }
    )


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(baskets: FakeBaskets, products: FakeProducts, clock: Clock) -> BasketService:
    ids = iter(f"id-{n}" for n in range(1000))
    return BasketService(baskets, products, clock=clock, new_id=lambda: next(ids))


@pytest.fixture
def checkouts(baskets: FakeBaskets, products: FakeProducts, bus: FakeBus, clock: Clock) -> CheckoutService:
    ids = iter(f"rev-{n}" for n in range(1000))
    return CheckoutService(baskets, products, bus, FakeIdempotency(), clock=clock, new_id=lambda: next(ids))
