"""Pure updater logic: what "newer" means and what happens to stale and duplicate updates."""
