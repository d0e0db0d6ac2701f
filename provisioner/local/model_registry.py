"""Whether a model version exists in the local MLflow registry, read with sqlite3 alone.

The registry is MLflow's SQLite store at `<dir>/mlflow/mlflow.db`; importing mlflow here
would cost seconds at start and make the emulator depend on the `models` extra.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

# MLflow marks soft-deleted versions with this stage instead of removing their rows.
_DELETED_STAGE = "Deleted_Internal"
_BUSY_SECONDS = 20.0  # MLflow's own `PRAGMA busy_timeout` on its SQLite sessions


def has_model_version(directory: Path, name: str, version: str) -> bool:
    """True if `name` (compared case-insensitively, as Unity Catalog does) has `version`."""
    path = (directory / "mlflow" / "mlflow.db").resolve()
    if not path.is_file() or not version.isdigit():
        return False
    # A writer (an apply logging a version) may hold the file: wait as long as MLflow does.
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True,
                                 timeout=_BUSY_SECONDS)) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(model_versions)")}
        if not columns:  # not (yet) an MLflow registry
            return False
        sql = "SELECT 1 FROM model_versions WHERE lower(name) = lower(?) AND version = ?"
        if "current_stage" in columns:
            sql += f" AND coalesce(current_stage, '') != '{_DELETED_STAGE}'"
        return conn.execute(sql, (name, int(version))).fetchone() is not None
