"""Reports: saved analytics queries that run in the background, on demand or on a schedule."""
