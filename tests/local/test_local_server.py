"""The server, its faults and its folder: server.py, faults.py, store.py, settings.py,
workspace.py (LocalWorkspace), protocol.py (envelope) — through the SDK where a client would be.
"""

from __future__ import annotations

import json
import multiprocessing
import time
import urllib.error
import urllib.request
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk.errors import (
    InternalError,
    NotFound,
    ResourceAlreadyExists,
    Unauthenticated,
)
from databricks.sdk.service import serving

from provisioner.local import FaultRule, LocalWorkspace, Settings

ENDPOINTS = "/api/2.0/serving-endpoints"
CHAT = {"name": "chat", "config": {"served_entities": [{"external_model": {
    "provider": "openai", "name": "gpt-4o", "task": "llm/v1/chat",
    "openai_config": {"openai_api_key_plaintext": "sk-test"}}}]}}


def raw(url: str, method: str = "GET", body: Any = None,
        token: str | None = "x") -> tuple[int, dict[str, str], Any]:
    """One request without the SDK (no retries), to look at statuses and headers."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def statuses(workspace: LocalWorkspace, path: str) -> list[int]:
    return [r["status"] for r in workspace.request_log() if r["path"] == path]


def test_well_known_config_is_answered_without_credentials(workspace, w) -> None:
    """serving-endpoints.md §8 and §11: `GET /.well-known/databricks-config` (no auth header)
    answers a digit workspace_id, which the SDK then sends with every call."""
    status, _, body = raw(workspace.url + "/.well-known/databricks-config", token=None)
    assert status == 200 and body["workspace_id"].isdigit() and body["oidc_endpoint"]
    assert w.config.workspace_id == body["workspace_id"]


def test_a_token_restricts_access(directory, connect) -> None:
    """DESIGN "The local workspace" (`local serve --token`): other bearer tokens get 401 in the
    service's error envelope; secrets-workspace.md shows the envelope's shape."""
    with LocalWorkspace(directory, token="s3cret") as ws:
        with pytest.raises(Unauthenticated):
            connect(ws.url, token="wrong").serving_endpoints.list()
        assert connect(ws.url, token="s3cret").serving_endpoints.list()
        status, _, body = raw(ws.url + ENDPOINTS, token=None)
    assert status == 401 and body["error_code"] == "UNAUTHENTICATED" and body["message"]


def test_errors_use_the_databricks_envelope(workspace, w) -> None:
    """serving-endpoints.md §5: errors are JSON {error_code, message, details}; an unknown path
    is 404 ENDPOINT_NOT_FOUND; a body that is not JSON is 400 MALFORMED_REQUEST."""
    status, _, body = raw(workspace.url + "/api/2.0/clusters/list")
    assert status == 404 and body["error_code"] == "ENDPOINT_NOT_FOUND"
    assert body["details"][0]["@type"].endswith("RequestInfo")
    with pytest.raises(NotFound):
        w.api_client.do("GET", "/api/2.0/clusters/list")
    request = urllib.request.Request(workspace.url + ENDPOINTS, data=b"{not json",
                                     method="POST", headers={"Authorization": "Bearer x"})
    with pytest.raises(urllib.error.HTTPError) as malformed:
        urllib.request.urlopen(request, timeout=10)
    assert json.loads(malformed.value.read())["error_code"] == "MALFORMED_REQUEST"


def test_latency_on_one_request_does_not_delay_others(workspace, connect) -> None:
    """performance-notes.md (bound = concurrency / latency): concurrent GETs with injected
    latency are in flight together, as the request log's start and end times show."""
    workspace.configure(latency_ms=300)
    w = connect(workspace.url, max_connection_pools=32, max_connections_per_pool=32)
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda _: w.serving_endpoints.get("databricks-gte-large-en"), range(32)))
    calls = [r for r in workspace.request_log() if r["path"].endswith("databricks-gte-large-en")]
    assert len(calls) == 32 and all(r["elapsed"] >= 0.3 for r in calls)
    # The most calls in flight at once: sweep over their start and end times.
    events = sorted([(r["time"], 1) for r in calls] + [(r["time"] + r["elapsed"], -1)
                                                       for r in calls])
    in_flight = peak = 0
    for _, step in events:
        in_flight += step
        peak = max(peak, in_flight)
    assert peak >= 16


def test_control_path(workspace, w) -> None:
    """DESIGN "The local workspace": knobs through `GET/PUT /_local/config`, the request log at
    `GET /_local/requests`, `POST /_local/reset`; none of them is logged."""
    url = workspace.url
    status, _, config = raw(url + "/_local/config", "PUT", {"latency_ms": 5, "seed": 7})
    assert status == 200 and config["latency_ms"] == 5
    assert raw(url + "/_local/config")[2]["seed"] == 7 == workspace.settings.seed
    workspace.configure(latency_ms=20, latency_jitter_ms=10)
    w.serving_endpoints.get("databricks-gte-large-en")
    assert workspace.request_log()[-1]["elapsed"] >= 0.02
    assert raw(url + "/_local/config", "PUT", {"latency": 5})[0] == 400
    assert raw(url + "/_local/config", "PUT", {"throttle_rate": 2})[0] == 400
    w.api_client.do("POST", ENDPOINTS, body=CHAT)
    logged = raw(url + "/_local/requests")[2]["requests"]
    assert {"method": "POST", "path": ENDPOINTS, "status": 200} in [
        {k: r[k] for k in ("method", "path", "status")} for r in logged]
    assert all(set(r) == {"method", "path", "status", "time", "elapsed"} for r in logged)
    assert raw(url + "/_local/reset", "POST", {})[0] == 200
    assert "chat" not in {e.name for e in w.serving_endpoints.list()}
    assert not any(r["path"].startswith("/_local/") for r in workspace.request_log())


def test_throttling_is_retried_by_the_sdk(workspace, w) -> None:
    """serving-endpoints.md §8: the SDK retries 429 after Retry-After; the emulator sends it."""
    path = f"{ENDPOINTS}/databricks-gte-large-en"
    workspace.configure(retry_after_seconds=0, fault_rules=[
        FaultRule(method="GET", path=path, status=429, error_code="REQUEST_LIMIT_EXCEEDED",
                  times=2)])
    assert w.serving_endpoints.get("databricks-gte-large-en").name == "databricks-gte-large-en"
    assert statuses(workspace, path) == [429, 429, 200]
    workspace.configure(fault_rules=[FaultRule(path=path, status=429, error_code="X")])
    status, headers, _ = raw(workspace.url + path)
    assert status == 429 and headers["Retry-After"] == "0"
    assert workspace.settings.fault_rules == ()


def test_lost_create(workspace, w) -> None:
    """serving-endpoints.md §8 (503 retried, 500 not): a create whose answer is lost after the
    work was done; the SDK's retry then meets 409, and the endpoint exists."""
    workspace.configure(fault_rules=[FaultRule(method="POST", path=ENDPOINTS, status=503,
                                               lose_response=True)])
    with pytest.raises(ResourceAlreadyExists):
        w.api_client.do("POST", ENDPOINTS, body=CHAT)
    assert statuses(workspace, ENDPOINTS) == [503, 409]
    assert w.serving_endpoints.get("chat").name == "chat"

    other = {**CHAT, "name": "chat2"}
    workspace.configure(fault_rules=[FaultRule(method="POST", path=ENDPOINTS, status=500,
                                               error_code="INTERNAL_ERROR", lose_response=True)])
    with pytest.raises(InternalError):
        w.api_client.do("POST", ENDPOINTS, body=other)
    assert w.serving_endpoints.get("chat2").name == "chat2"


def test_random_faults_are_seeded(directory, tmp_path) -> None:
    """DESIGN "The local workspace" (429s and 5xx for reliability tests): the same seed gives
    the same faults, call for call."""
    settings = Settings(throttle_rate=0.3, server_error_rate=0.3, server_error_status=500,
                        seed=42)
    runs = []
    for run in range(2):
        with LocalWorkspace(tmp_path / str(run), settings=settings) as ws:
            runs.append([raw(ws.url + ENDPOINTS)[0] for _ in range(30)])
    assert runs[0] == runs[1]
    assert {200, 429, 500} <= set(runs[0])


def test_serving_create_update_rate_limit(workspace, w) -> None:
    """serving-endpoints.md §6 and §10: create/update calls are limited per workspace; the
    429 carries Retry-After, after which the SDK's retry succeeds."""
    workspace.configure(serving_rate_limit={"calls": 2, "period_seconds": 1})
    for name in ("a", "b", "c"):
        w.api_client.do("POST", ENDPOINTS, body={**CHAT, "name": name})
    assert statuses(workspace, ENDPOINTS) == [200, 200, 429, 200]
    assert {"a", "b", "c"} <= {e.name for e in w.serving_endpoints.list()}


def test_state_survives_a_restart_mid_update(directory, fast, connect) -> None:
    """serving-endpoints.md §4: readiness is time-based, so a workspace stopped while an
    endpoint is being created, and started again on the same folder, continues the update."""
    with LocalWorkspace(directory, settings=fast) as first:
        first.configure(serving_endpoint_create_seconds=0.5)
        created = connect(first.url).api_client.do("POST", ENDPOINTS, body=CHAT)
    with LocalWorkspace(directory, settings=fast) as second:
        w = connect(second.url)
        pending = w.serving_endpoints.get("chat")
        assert pending.id == created["id"]
        assert pending.state.config_update == serving.EndpointStateConfigUpdate.IN_PROGRESS
        time.sleep(0.5)
        ready = w.serving_endpoints.get("chat")
    assert ready.state.ready == serving.EndpointStateReady.READY
    assert ready.config.config_version == 1


def test_two_servers_share_one_folder(directory, fast, connect) -> None:
    """DESIGN "The local workspace" and "Files on disk": an embedded server and a `local serve`
    on the same folder see each other's writes."""
    with LocalWorkspace(directory, settings=fast) as a, LocalWorkspace(directory) as b:
        connect(a.url).api_client.do("POST", ENDPOINTS, body=CHAT)
        assert connect(b.url).serving_endpoints.get("chat").name == "chat"
        ids = {raw(ws.url + "/.well-known/databricks-config")[2]["workspace_id"] for ws in (a, b)}
        assert len(ids) == 1


def _open_at(directory: Path, moment: float) -> str:
    """Open a folder at `moment` (a shared start line); the error, if any, as text."""
    while time.time() < moment:
        pass
    try:
        LocalWorkspace(directory)
    except Exception as exc:  # noqa: BLE001 - the test reports whatever happened
        return repr(exc)
    return "opened"


def test_processes_opening_a_new_folder_at_once_all_open_it(tmp_path) -> None:
    """Two applies sharing a folder start together: whoever opens the new database second
    waits for the first instead of failing with "database is locked"."""
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("fork")) as pool:
        for attempt in range(15):
            directory = tmp_path / str(attempt)
            moment = time.time() + 0.1
            outcomes = list(pool.map(_open_at, [directory] * 4, [moment] * 4))
            assert outcomes == ["opened"] * 4


def test_reset_keeps_what_a_new_workspace_has(workspace, w) -> None:
    """serving-endpoints.md §7: after a reset the pay-per-token endpoints are still there;
    everything created and the request log are gone."""
    w.api_client.do("POST", ENDPOINTS, body=CHAT)
    workspace.reset()
    assert workspace.request_log() == []
    names = {e.name for e in w.serving_endpoints.list()}
    assert "chat" not in names and "databricks-bge-large-en" in names
    assert workspace.summary()["serving_endpoints"] == []
