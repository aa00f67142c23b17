"""Lambda entrypoints (thin: parse, call the domain, map the result)."""
