"""Connect to a workspace through databricks-sdk, with timeouts that fail fast and clearly."""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from provisioner.diagnostics import error
from provisioner.errors import ApiError, UserError
from provisioner.workspace.concurrency import Window, adaptive_adapter

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

HTTP_TIMEOUT_SECONDS = 30
RETRY_TIMEOUT_SECONDS = 120
"""SDK retries (429 with Retry-After, 503, connection errors, timeouts) stop after this."""
REACHABILITY_TIMEOUT_SECONDS = 10
HTTP_TIMEOUT_ENV = "PROVISIONER_HTTP_TIMEOUT"
RETRY_TIMEOUT_ENV = "PROVISIONER_RETRY_TIMEOUT"
"""Environment overrides of the two budgets above, in seconds (slow links, tests)."""
METADATA_PROBE_SECONDS = 5
"""databricks-sdk's host-metadata probe in `Config()` is best-effort (it falls back on
failure) yet used the whole retry budget: two minutes before a dead profile host is named."""
WELL_KNOWN = "/.well-known/databricks-config"
"""Answered without credentials by a workspace; the SDK asks it too."""


@dataclass(frozen=True, slots=True)
class WorkspaceAuth:
    """How to reach a workspace; unset fields fall back to databricks-sdk unified auth."""

    host: str | None = None
    token: str | None = None
    profile: str | None = None
    auth_type: str | None = None


_EPHEMERAL_HOSTS: set[str] = set()
"""Hosts served for one command only (the embedded local workspace): their port is gone when
the command ends, and the next command (or `local serve`) has another."""


def mark_ephemeral(host: str) -> None:
    _EPHEMERAL_HOSTS.add(host.rstrip("/"))


def lasting_url(client: WorkspaceClient, url: str) -> str:
    """`url` as outputs record it: relative to the workspace when its host is ephemeral."""
    host = (client.config.host or "").rstrip("/")
    if host in _EPHEMERAL_HOSTS and url.startswith(host + "/"):
        return url[len(host):]
    return url


def connect(auth: WorkspaceAuth, *, parallelism: int = 16) -> WorkspaceClient:
    """A WorkspaceClient whose pool allows `parallelism` concurrent requests (its typed
    services load on first use: see `workspace/sdk.py`). A known host's reachability is
    asked while the SDK is imported: one round trip less before the first call."""
    settings: dict[str, Any] = {k: v for k, v in (
        ("host", auth.host), ("token", auth.token), ("profile", auth.profile),
        ("auth_type", auth.auth_type)) if v}
    known_host = auth.host or os.environ.get("DATABRICKS_HOST")  # else a profile's
    with ThreadPoolExecutor(1, thread_name_prefix="reachability") as background:
        reachable = background.submit(check_reachable, known_host) if known_host else None
        from provisioner.workspace.sdk import Client, core

        Config = core().Config  # noqa: N806 - the SDK's class
        if reachable is not None:
            reachable.result()
    http_timeout = _seconds(HTTP_TIMEOUT_ENV, HTTP_TIMEOUT_SECONDS)
    retry_timeout = _seconds(RETRY_TIMEOUT_ENV, RETRY_TIMEOUT_SECONDS)
    try:
        # `Config()` probes the host's metadata with these budgets, then the calls get theirs.
        config = Config(
            **settings,
            http_timeout_seconds=min(http_timeout, METADATA_PROBE_SECONDS),
            retry_timeout_seconds=min(retry_timeout, METADATA_PROBE_SECONDS),
            max_connection_pools=max(parallelism, 1),
            max_connections_per_pool=max(parallelism, 1),
        )
    except ValueError as exc:  # the SDK's auth errors are ValueErrors
        raise ApiError(f"cannot authenticate to the workspace: {exc}") from None
    config.http_timeout_seconds, config.retry_timeout_seconds = http_timeout, retry_timeout
    if not known_host and config.host:
        check_reachable(config.host)
    client = Client(config)
    _tune_session(client, config.host, parallelism, retry_timeout)
    return client  # type: ignore[return-value] - a WorkspaceClient as far as callers go


SESSION_LAYOUT_VERIFIED = ((0, 156), (0, 157))
"""databricks-sdk releases (from, up to but excluding) whose ApiClient was read and found to
keep its requests session at `_api_client._session`. Outside them the session is left as the
SDK made it; widen the range after reading a new release's `_base_client.py`
(tests/unit/test_sdk_session.py fails while the installed SDK is outside it)."""


def _tune_session(client: WorkspaceClient, host: str, parallelism: int,
                  retry_budget: float) -> None:
    """Three changes to the requests session inside databricks-sdk. The session is private
    to the SDK: they apply only to the versions where its place was verified, and only when it
    is a requests session there; otherwise it keeps requests' defaults, which are correct,
    only slower (and the SDK's own 429 retries, at a fixed `parallelism`).

    - The SDK mounts its sized, blocking connection pool for https:// only; plain http:// (a
      local workspace) fell back to requests' default pool of 10, so beyond 10 concurrent
      requests each one opened a connection (and a server thread) and dropped it.
    - requests reads proxies and CA bundles from the environment on every request (a scan of
      os.environ: a fifth of the client's CPU per call in a large plan). The session talks to
      one host, so they are read once, here, with requests' own rules.
    - Requests go through an adaptive window (`workspace/concurrency.py`): `parallelism` at
      first, halved by a 429, widened again by answers, never above `parallelism`."""
    import requests
    import requests.utils

    session = _sdk_session(client)
    if session is None:
        return
    adapter = adaptive_adapter(session.get_adapter("https://"), Window(parallelism),
                               retry_budget)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.proxies.update(requests.utils.get_environ_proxies(host))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    session.trust_env = False


def _sdk_session(client: WorkspaceClient):
    """The SDK's requests session, when this SDK version keeps it where it was verified."""
    import requests
    from databricks.sdk.version import __version__

    if not sdk_layout_verified(__version__):
        return None
    session = getattr(getattr(client.api_client, "_api_client", None), "_session", None)
    return session if isinstance(session, requests.Session) else None


def sdk_layout_verified(version: str) -> bool:
    low, high = SESSION_LAYOUT_VERIFIED
    try:
        release = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        return False
    return low <= release < high


def _seconds(variable: str, default: float) -> float:
    text = os.environ.get(variable)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise UserError([error(f"{variable}={text!r} is not a number of seconds",
                               hint=f"e.g. {variable}={default:g}")])
    return value


def check_reachable(host: str) -> None:
    """Fail in seconds, naming the host, instead of letting SDK retries run for minutes: a
    refused connection, and also a host that accepts connections but never answers (the SDK
    would wait out its HTTP timeout and retry for two minutes, twice: its host-metadata probe
    in `Config`, then the first call). Any HTTP answer, even an error, will do."""
    import requests

    url = (host if "://" in host else f"https://{host}").rstrip("/") + WELL_KNOWN
    try:
        requests.get(url, timeout=REACHABILITY_TIMEOUT_SECONDS, allow_redirects=False).close()
    except requests.Timeout:
        raise ApiError(f"cannot reach workspace {host}: no answer within "
                       f"{REACHABILITY_TIMEOUT_SECONDS}s") from None
    except requests.RequestException as exc:
        raise ApiError(f"cannot reach workspace {host}: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    """The operating system's words (`Connection refused`) from under requests' wrappers."""
    pending: list[object] = [exc]
    seen: set[int] = set()
    while pending:
        found = pending.pop(0)
        if not isinstance(found, BaseException) or id(found) in seen:
            continue
        seen.add(id(found))
        if isinstance(found, OSError) and found.strerror:
            return found.strerror
        pending += [found.__cause__, found.__context__, getattr(found, "reason", None),
                    *found.args]
    return type(exc).__name__
