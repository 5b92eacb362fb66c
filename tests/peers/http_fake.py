"""A real HTTP server on loopback for peers that cannot run locally (X, Mastodon).

A peer is a function from a request to a reply; tests can queue scripted replies for a route (a 429 with
its headers, a 503) or have the connection dropped after the peer acted, the case of a lost answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def form(self) -> dict[str, Any]:
        """The body as JSON or as a form (one value per key, lists for `key[]`)."""
        if not self.body:
            return {}
        if "json" in self.headers.get("content-type", ""):
            return json.loads(self.body)
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {k: (v if k.endswith("[]") else v[-1]) for k, v in parsed.items()}


@dataclass
class Reply:
    status: int
    body: Any = None  # dict/list: JSON; str/bytes: as is
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (after the peer acted)

    def payload(self) -> tuple[bytes, str]:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode(), "application/json; charset=utf-8"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return self.body or b"", "application/octet-stream"


@dataclass
class Script:
    method: str
    path: str
    reply: Reply | None  # None with act=True: let the peer act, then drop the connection
    act: bool = False
    nth: int = 1  # applies to the n-th matching request from when it was set
    seen: int = 0


@dataclass
class FakeServer:
    peer: Callable[[Request], Reply]
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    scripts: list[Script] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, method: str, path: str, reply: Reply, nth: int = 1) -> None:
        """Answer the n-th next `method path` request with `reply` instead of the peer."""
        with self.lock:
            self.scripts.append(Script(method, path, reply, nth=nth))

    def drop_after(self, method: str, path: str, nth: int = 1) -> None:
        """Let the peer handle the n-th next `method path` request, then close the connection unanswered."""
        with self.lock:
            self.scripts.append(Script(method, path, None, act=True, nth=nth))

    def seen(self, method: str, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def _handle(self, request: Request) -> Reply:
        with self.lock:
            self.requests.append(request)
            script = None
            for candidate in self.scripts:
                if (candidate.method, candidate.path) == (request.method, request.path):
                    candidate.seen += 1
                    if candidate.seen == candidate.nth and script is None:
                        script = candidate
            if script:
                self.scripts.remove(script)
        if script and not script.act:
            assert script.reply is not None
            return script.reply
        reply = self.peer(request)
        if script and script.act:
            return Reply(reply.status, drop=True)
        return reply


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                # Routes answer with or without a trailing slash, as Rails' do.
                method=self.command,
                path=parts.path.rstrip("/") or "/",
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            reply = server._handle(request)
            if reply.drop:
                self.close_connection = True
                return
            body, content_type = reply.payload()
            self.send_response(reply.status)
            headers = {"Content-Type": content_type, **reply.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    return Handler


@contextmanager
def serving(peer: Callable[[Request], Reply]) -> Iterator[FakeServer]:
    fake = FakeServer(peer)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    httpd.daemon_threads = True
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
