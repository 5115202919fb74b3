"""Reading uploaded lead files: file readers and column detection (pure Python, no Django).

The services in ``scanning.services.ingest`` drive these and write through ``leads.services``.
"""
