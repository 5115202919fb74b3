"""Shared DRF plumbing: API keys, authentication, throttling, versioning, errors, pagination."""
