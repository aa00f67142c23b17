"""Lambda entrypoints of the updater service."""
