"""Everything a user reads: the reporter interface and its implementations."""
