"""The lifecycle shared by the loopback HTTP test servers (RDAP, webhook receiver).

A ThreadingHTTPServer on a free 127.0.0.1 port, served from a daemon thread, usable as a
context manager. ``stopping`` is set first on stop, so handlers that play a silent server
(waiting on it) wake up and shutdown never waits for their sleep to end.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LoopbackHttpServer:
    """Base class: subclasses pass their handler; handlers reach them as ``self.server.owner``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], silent_seconds: float) -> None:
        self.silent_seconds = silent_seconds
        self.stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        # A short poll interval keeps stop(), and so every fixture teardown, quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def owner_of(handler: BaseHTTPRequestHandler) -> Any:
    """The LoopbackHttpServer a request handler serves."""
    return handler.server.owner  # type: ignore[attr-defined]
