"""boto3 implementations of the ports in ``inventory_updater.ports``."""
