"""Inventory CSV ingest: S3 ObjectCreated -> stream the CSV -> valid rows to SQS, invalid rows to a rejects report."""
