"""The HTTP side: a threaded stdlib server, and the app that answers each request.

The app checks the bearer token, serves the control path `/_local/*`, injects faults,
routes `/api/2.0/...` calls to the services and wraps errors in Databricks' envelope.
Every request gets its own thread, so latency injected into one never delays another;
`disable_nagle_algorithm` saves 40 ms per keep-alive request (performance-notes.md §1).

Whatever a client sends is answered, never crashes a thread: a body over MAX_BODY_BYTES is
413 unread, a malformed length, chunk or JSON body is 400 MALFORMED_REQUEST (so is a body a
service cannot read, as Databricks answers a body that does not parse as the API's message),
and a connection idle or this slow for `connection_timeout_seconds` is closed.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import socket
import sqlite3
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import replace
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import ValidationError

from provisioner.local import services
from provisioner.local.faults import Faults
from provisioner.local.protocol import (
    MAX_BODY_BYTES,
    ApiError,
    Context,
    Request,
    Response,
    malformed,
)
from provisioner.local.services import vector_rows
from provisioner.local.store import Store

logger = logging.getLogger(__name__)

WELL_KNOWN = "/.well-known/databricks-config"
CONTROL = "/_local/"
_UNREADABLE = (TypeError, AttributeError, KeyError, IndexError, ValueError, RecursionError,
               sqlite3.ProgrammingError)
"""What service code raises on a body of the wrong shape (a list where it reads a name, ...);
binding such a value as a key is sqlite3's ProgrammingError."""


class RequestLog:
    """Method, path, status, start time and elapsed seconds of every call, newest last."""

    def __init__(self, limit: int = 100_000):
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class App:
    """Answers one request; shared by every connection thread."""

    def __init__(self, directory: Path, store: Store, faults: Faults, token: str | None):
        self.directory = directory
        self.store = store
        self.faults = faults
        self.log = RequestLog()
        self.scheme = "http"  # "https" when served with TLS: answers name this server's URL
        self._token = token

    def reset(self) -> None:
        self.store.reset()
        self.log.clear()

    def respond(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        started, clock = time.time(), time.perf_counter()
        url = urlsplit(target)
        request = Request(method, url.path, {}, parse_qs(url.query),
                          headers.get("Content-Type", ""), body)
        try:
            response = self._dispatch(request, headers)
        except ApiError as e:
            response = _error(e)
        except _UNREADABLE as e:
            logger.debug("%s %s: unreadable body", method, url.path, exc_info=True)
            response = _error(malformed(f"{type(e).__name__}: {e}"))
        except Exception as e:
            logger.exception("%s %s failed", method, url.path)
            response = _error(ApiError(500, "INTERNAL_ERROR", f"The local workspace failed: {e!r}"))
        if not url.path.startswith(CONTROL):
            self.log.add({"method": method, "path": url.path, "status": response.status,
                          "time": started, "elapsed": time.perf_counter() - clock})
        return response

    def _dispatch(self, request: Request, headers: Message) -> Response:
        base_url = f"{self.scheme}://{headers.get('Host', '127.0.0.1')}"
        if not request.path.startswith(CONTROL) and (delay := self.faults.latency()):
            time.sleep(delay)  # the network's: the probe pays it too (no sleep(0): a GIL hand-off)
        if request.path == WELL_KNOWN:  # probed by the SDK without credentials
            with self.store.read() as tx:
                workspace_id = services.workspace_id(tx)
            return Response({"workspace_id": workspace_id, "oidc_endpoint": f"{base_url}/oidc"})
        self._authenticate(headers.get("Authorization", ""))
        if request.path.startswith(CONTROL):
            return self._control(request)
        fault = self.faults.pick(request.method, request.path)
        if fault and not fault.lose_response:
            raise fault
        found = services.ROUTES.match(request.method, request.path)
        if found is None:
            raise ApiError(404, "ENDPOINT_NOT_FOUND",
                           f"No API found for '{request.method} {request.path}'")
        handler, params = found
        ctx = Context(self.store, self.faults.settings, self.faults, self.directory, base_url,
                      time.time())
        result = handler(ctx, replace(request, params=params))
        if fault:  # the work is done, the answer is lost
            raise fault
        return result if isinstance(result, Response) else Response(result)

    def _authenticate(self, authorization: str) -> None:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential:
            raise ApiError(401, "UNAUTHENTICATED",
                           "Credential was not sent or was of an unsupported type for this API.")
        if self._token is not None and not hmac.compare_digest(credential.encode(),
                                                               self._token.encode()):
            raise ApiError(401, "UNAUTHENTICATED", "Invalid access token.")

    def _control(self, request: Request) -> Response:
        """`GET|PUT /_local/config`, `GET /_local/requests`, `POST /_local/reset`,
        `PUT /_local/tables/<catalog.schema.table>` (a table stand-in for Delta Sync)."""
        match request.method, request.path.removeprefix(CONTROL):
            case "GET", "config":
                return Response(self.faults.settings.model_dump(mode="json"))
            case "PUT", "config":
                try:
                    settings = self.faults.configure(request.json())
                except ValidationError as e:
                    raise ApiError.invalid(str(e)) from e
                return Response(settings.model_dump(mode="json"))
            case "GET", "requests":
                return Response({"requests": self.log.entries()})
            case "POST", "reset":
                self.reset()
                return Response({})
            case "PUT", path if path.startswith("tables/"):
                ctx = Context(self.store, self.faults.settings, self.faults, self.directory,
                              "", time.time())
                return Response(vector_rows.put_table(ctx, path.removeprefix("tables/"),
                                                      request.json()))
        raise ApiError(404, "ENDPOINT_NOT_FOUND",
                       f"No API found for '{request.method} {request.path}'")


def _within_limit(size: int) -> int:
    if size > MAX_BODY_BYTES:
        raise ApiError(413, "REQUEST_ENTITY_TOO_LARGE",
                       f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    return size


def _error(error: ApiError) -> Response:
    body = {"error_code": error.error_code, "message": error.message, "details": [
        {"@type": "type.googleapis.com/google.rpc.RequestInfo", "request_id": str(uuid.uuid4()),
         "serving_data": ""},
    ]}
    return Response(body, status=error.status, headers=error.headers)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the SDK pools its connections
    disable_nagle_algorithm = True
    wbufsize = -1  # headers and body leave in one send at the request's flush, not two
    server: Server

    def setup(self) -> None:
        """Every read waits at most the timeout: an idle keep-alive connection, or a client
        that stalls mid-request, gives its thread back."""
        self.timeout = self.server.app.faults.settings.connection_timeout_seconds
        super().setup()

    def _serve(self) -> None:
        try:
            body = self._body()
        except ApiError as e:
            self.close_connection = True  # the rest of the body was never read
            self._send(_error(e))
            return
        self._send(self.server.app.respond(self.command, self.path, self.headers, body))

    def _send(self, response: Response) -> None:
        payload = response.raw if response.raw is not None else json.dumps(
            response.body, separators=(",", ":")).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":  # the Files API's metadata calls: headers only
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def _body(self) -> bytes:
        deadline = time.monotonic() + self.timeout
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._chunked(deadline)
        length = (self.headers.get("Content-Length") or "0").strip()
        if not length.isdigit():
            raise malformed("Content-Length is not a number of bytes")
        return self._read(_within_limit(int(length)), deadline)

    def _chunked(self, deadline: float) -> bytes:
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0], 16)
            except ValueError:
                raise malformed("invalid chunk size in a chunked body") from None
            if size <= 0:
                break
            total = _within_limit(total + size)
            chunks.append(self._read(size, deadline))
            self.rfile.readline(1024)
        for _ in range(100):  # trailers, up to the blank line
            if self.rfile.readline(65_536) in (b"\r\n", b"\n", b""):
                break
        return b"".join(chunks)

    def _read(self, size: int, deadline: float) -> bytes:
        """`size` bytes, in pieces, within `deadline` (a client may not trickle forever)."""
        pieces, left = [], size
        while left > 0:
            if time.monotonic() > deadline:
                raise TimeoutError("request body too slow")
            piece = self.rfile.read1(min(left, 1 << 16))
            if not piece:
                break  # the client hung up: what came is what there is
            pieces.append(piece)
            left -= len(piece)
        return b"".join(pieces)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log records every call."""


class Server(ThreadingHTTPServer):
    """A thread per connection; `close()` also ends the keep-alive connections still open."""

    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], app: App):
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up is not worth a traceback on the console."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its client
                connection.shutdown(socket.SHUT_RDWR)
