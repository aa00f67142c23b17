"""Business rules. No boto3, FastAPI, Mangum or os.environ here."""
