"""Fixtures for the local workspace's contract tests: an embedded server, reached through the SDK.

References cited in test docstrings are the files of `../shared/reference/`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config

from provisioner.local import LocalWorkspace, Settings

# Readiness at once, the next 429 retried at once: contract tests assert states, not time.
FAST = Settings(
    serving_endpoint_create_seconds=0,
    serving_endpoint_update_seconds=0,
    vector_search_endpoint_seconds=0,
    vector_search_index_seconds=0,
    index_deletion_seconds=0,
    retry_after_seconds=0,
    seed=0,
)


def _connect(url: str, token: str = "x", **config: Any) -> WorkspaceClient:
    return WorkspaceClient(config=Config(host=url, token=token, http_timeout_seconds=10,
                                         retry_timeout_seconds=10, **config))


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
def register_model_version(directory: Path) -> Callable[[str, int], None]:
    """Write rows where MLflow's SQLite registry keeps model versions (mlflow-models.md §3)."""

    def register(name: str, version: int) -> None:
        path = directory / "mlflow" / "mlflow.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path)) as conn, conn:
            conn.execute("CREATE TABLE IF NOT EXISTS model_versions "
                         "(name TEXT, version INTEGER, current_stage TEXT)")
            conn.execute("INSERT INTO model_versions VALUES (?, ?, 'None')", (name, version))

    return register


@pytest.fixture
def workspace(directory: Path) -> Iterator[LocalWorkspace]:
    with LocalWorkspace(directory, settings=FAST) as ws:
        yield ws


@pytest.fixture
def w(workspace: LocalWorkspace) -> WorkspaceClient:
    return _connect(workspace.url)
