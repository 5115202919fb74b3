"""A real HTTP server on 127.0.0.1 for tests that send webhooks: it records every request.

Each path answers 200 unless told otherwise: ``set_status(path, 500)`` makes it fail,
``set_silent(path)`` makes it read the request and then answer nothing (a hung receiver),
``reset(path)`` makes it answer 200 again. Requests are recorded before the answer, so a
test can see what a silent receiver was sent.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from hunter.testing.loopback_http import LoopbackHttpServer, owner_of

SILENT = -1  # status marker: read the request, never answer


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON (raises on a body that is not JSON, failing the test)."""
        return json.loads(self.body)


@dataclass
class _State:
    statuses: dict[str, int] = field(default_factory=dict)
    requests: list[ReceivedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class HttpReceiver(LoopbackHttpServer):
    """Records requests over real HTTP on a free loopback port; per-path failure modes."""

    def __init__(self, silent_seconds: float = 30.0) -> None:
        self._state = _State()
        super().__init__(_ReceiverHandler, silent_seconds)

    def url(self, path: str = "/hook") -> str:
        """The full URL of ``path`` on this receiver."""
        return f"http://127.0.0.1:{self.port}{path}"

    def set_status(self, path: str, status: int) -> None:
        """Answer requests to ``path`` with this HTTP status (and an empty JSON body)."""
        with self._state.lock:
            self._state.statuses[path] = status

    def set_silent(self, path: str) -> None:
        """Read requests to ``path`` but never answer them (until the receiver stops)."""
        self.set_status(path, SILENT)

    def reset(self, path: str) -> None:
        """Answer ``path`` with 200 again."""
        with self._state.lock:
            self._state.statuses.pop(path, None)

    def status_for(self, path: str) -> int:
        with self._state.lock:
            return self._state.statuses.get(path, HTTPStatus.OK)

    def record(self, request: ReceivedRequest) -> None:
        with self._state.lock:
            self._state.requests.append(request)

    def requests(self, path: str | None = None) -> list[ReceivedRequest]:
        """Requests received so far, oldest first; only those to ``path`` when given."""
        with self._state.lock:
            return [r for r in self._state.requests if path is None or r.path == path]


class _ReceiverHandler(BaseHTTPRequestHandler):
    server_version = "HunterTestReceiver/1.0"

    @property
    def receiver(self) -> HttpReceiver:
        return owner_of(self)

    def do_POST(self) -> None:
        self._receive()

    def do_GET(self) -> None:
        self._receive()

    def _receive(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.receiver.record(ReceivedRequest(self.command, path, headers, body))
        status = self.receiver.status_for(path)
        if status == SILENT:
            self.receiver.stopping.wait(self.receiver.silent_seconds)
            self.close_connection = True
            return
        answer = b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        # Tests read the recorded requests, not access logs; keep pytest output clean.
        pass
