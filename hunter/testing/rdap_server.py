"""A real RDAP server on 127.0.0.1 for tests: canned JSON per domain plus failure modes.

Routes:
    GET /domain/<name>              canned RDAP JSON, or 404 when no response is registered
    GET /redirected/domain/<name>   where the "redirect" behaviour sends clients
    GET /bootstrap/dns.json         an RFC 9224 bootstrap document pointing back at this server

Every request is counted per path so tests can prove a lookup did (or did not) happen.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from enum import StrEnum
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from hunter.testing.loopback_http import LoopbackHttpServer, owner_of

DOMAIN_PREFIX = "/domain/"
REDIRECT_PREFIX = "/redirected/domain/"
BOOTSTRAP_PATH = "/bootstrap/dns.json"

# TLDs the bootstrap document claims to serve. ".tr" is deliberately absent: the real IANA
# registry has no RDAP service for it, and the engine must fall back to WHOIS.
DEFAULT_BOOTSTRAP_TLDS = ("com", "net", "org", "io", "co", "uk", "de", "fr", "nl", "example")


class RdapBehaviour(StrEnum):
    """How the server answers for one domain instead of its canned JSON."""

    SERVER_ERROR = "server_error"  # HTTP 500
    SILENT = "silent"  # accept the request, answer nothing until the server stops
    MALFORMED = "malformed"  # HTTP 200 with a body that is not JSON
    REDIRECT = "redirect"  # 302 to /redirected/domain/<name> on this server


class RdapServer(LoopbackHttpServer):
    """Canned RDAP responses served over real HTTP on a free loopback port."""

    def __init__(self, silent_seconds: float = 30.0) -> None:
        self.responses: dict[str, dict[str, Any]] = {}
        self.behaviours: dict[str, RdapBehaviour] = {}
        self.bootstrap_tlds: list[str] = list(DEFAULT_BOOTSTRAP_TLDS)
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        super().__init__(_RdapHandler, silent_seconds)

    @property
    def base_url(self) -> str:
        """Root URL; the engine appends "domain/<name>" to it, as to any RDAP base URL."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def bootstrap_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{BOOTSTRAP_PATH}"

    def add_domain(self, domain: str, document: dict[str, Any]) -> None:
        """Serve `document` as the RDAP answer for `domain`."""
        self.responses[domain.lower()] = document

    def set_behaviour(self, domain: str, behaviour: RdapBehaviour | str) -> None:
        """Answer `domain` with a failure mode (or a redirect) instead of plain JSON."""
        self.behaviours[domain.lower()] = RdapBehaviour(behaviour)

    def request_count(self, path: str | None = None) -> int:
        """Requests seen for one path, or for all paths when `path` is None."""
        with self._lock:
            return self.requests[path] if path else sum(self.requests.values())

    def domain_path(self, domain: str) -> str:
        return f"{DOMAIN_PREFIX}{domain.lower()}"

    def count(self, path: str) -> None:
        with self._lock:
            self.requests[path] += 1

    def bootstrap_document(self) -> dict[str, Any]:
        """RFC 9224 "dns.json" whose only service URL is this server."""
        return {
            "version": "1.0",
            "publication": "2026-01-01T00:00:00Z",
            "description": "Hunter loopback RDAP bootstrap for tests",
            "services": [[list(self.bootstrap_tlds), [self.base_url]]],
        }


class _RdapHandler(BaseHTTPRequestHandler):
    server_version = "HunterTestRDAP/1.0"

    @property
    def rdap(self) -> RdapServer:
        return owner_of(self)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.rdap.count(path)
        if path == BOOTSTRAP_PATH:
            self._send_json(HTTPStatus.OK, self.rdap.bootstrap_document())
        elif path.startswith(REDIRECT_PREFIX):
            self._send_canned(path.removeprefix(REDIRECT_PREFIX).lower())
        elif path.startswith(DOMAIN_PREFIX):
            self._answer_domain(path.removeprefix(DOMAIN_PREFIX).lower())
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"errorCode": 404, "title": "Not Found"})

    def _answer_domain(self, domain: str) -> None:
        behaviour = self.rdap.behaviours.get(domain)
        if behaviour is RdapBehaviour.SERVER_ERROR:
            self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"errorCode": 500})
        elif behaviour is RdapBehaviour.SILENT:
            self.rdap.stopping.wait(self.rdap.silent_seconds)
            self.close_connection = True
        elif behaviour is RdapBehaviour.MALFORMED:
            self._send_body(HTTPStatus.OK, b'{"objectClassName": "domain", "ldhName": ')
        elif behaviour is RdapBehaviour.REDIRECT:
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", f"{REDIRECT_PREFIX}{domain}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send_canned(domain)

    def _send_canned(self, domain: str) -> None:
        document = self.rdap.responses.get(domain)
        if document is None:
            self._send_json(HTTPStatus.NOT_FOUND, {"errorCode": 404, "title": "Not Found"})
        else:
            self._send_json(HTTPStatus.OK, document)

    def _send_json(self, status: HTTPStatus, document: dict[str, Any]) -> None:
        self._send_body(status, json.dumps(document).encode())

    def _send_body(self, status: HTTPStatus, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/rdap+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # Tests read counters, not access logs; keep pytest output clean.
        pass
