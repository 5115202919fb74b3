"""The sales summary of one lead: a pure engine, its reads of stored rows, and the PDF.

``engine`` decides (plain values in, frozen dataclasses out, no Django); ``selectors`` is the
only module that reads model fields for it; ``pdf`` renders the one-page account summary.
"""
