"""What the basket domain needs from the outside world."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from pydantic import BaseModel

from basket.models.basket import Basket, ProductInfo
from basket.models.checkout import CheckoutAccepted


class BasketRepository(Protocol):
    def get(self, user_name: str) -> Basket | None: ...

    def put(self, basket: Basket, *, expected_revision: str | None = None) -> bool:
        """Write ``basket``; with ``expected_revision``, only if the stored one still has it (else False); without,
        only if no checkout of the stored basket is pending (else False)."""
        ...

    def delete(self, user_name: str, *, expected_revision: str | None = None) -> bool:
        """Delete the basket; False if it is missing (or, with ``expected_revision``, was changed meanwhile)."""
        ...

    def containing(self, product_id: str) -> Iterator[Basket]:
        """Every basket that holds ``product_id``."""
        ...


class ProductLookup(Protocol):
    def find(self, product_ids: Iterable[str]) -> dict[str, ProductInfo]:
        """The products that exist among ``product_ids`` (at most 100), by id."""
        ...


class Idempotency(Protocol):
    def once(self, *, key: str, request: BaseModel, action: Callable[[], CheckoutAccepted]) -> CheckoutAccepted:
        """``action()``'s answer, computed once per ``key`` and remembered (at least 24 h) only if it succeeded.

        ConflictError while the first request with ``key`` is still running; InvalidInputError if ``key`` was
        used with a different ``request``.
        """
        ...


class EventPublisher(Protocol):
    def publish(self, *, source: str, detail_type: str, detail: BaseModel) -> None:
        """Publish one event; DependencyError unless the bus accepted it."""
        ...
