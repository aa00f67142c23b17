"""Demo service whose on_success result goes back to the source bus."""
