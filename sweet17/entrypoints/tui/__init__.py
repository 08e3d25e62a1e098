"""Terminal interfaces for field operators (rich panels; imported only when a session runs)."""
