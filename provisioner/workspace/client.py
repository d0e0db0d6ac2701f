"""Connect to a workspace through databricks-sdk, with timeouts that fail fast and clearly."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from provisioner.errors import ApiError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

HTTP_TIMEOUT_SECONDS = 30
RETRY_TIMEOUT_SECONDS = 120
"""SDK retries (429 with Retry-After, 503, connection errors) stop after this budget."""
REACHABILITY_TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class WorkspaceAuth:
    """How to reach a workspace; unset fields fall back to databricks-sdk unified auth."""

    host: str | None = None
    token: str | None = None
    profile: str | None = None
    auth_type: str | None = None


@dataclass(frozen=True, slots=True)
class Registry:
    """Where models are registered: Unity Catalog on Databricks, SQLite for the local target."""

    uri: str = "databricks-uc"
    tracking_uri: str = "databricks"
    artifact_root: str | None = None

    @classmethod
    def databricks(cls, profile: str | None) -> Registry:
        """Unity Catalog, authenticated like the SDK (a profile, or the environment)."""
        suffix = f"://{profile}" if profile else ""
        return cls(uri=f"databricks-uc{suffix}", tracking_uri=f"databricks{suffix}")

    @classmethod
    def local(cls, directory: str) -> Registry:
        """The registry the local workspace checks served model versions against."""
        uri = f"sqlite:///{directory}/mlflow/mlflow.db"
        return cls(uri=uri, tracking_uri=uri, artifact_root=f"{directory}/mlflow/artifacts")


class Workspace:
    """A WorkspaceClient that also knows its model registry; everything else is the SDK's."""

    def __init__(self, sdk: WorkspaceClient, registry: Registry):
        self.sdk = sdk
        self.registry = registry

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sdk, name)


def connect(auth: WorkspaceAuth, *, parallelism: int = 16) -> WorkspaceClient:
    """A WorkspaceClient whose pool allows `parallelism` concurrent requests."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.core import Config

    settings: dict[str, Any] = {k: v for k, v in (
        ("host", auth.host), ("token", auth.token), ("profile", auth.profile),
        ("auth_type", auth.auth_type)) if v}
    if auth.host:
        check_reachable(auth.host)
    try:
        config = Config(
            **settings,
            http_timeout_seconds=HTTP_TIMEOUT_SECONDS,
            retry_timeout_seconds=RETRY_TIMEOUT_SECONDS,
            max_connection_pools=max(parallelism, 1),
            max_connections_per_pool=max(parallelism, 1),
        )
    except ValueError as exc:  # the SDK's auth errors are ValueErrors
        raise ApiError(f"cannot authenticate to the workspace: {exc}") from None
    if not auth.host and config.host:
        check_reachable(config.host)
    return WorkspaceClient(config=config)


def check_reachable(host: str) -> None:
    """Fail in seconds, naming the host, instead of letting SDK retries run for minutes."""
    url = urlparse(host if "://" in host else f"https://{host}")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port),
                                      timeout=REACHABILITY_TIMEOUT_SECONDS):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ApiError(f"cannot reach workspace {host}: {reason}") from None
