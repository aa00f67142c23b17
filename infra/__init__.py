"""CDK v2 app that deploys every system in this repository (see docs/DEPLOY.md)."""
