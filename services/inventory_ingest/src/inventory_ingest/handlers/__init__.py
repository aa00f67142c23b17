"""Lambda entrypoints of the ingest service."""
