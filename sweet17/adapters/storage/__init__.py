"""Storage: the workspace's SQLite database (WAL), its schema migrations and table models."""
