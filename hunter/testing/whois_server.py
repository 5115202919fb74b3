"""A real port-43 style WHOIS server on 127.0.0.1 for tests.

Like a registry's server it reads one line (the query), writes a text answer and closes the
connection. Unknown names get a Verisign-style "No match" answer. Per-query failure modes
cover the ways real servers misbehave; every query is counted.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections import Counter
from enum import StrEnum

# Bytes that decode to nothing a WHOIS parser could recognise.
GARBAGE = b"\x00\xff\xfe%%%\r\n\x1b[2J" + bytes(range(128, 256)) + b"\r\n"
MAX_QUERY_BYTES = 1024


class WhoisBehaviour(StrEnum):
    """How the server answers one query instead of its canned text."""

    SILENT = "silent"  # read the query, never answer (until the server stops)
    EMPTY = "empty"  # close the connection without writing anything
    GARBAGE = "garbage"  # write bytes that are not a WHOIS record


class WhoisServer:
    """Canned WHOIS answers served over real TCP on a free loopback port."""

    def __init__(self, silent_seconds: float = 30.0) -> None:
        self.responses: dict[str, str] = {}
        self.behaviours: dict[str, WhoisBehaviour] = {}
        self.queries: Counter[str] = Counter()
        self.silent_seconds = silent_seconds
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _WhoisHandler)
        self._tcp.daemon_threads = True
        self._tcp.whois = self  # type: ignore[attr-defined]
        # A short poll interval keeps stop(), and so every fixture teardown, quick.
        self._thread = threading.Thread(
            target=self._tcp.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._tcp.server_address[1])

    @property
    def address(self) -> str:
        """ "host:port", the form the engine's WHOIS server override takes."""
        return f"127.0.0.1:{self.port}"

    def add_response(self, query: str, text: str) -> None:
        """Answer `query` (a domain, or a TLD for IANA-style referrals) with `text`."""
        self.responses[query.lower()] = text

    def set_behaviour(self, query: str, behaviour: WhoisBehaviour | str) -> None:
        """Answer `query` with a failure mode instead of text."""
        self.behaviours[query.lower()] = WhoisBehaviour(behaviour)

    def query_count(self, query: str | None = None) -> int:
        """Queries seen for one name, or in total when `query` is None."""
        with self._lock:
            return self.queries[query.lower()] if query else sum(self.queries.values())

    def count(self, query: str) -> None:
        with self._lock:
            self.queries[query] += 1

    def answer_for(self, query: str) -> bytes:
        text = self.responses.get(query)
        if text is None:
            text = f'No match for "{query.upper()}".\r\n>>> Last update of whois database <<<\r\n'
        return text.encode()

    def start(self) -> WhoisServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        # Wake silent handlers first so shutdown does not wait for their sleep to end.
        self.stopping.set()
        self._tcp.shutdown()
        self._tcp.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> WhoisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _WhoisHandler(socketserver.StreamRequestHandler):
    # A client that connects and sends nothing must not pin a server thread forever.
    timeout = 10

    @property
    def whois(self) -> WhoisServer:
        return self.server.whois  # type: ignore[attr-defined]

    def handle(self) -> None:
        try:
            raw = self.rfile.readline(MAX_QUERY_BYTES)
        except (TimeoutError, OSError):
            return
        query = raw.decode("utf-8", "replace").strip().lower()
        self.whois.count(query)
        behaviour = self.whois.behaviours.get(query)
        if behaviour is WhoisBehaviour.SILENT:
            self.whois.stopping.wait(self.whois.silent_seconds)
        elif behaviour is WhoisBehaviour.GARBAGE:
            self._write(GARBAGE)
        elif behaviour is None:
            self._write(self.whois.answer_for(query))

    def _write(self, payload: bytes) -> None:
        try:
            self.wfile.write(payload)
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the client gave up first (a timeout test); nothing left to tell it
