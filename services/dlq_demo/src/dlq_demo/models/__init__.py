"""Pydantic models at the demo's boundary: the payload, and the SNS and SQS envelopes that may carry it."""
