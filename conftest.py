"""Project-wide pytest fixtures live in hunter.testing; this file only registers them."""

pytest_plugins = [
    "hunter.testing.cache_fixtures",
    "hunter.testing.dns_fixtures",
    "hunter.testing.redis_server",
    "hunter.testing.registration_fixtures",
    "hunter.testing.worker_fixtures",
    "hunter.testing.api_fixtures",
    "hunter.testing.personas",
]
