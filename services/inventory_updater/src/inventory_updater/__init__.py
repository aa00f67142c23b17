"""Inventory updater: SQS inventory updates -> the current level per (product_id, location), last writer wins."""
