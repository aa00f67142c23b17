"""Local runner: RIE provisioning, single-service runs and the whole-topology runner."""
