"""A small HTTP forward proxy between a client and a real server, that tests can cut.

The client reaches every host through it (httpx's `proxy=`), so it also sees requests to the address a
server advertises for itself (a PDS's DID document). It counts requests by path, and on demand drops
the connection of a chosen request, either before forwarding it (the server never sees it) or after
the server answered (the client never learns the outcome: the case that duplicates posts).
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
}


@dataclass
class Cut:
    path: str  # requests whose path ends with this
    nth: int  # the n-th such request (1-based) from when the cut was set
    after_forwarding: bool  # True: the server handles it, the client gets no answer
    seen: int = 0
    done: bool = False
    # Instead of cutting: answer this (status, headers, JSON body) without forwarding.
    reply: tuple[int, dict[str, str], dict] | None = None


@dataclass
class ForwardProxy:
    url: str = ""
    requests: Counter[str] = field(default_factory=Counter)
    cuts: list[Cut] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cut(self, path: str, nth: int = 1, *, after_forwarding: bool = True) -> Cut:
        cut = Cut(path, nth, after_forwarding)
        with self.lock:
            self.cuts.append(cut)
        return cut

    def answer(
        self, path: str, status: int, body: dict, headers: dict[str, str] | None = None, nth: int = 1
    ) -> Cut:
        """Answer the n-th next request to `path` with `status` and `body`, as a server in trouble would."""
        cut = Cut(path, nth, False, reply=(status, headers or {}, body))
        with self.lock:
            self.cuts.append(cut)
        return cut

    def count(self, path_suffix: str) -> int:
        with self.lock:
            return sum(n for path, n in self.requests.items() if path.endswith(path_suffix))

    def _cut_for(self, path: str) -> Cut | None:
        with self.lock:
            self.requests[path] += 1
            for cut in self.cuts:
                if not cut.done and path.endswith(cut.path):
                    cut.seen += 1
                    if cut.seen == cut.nth:
                        cut.done = True
                        return cut
        return None


def _handler(proxy: ForwardProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _forward(self) -> None:
            target = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            cut = proxy._cut_for(target.path)
            if cut and cut.reply:
                status, headers, payload = cut.reply
                data = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if cut and not cut.after_forwarding:
                self.close_connection = True
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            upstream = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=60)
            try:
                path = target.path + (f"?{target.query}" if target.query else "")
                upstream.request(self.command, path, body=body, headers=headers)
                response = upstream.getresponse()
                payload = response.read()
            finally:
                upstream.close()
            if cut:
                self.close_connection = True  # the server acted; the client never hears of it
                return
            self.send_response(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _forward

    return Handler


@contextmanager
def forward_proxy() -> Iterator[ForwardProxy]:
    proxy = ForwardProxy()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
