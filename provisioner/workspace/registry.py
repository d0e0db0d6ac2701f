"""The model registry through MLflow: find a version by content, log one from code, aliases.

mlflow (the `models` extra) is imported only here, only when a stack has a registered
model. Calls stay within what Unity Catalog supports: no stages, no `get_latest_versions`,
and version tags read with `get_model_version` (UC search results carry none).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.diagnostics import error
from provisioner.errors import ApiError, UserError

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from provisioner.workspace.client import Registry

CONTENT_TAG = "provisioner.content_hash"
FILES_TAG = "provisioner.content_files"
_configured = threading.Lock()


@dataclass(frozen=True, slots=True)
class ModelVersion:
    version: str
    status: str
    content_hash: str | None
    files: str | None


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    name: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, str]
    versions: tuple[ModelVersion, ...]

    def by_content(self, content_hash: str) -> ModelVersion | None:
        return next((v for v in self.versions if v.content_hash == content_hash), None)

    @property
    def latest(self) -> ModelVersion | None:
        return max(self.versions, key=lambda v: int(v.version), default=None)


def mlflow_module() -> Any:
    """mlflow, or one clear error naming the extra to install; its INFO lines ("Creating
    initial MLflow database tables...") are not the user's business, its warnings are."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    try:
        import mlflow
    except ImportError:
        raise UserError([error(
            "registered models need MLflow and LangChain, which are not installed",
            hint="pip install 'provisioner[models]'")]) from None
    return mlflow


_initialised: set[str] = set()


def client(registry: Registry) -> MlflowClient:
    mlflow = mlflow_module()
    if registry.uri in _initialised:
        return mlflow.MlflowClient(tracking_uri=registry.tracking_uri, registry_uri=registry.uri)
    # The first use creates a local database's tables; two processes doing it at once clash,
    # so it happens under the lock, for both the registry and the tracking store.
    with _configured, _exclusive(registry, "registry-init"):
        found = mlflow.MlflowClient(tracking_uri=registry.tracking_uri,
                                    registry_uri=registry.uri)
        found.search_registered_models(max_results=1)
        found.search_experiments(max_results=1)
        _initialised.add(registry.uri)
    return found


def read(registry: Registry, name: str) -> RegisteredModel | None:
    mlflow_client = client(registry)  # first: it explains a missing extra
    from mlflow.exceptions import MlflowException

    try:
        model = mlflow_client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise ApiError(f"registry: {exc.message}", code=exc.error_code) from None
    versions = []
    for found in mlflow_client.search_model_versions(f"name='{name}'"):
        full = mlflow_client.get_model_version(name, found.version)  # UC search has no tags
        versions.append(ModelVersion(str(full.version), str(full.status),
                                     full.tags.get(CONTENT_TAG), full.tags.get(FILES_TAG)))
    return RegisteredModel(
        name=model.name, description=model.description or "", tags=dict(model.tags or {}),
        aliases={a: str(v) for a, v in (model.aliases or {}).items()},
        versions=tuple(sorted(versions, key=lambda v: int(v.version))))


def version_exists(registry: Registry, name: str, version: str) -> bool:
    model = read(registry, name)
    return model is not None and any(v.version == version for v in model.versions)


def ensure_model(registry: Registry, name: str) -> None:
    mlflow_client = client(registry)
    from mlflow.exceptions import MlflowException

    try:
        mlflow_client.create_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise ApiError(f"registry: {exc.message}", code=exc.error_code) from None


@dataclass(frozen=True, slots=True)
class LogRequest:
    """Everything needed to log one version of a LangChain model from code."""

    name: str
    code: Path
    config: tuple[Path, ...]
    requirements: tuple[str, ...] | None
    signature: dict[str, str] | None
    input_example: Any
    content_hash: str
    files: str


def log_version(registry: Registry, request: LogRequest) -> str:
    """Log and register a version unless one with this content exists; returns its number.

    The check and the log happen under a lock (a file lock for a local registry), and the
    content tag is looked up again once the lock is held, so two applies log one version.
    """
    mlflow = mlflow_module()
    with _exclusive(registry, request.name):
        model = read(registry, request.name)
        existing = model.by_content(request.content_hash) if model else None
        if existing is not None:
            return existing.version
        with _configured:
            mlflow.set_tracking_uri(registry.tracking_uri)
            mlflow.set_registry_uri(registry.uri)
            experiment = _experiment(mlflow, registry)
            with mlflow.start_run(experiment_id=experiment):
                info = mlflow.langchain.log_model(
                    lc_model=str(request.code), name="model",
                    signature=_signature(request.signature),
                    input_example=request.input_example,
                    model_config=str(request.config[0]) if request.config else None,
                    code_paths=[str(p) for p in request.config[1:]] or None,
                    pip_requirements=list(request.requirements)
                    if request.requirements is not None else None,
                    resources=[], registered_model_name=request.name)
        version = str(info.registered_model_version)
        mlflow_client = client(registry)
        mlflow_client.set_model_version_tag(request.name, version, CONTENT_TAG,
                                            request.content_hash)
        mlflow_client.set_model_version_tag(request.name, version, FILES_TAG, request.files)
        return version


def set_alias(registry: Registry, name: str, alias: str, version: str) -> None:
    client(registry).set_registered_model_alias(name, alias, version)


def delete_alias(registry: Registry, name: str, alias: str) -> None:
    client(registry).delete_registered_model_alias(name, alias)


def set_description(registry: Registry, name: str, description: str) -> None:
    client(registry).update_registered_model(name, description=description)


def set_tag(registry: Registry, name: str, key: str, value: str) -> None:
    client(registry).set_registered_model_tag(name, key, value)


def delete_tag(registry: Registry, name: str, key: str) -> None:
    client(registry).delete_registered_model_tag(name, key)


def delete_version(registry: Registry, name: str, version: str) -> None:
    client(registry).delete_model_version(name, version)


def delete_model(registry: Registry, name: str) -> None:
    client(registry).delete_registered_model(name)


def _signature(signature: dict[str, str] | None) -> Any:
    if signature is None:
        return None
    from mlflow.models import ModelSignature

    return ModelSignature.from_dict(signature)


def _experiment(mlflow: Any, registry: Registry) -> str:
    """An experiment with an explicit artifact location (never `./mlruns` of the CWD)."""
    name = "/Shared/provisioner" if registry.artifact_root is None else "provisioner"
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = (Path(registry.artifact_root).as_uri() if registry.artifact_root else None)
    return mlflow.create_experiment(name, artifact_location=location)


@contextlib.contextmanager
def _exclusive(registry: Registry, name: str) -> Iterator[None]:
    """A file lock beside a local registry; elsewhere the re-check under the lock is all."""
    if registry.artifact_root is None:
        yield
        return
    lock_path = Path(registry.artifact_root).parent / f".{name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
