"""Project-wide pytest fixtures live in hunter.testing; this file only registers them."""

pytest_plugins: list[str] = []
