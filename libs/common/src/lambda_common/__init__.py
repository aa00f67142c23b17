"""What every service needs: typed settings, logging, the event envelope and the error base classes."""
