"""The demo's one rule, free of any event format."""
