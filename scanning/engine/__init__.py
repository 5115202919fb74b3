"""The scanning engine: pure Python, no Django.

Domain normalisation, DNS and registration lookups, provider detection and scoring. Plain
values and frozen dataclasses in and out; rules and provider tables are data files beside the
code. A ruff banned-import rule keeps Django out of this package.
"""
