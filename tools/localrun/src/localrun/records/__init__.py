"""The event and record shapes AWS builds around a Lambda invocation, one module per kind. Pure: no I/O."""
