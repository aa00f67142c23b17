"""Ordering service: orders from CheckoutBasket events and the order query API."""
