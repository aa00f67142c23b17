"""A stored inventory level: what the domain decides to write and the store's port takes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InventoryLevel:
    product_id: str
    location: str
    quantity: int
    update_date: str
    sequence: str
    idempotency_key: str
