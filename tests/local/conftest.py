"""Fixtures for the local workspace's contract tests: an embedded server, reached through the SDK.

References cited in test docstrings are the files of `../shared/reference/`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from support import model_rows

from provisioner.local import LocalWorkspace, Settings

# Readiness at once, the next 429 retried at once: contract tests assert states, not time.
FAST = Settings(
    serving_endpoint_create_seconds=0,
    serving_endpoint_update_seconds=0,
    vector_search_endpoint_seconds=0,
    vector_search_index_seconds=0,
    index_deletion_seconds=0,
    sql_warehouse_start_seconds=0,
    retry_after_seconds=0,
    seed=0,
)


def _connect(url: str, token: str = "x", **config: Any) -> WorkspaceClient:
    timeouts = {"http_timeout_seconds": 10, "retry_timeout_seconds": 10}
    return WorkspaceClient(config=Config(host=url, token=token, **{**timeouts, **config}))


@pytest.fixture
def fast() -> Settings:
    return FAST


@pytest.fixture
def connect() -> Callable[..., WorkspaceClient]:
    """`connect(url, token="x", **config)`: an SDK client with short timeouts."""
    return _connect


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / ".provisioner" / "local"


@pytest.fixture
def register_model_version(w: WorkspaceClient) -> Callable[[str, int], None]:
    """Register versions 1..`version` of `name` over the Unity Catalog routes MLflow calls
    (unity-catalog-models.md §1 steps 6, 8, 10: create the model, the version, finalize)."""
    return partial(model_rows.register_model_version, w)


@pytest.fixture
def secret_references(w: WorkspaceClient) -> Callable[..., None]:
    """`secret_references("scope/key", ...)`: create the secrets a request refers to, as the
    service resolves every `{{secrets/<scope>/<key>}}` it is given."""

    def create(*names: str) -> None:
        for name in names:
            scope, key = name.split("/")
            if scope not in {s.name for s in w.secrets.list_scopes()}:
                w.secrets.create_scope(scope)
            w.secrets.put_secret(scope, key, string_value=f"value-of-{key}")

    return create


@pytest.fixture
def workspace(directory: Path) -> Iterator[LocalWorkspace]:
    with LocalWorkspace(directory, settings=FAST) as ws:
        yield ws


@pytest.fixture
def w(workspace: LocalWorkspace) -> WorkspaceClient:
    return _connect(workspace.url)
