"""pytest fixtures (see hunter.testing)."""
