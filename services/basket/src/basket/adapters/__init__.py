"""boto3 implementations of the ports in basket.ports."""
