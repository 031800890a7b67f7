"""A small HTTP/1.1 server on loopback answering JSON, for the rig's emulators of web APIs.

:class:`JsonServer` runs the standard library's threading server on its own thread (so sync
code and asyncio tests alike reach it) and hands every request to :meth:`JsonServer.answer`,
which a subclass writes: method, path, query and form fields, headers (lower-case names) in;
status, extra headers and a JSON-able body out.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, dict[str, str], Any]


class JsonServer:
    """Start with :meth:`start` or ``with``; :attr:`url` is ``http://127.0.0.1:<port>``."""

    _http: ThreadingHTTPServer | None = None

    def answer(
        self, method: str, path: str, fields: dict[str, str], headers: dict[str, str]
    ) -> Reply:
        raise NotImplementedError

    def start(self) -> Self:
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._http is not None, "not started"
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _handler(server: JsonServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _reply(self, method: str, body: bytes) -> None:
            url = urlsplit(self.path)
            fields = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            fields.update({k: v[-1] for k, v in parse_qs(url.query).items()})
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, payload = server.answer(method, url.path, fields, headers)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._reply("GET", b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._reply("POST", self.rfile.read(length))

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler
