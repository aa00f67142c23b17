"""Lambda entrypoints of the demo service."""
