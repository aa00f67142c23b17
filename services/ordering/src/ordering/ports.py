"""What the ordering domain needs from the outside world."""

from __future__ import annotations

from typing import Protocol

from ordering.models.order import DateFilter, Order, OrderPage


class OrderRepository(Protocol):
    def add(self, order: Order) -> bool:
        """Store ``order`` unless it is already stored; False for a redelivered duplicate."""
        ...

    def list_all(self, *, limit: int, page_token: str | None) -> OrderPage: ...

    def list_for_user(self, user_name: str, *, dates: DateFilter, limit: int, page_token: str | None) -> OrderPage:
        """The user's orders, newest first, filtered by ``dates`` (already validated and normalised)."""
        ...
