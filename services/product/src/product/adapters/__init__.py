"""boto3 implementations of the ports in product.ports."""
