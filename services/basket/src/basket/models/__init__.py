"""Pydantic models at the service's boundaries (HTTP bodies, table items, events)."""
