"""Django-aware orchestration of ingest and scans; one module per flow, nothing re-exported."""
