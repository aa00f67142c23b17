"""The deployable stacks; their names are part of the contract (docs/DEPLOY.md)."""
