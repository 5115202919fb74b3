"""Scan jobs and their per-domain outcomes."""
