"""Ingest, scan and job API routes (mounted twice by hunter.api.urls). Literal paths first."""

urlpatterns: list = []
