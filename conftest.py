"""Project-wide pytest fixtures live in hunter.testing; this file only registers them."""

pytest_plugins = [
    "hunter.testing.dns_fixtures",
    "hunter.testing.registration_fixtures",
    "hunter.testing.worker_fixtures",
    "hunter.testing.personas",
]
