"""Content negotiation for file downloads (CSV, XLSX, PDF)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class FileDownloadNegotiation(DefaultContentNegotiation):
    """The file is the answer whatever ``Accept`` says, and errors are JSON.

    A client asking ``Accept: application/pdf`` would otherwise get 406, as JSON is the only
    renderer; the file response itself bypasses renderers.
    """

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: Any = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type
