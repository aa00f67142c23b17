"""Pydantic models at the service's boundaries (SQS message bodies, table items, HTTP answers)."""
