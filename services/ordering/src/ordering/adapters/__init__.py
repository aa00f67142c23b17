"""boto3 implementations of the ports in ordering.ports."""
