"""The local workspace survives any client: bodies are capped, idle or slow connections are
closed, and a malformed, deeply nested or wrongly shaped body is answered 400, never 500.

Raw HTTP here, not the SDK: these are the requests no SDK sends."""

from __future__ import annotations

import http.client
import json
import re
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioner.local import LocalWorkspace, Settings, services
from provisioner.local.protocol import MAX_BODY_BYTES, MAX_JSON_DEPTH

AUTH = {"Authorization": "Bearer t", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    with LocalWorkspace(Path(tmp_path_factory.mktemp("ws")),
                        settings=Settings(connection_timeout_seconds=0.5)) as local:
        yield local


def address(workspace) -> tuple[str, int]:
    host, port = workspace.url.removeprefix("http://").split(":")
    return host, int(port)


def send(workspace, method: str, path: str, body: bytes, headers: dict[str, str]
         ) -> tuple[int, dict]:
    connection = http.client.HTTPConnection(*address(workspace), timeout=30)
    try:
        connection.putrequest(method, path)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)  # with the headers: no pause for the idle timeout
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


CREATE = "/api/2.0/serving-endpoints"


@pytest.mark.parametrize(("body", "headers", "status", "says"), [
    (b"{", {}, 400, "MALFORMED_REQUEST"),
    (b"\xff\xfe\x00", {}, 400, "MALFORMED_REQUEST"),
    (b"[1, 2]", {}, 400, "expected a JSON object"),
    (b"[" * 100_000 + b"]" * 100_000, {}, 400, f"nested deeper than {MAX_JSON_DEPTH}"),
    (b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1), {}, 400,
     f"nested deeper than {MAX_JSON_DEPTH}"),
    (b"{}", {"Content-Length": "abc"}, 400, "Content-Length is not a number"),
    (b"{}", {"Content-Length": "-2"}, 400, "Content-Length is not a number"),
    (b"", {"Content-Length": str(MAX_BODY_BYTES + 1)}, 413, "REQUEST_ENTITY_TOO_LARGE"),
    (b"zz\r\n{}\r\n0\r\n\r\n", {"Transfer-Encoding": "chunked"}, 400, "invalid chunk size"),
    (b'{"name": ["a"], "config": 5, "tags": "x"}', {}, 400, ""),
])
def test_a_malformed_request_is_answered_400_or_413(workspace, body, headers, status, says):
    sent = {**AUTH, **headers}
    if "Content-Length" not in sent and "Transfer-Encoding" not in sent:
        sent["Content-Length"] = str(len(body))
    got, answer = send(workspace, "POST", CREATE, body, sent)
    assert got == status, answer
    assert says in json.dumps(answer)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=12)
FIELDS = ["name", "config", "served_entities", "tags", "endpoint_type", "index_type",
          "primary_key", "endpoint_name", "delta_sync_index_spec", "scope", "key", "path",
          "content", "access_control_list", "traffic_config", "ai_gateway", "inputs",
          "add_tags", "delete_tags", "columns", "num_results", "query_vector", "version"]
ROUTES = [(route.method, re.sub(r"\(\?P<\w+>\[\^/\]\+\)", "x", route.pattern.pattern)
           .replace("\\", "")) for route in services.ROUTES]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES),
       body=st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6) | JSON)
def test_no_body_of_any_shape_gets_a_500(workspace, route, body):
    method, path = route
    data = json.dumps(body).encode()
    status, answer = send(workspace, method, path, data,
                          {**AUTH, "Content-Length": str(len(data))})
    assert status < 500 or status == 503, (method, path, body, answer)


def test_an_idle_connection_is_closed(workspace):
    with socket.create_connection(address(workspace), timeout=30) as idle:
        assert idle.recv(1) == b""  # the server hung up; the client did not time out


def test_a_client_that_stalls_mid_body_is_disconnected(workspace):
    with socket.create_connection(address(workspace), timeout=30) as slow:
        slow.sendall(b"POST /api/2.0/serving-endpoints HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer t\r\nContent-Length: 100\r\n\r\n{")
        assert slow.recv(1) == b""
