"""Pydantic models at the ingest function's boundaries: the S3 notification in, the queue message out."""
