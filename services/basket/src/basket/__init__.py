"""Basket service: basket REST API and checkout; consumes ProductPriceChanged."""
