"""Pydantic models at the updater's boundary: the queue message (the ingest function's output contract)."""
