"""What services see of HTTP: requests, responses, API errors, and the route table they fill."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

MAX_BODY_BYTES = 16 * 1024 * 1024
"""The largest request body served (Databricks' model serving payload limit,
shared/reference/serving-endpoints.md); a larger one is answered 413 unread."""
MAX_JSON_DEPTH = 64
"""Nesting of a JSON body; deeper is MALFORMED_REQUEST (it would exhaust the recursion of
the code that reads it, a 500)."""

if TYPE_CHECKING:
    from pathlib import Path

    from provisioner.local.faults import Faults
    from provisioner.local.settings import Settings
    from provisioner.local.store import Store


class ApiError(Exception):
    """An error answered in Databricks' envelope `{"error_code": ..., "message": ...}`."""

    def __init__(self, status: int, error_code: str, message: str,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.headers = headers or {}

    @classmethod
    def invalid(cls, message: str) -> ApiError:
        return cls(400, "INVALID_PARAMETER_VALUE", message)

    @classmethod
    def not_found(cls, message: str) -> ApiError:
        return cls(404, "RESOURCE_DOES_NOT_EXIST", message)

    @classmethod
    def already_exists(cls, message: str, status: int = 409) -> ApiError:
        return cls(status, "RESOURCE_ALREADY_EXISTS", message)


@dataclass(frozen=True, slots=True)
class Response:
    """A success; `body` is JSON unless `raw` bytes are given."""

    body: Any = field(default_factory=dict)
    status: int = 200
    raw: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Request:
    """One call as a handler sees it: path parameters, query, raw body."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    content_type: str
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> dict[str, Any]:
        """The JSON object sent, `{}` for an empty body; anything else is MALFORMED_REQUEST."""
        if not self.body.strip():
            return {}
        try:
            value = json.loads(self.body)
        except ValueError as e:
            raise malformed(str(e)) from e
        except RecursionError:
            raise malformed(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
        if not isinstance(value, dict):
            raise malformed("expected a JSON object")
        if _depth(value) > MAX_JSON_DEPTH:
            raise malformed(f"nested deeper than {MAX_JSON_DEPTH} levels")
        return value

    def form(self) -> dict[str, bytes]:
        """Fields of a multipart/form-data body by name, file parts included, bytes kept exact."""
        boundary = _header_param(self.content_type, "boundary", "content-type")
        if not boundary:
            raise malformed("expected a multipart/form-data body")
        fields = {}
        for part in self.body.split(b"--" + boundary.encode())[1:-1]:
            head, _, payload = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
            disposition = HeaderParser().parsestr(head.decode("latin-1"))["content-disposition"]
            name = _header_param(disposition or "", "name", "content-disposition")
            fields[name] = payload.removesuffix(b"\r\n")
        return fields


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (iterative: the value may be deep)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, dict) else node
            pending += [(child, depth + 1) for child in children if isinstance(child, dict | list)]
    return deepest


def malformed(reason: str) -> ApiError:
    """What Databricks answers for a body it cannot read as the API's message."""
    return ApiError(400, "MALFORMED_REQUEST", f"Could not parse request object: {reason}")


def _header_param(value: str, param: str, header: str) -> str | None:
    message = Message()
    message[header] = value
    found = message.get_param(param, header=header)
    return str(found) if found else None


@dataclass(frozen=True, slots=True)
class Context:
    """What a handler may use: the data, the knobs in force for this request, the clock."""

    store: Store
    settings: Settings
    faults: Faults
    directory: Path
    base_url: str
    now: float

    @property
    def ms(self) -> int:
        return int(self.now * 1000)


Handler = Callable[[Context, Request], "Response | dict[str, Any]"]

_PARAM = re.compile(r"\{(\w+)(\.\.\.)?\}")


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Routes:
    """A route table; services declare `routes = Routes()` and decorate their handlers."""

    def __init__(self, *tables: Routes):
        self._routes: list[Route] = [r for table in tables for r in table]

    def __iter__(self) -> Iterator[Route]:
        return iter(self._routes)

    def add(self, method: str, template: str) -> Callable[[Handler], Handler]:
        """`{name}` in `template` matches one path segment, `{name...}` the rest of the path
        (a Files API path), passed in `Request.params`."""
        pieces = _PARAM.split(template)  # literal, name, "..." or None, literal, ...
        pattern = re.compile("".join(
            re.escape(piece) if i % 3 == 0
            else f"(?P<{piece}>{'.+' if pieces[i + 1] else '[^/]+'})" if i % 3 == 1 else ""
            for i, piece in enumerate(pieces)
        ))

        def register(handler: Handler) -> Handler:
            self._routes.append(Route(method, pattern, handler))
            return handler

        return register

    def get(self, template: str) -> Callable[[Handler], Handler]:
        return self.add("GET", template)

    def post(self, template: str) -> Callable[[Handler], Handler]:
        return self.add("POST", template)

    def put(self, template: str) -> Callable[[Handler], Handler]:
        return self.add("PUT", template)

    def patch(self, template: str) -> Callable[[Handler], Handler]:
        return self.add("PATCH", template)

    def delete(self, template: str) -> Callable[[Handler], Handler]:
        return self.add("DELETE", template)

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        """The route for a request; a trailing slash is ignored (MLflow's deploy client
        posts to `/api/2.0/serving-endpoints/`)."""
        path = path.rstrip("/") or "/"
        for route in self._routes:
            if route.method == method and (m := route.pattern.fullmatch(path)):
                return route.handler, {k: unquote(v) for k, v in m.groupdict().items()}
        return None
