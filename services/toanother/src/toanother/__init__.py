"""Demo service whose on_success result goes to the output bus."""
