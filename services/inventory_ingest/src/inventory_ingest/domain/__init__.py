"""Pure ingest logic: splitting a byte stream into lines, validating rows, batching. No boto3, no environment."""
