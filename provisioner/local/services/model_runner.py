"""Run a custom-model endpoint's registered model from the files its version was given.

The version's files are what MLflow uploaded to the local workspace's Unity Catalog registry
(`model_registry.files_of`); mlflow is imported only here, only when such an endpoint is
queried (the `models` extra); each model version is loaded once per process.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from provisioner.local.model_registry import files_of, full_name
from provisioner.local.protocol import ApiError

_loaded: dict[tuple[str, str, str], Any] = {}
_lock = threading.Lock()
_INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def predict(directory: Path, entity: dict[str, Any], body: dict[str, Any]) -> Any:
    model = _model(directory, str(entity.get("entity_name")), str(entity.get("entity_version")))
    payload = _input(body)
    try:
        result = model.predict(payload)
    except Exception as exc:  # noqa: BLE001 - a failing model is the caller's 400, as served
        raise ApiError(400, "BAD_REQUEST", f"Model execution failed: {exc}") from exc
    return result.tolist() if hasattr(result, "tolist") else result


def _input(body: dict[str, Any]) -> Any:
    key = next((k for k in _INPUT_KEYS if k in body), None)
    if key is None:
        raise ApiError.invalid("The request must have one of the fields "
                               f"{', '.join(_INPUT_KEYS)}.")
    value = body[key]
    if key == "dataframe_split":
        import pandas as pd

        return pd.DataFrame(**{k: value[k] for k in ("columns", "data", "index") if k in value})
    if key == "dataframe_records":
        import pandas as pd

        return pd.DataFrame.from_records(value)
    return value


def _model(directory: Path, name: str, version: str) -> Any:
    key = (str(directory), name, version)
    with _lock:
        if key not in _loaded:
            os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
            try:
                import mlflow
            except ImportError:
                raise ApiError(501, "NOT_IMPLEMENTED", "Custom models run in the local "
                               "workspace only with the models extra: pip install "
                               "'databricks-ai-provisioner[models]'") from None
            _loaded[key] = mlflow.pyfunc.load_model(str(files_of(directory, full_name(name),
                                                                 version)))
        return _loaded[key]
