"""Settings of the API benchmark's server: Hunter's, with the bare comparison view added."""

from hunter.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_bench_site"
