"""Registered models in Unity Catalog: read over REST, versions logged with MLflow.

Reads (plan, drift, generate, import, preflight) go through `api/unity_catalog_models.py`
with the target's SDK client: no MLflow import. MLflow (the `models` extra) is imported only
when a version must be logged; it then saves the model to a temporary folder and registers it
through its own Unity Catalog store, authenticated with the target's SDK `Config` (never a
process-wide URI, environment variable or `~/.databrickscfg` lookup of its own), so that
every target — a profile, OAuth, a token, the local workspace — logs where it reads.
"""

from __future__ import annotations

import importlib.util
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.diagnostics import error
from provisioner.errors import ApiError, UserError
from provisioner.workspace.api import unity_catalog_models as api

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

CONTENT_TAG = "provisioner.content_hash"
FILES_TAG = "provisioner.content_files"
FAILED = "FAILED_REGISTRATION"
EXTRA_HINT = "pip install 'databricks-ai-provisioner[models]'"
VERSION_READS = 8
"""Versions of one model read at once (a share of the client's connection pool)."""


@dataclass(frozen=True, slots=True)
class ModelVersion:
    version: str
    status: str
    content_hash: str | None
    files: dict[str, str]


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    name: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, str]
    versions: tuple[ModelVersion, ...]

    def by_content(self, content_hash: str) -> ModelVersion | None:
        """The first version with this content that did not fail: two applies logging the
        same content at once both settle on it."""
        return next((v for v in self.versions
                     if v.content_hash == content_hash and v.status != FAILED), None)

    @property
    def latest(self) -> ModelVersion | None:
        return max(self.versions, key=lambda v: int(v.version), default=None)


def read(client: WorkspaceClient, name: str) -> RegisteredModel | None:
    """The model, its aliases, tags and every version with its content tags."""
    model = api.get_model(client, name)
    if model is None:
        return None
    numbers = api.version_numbers(client, name)
    # UC search results carry no tags: each version is read, a few at a time.
    with ThreadPoolExecutor(max_workers=max(1, min(VERSION_READS, len(numbers)))) as pool:
        found = pool.map(lambda number: api.get_version(client, name, number), numbers)
        versions = [_version(number, one) for number, one in zip(numbers, found, strict=True)
                    if one is not None]  # None: deleted between the search and now
    return RegisteredModel(
        name=model.get("name", name), description=model.get("description") or "",
        tags={t["key"]: t.get("value", "") for t in model.get("tags", [])},
        aliases={a["alias"]: str(a["version"]) for a in model.get("aliases", [])},
        versions=tuple(versions))


def _version(number: str, found: dict[str, Any]) -> ModelVersion:
    tags = {t["key"]: t.get("value", "") for t in found.get("tags", [])}
    return ModelVersion(number, str(found.get("status", "")), tags.get(CONTENT_TAG),
                        json.loads(tags.get(FILES_TAG) or "{}"))


def version_exists(client: WorkspaceClient, name: str, version: str) -> bool:
    return version.isdigit() and api.get_version(client, name, version) is not None


def can_log() -> bool:
    """Whether MLflow is installed, asked without importing it."""
    try:
        return importlib.util.find_spec("mlflow") is not None
    except ValueError:  # a stand-in in sys.modules (None: an import known to fail)
        return False


def missing_extra() -> UserError:
    return UserError([error("logging a registered model version needs MLflow and LangChain, "
                            "which are not installed", hint=EXTRA_HINT)])


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


def log_version(client: WorkspaceClient, request: LogRequest) -> str:
    """Log a version with this content (the caller read that the model has none); returns
    the number of the version with this content.

    Another apply may log the same content at the same moment (there is no lock on a
    workspace): after logging, the lowest-numbered version with this content wins and a
    later duplicate of ours is deleted, so both applies end on one version.
    """
    from provisioner.workspace import mlflow_logging

    ours = mlflow_logging.log(client, request, tags={CONTENT_TAG: request.content_hash,
                                                     FILES_TAG: request.files})
    model = read(client, request.name)
    first = model.by_content(request.content_hash) if model else None
    if first is not None and first.version != ours:
        api.delete_version(client, request.name, ours)
        return first.version
    return ours


def create_model(client: WorkspaceClient, name: str, description: str | None) -> None:
    """Create the registered model; one created meanwhile by someone else will do."""
    try:
        api.create_model(client, name, description)
    except ApiError as exc:
        if exc.code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise

