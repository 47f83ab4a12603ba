"""What persists between runs, read by the no-op path: standard library only."""
