"""The local workspace's Unity Catalog model registry: models and versions as store documents,
version files under the folder (`models/<catalog>/<schema>/<model>/<version>/`).

The HTTP shapes live in `services/uc_models*.py` and `services/model_files.py`; serving
checks and runs versions through the functions here, so every path reads one registry.
Reference: unity-catalog-models.md.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.local.protocol import ApiError

if TYPE_CHECKING:
    from provisioner.local.protocol import Context
    from provisioner.local.store import Tx

MODELS = "uc_model"
VERSIONS = "uc_model_version"
FILES = "models"
"""The folder, under the workspace's, holding each version's files."""
READY, PENDING = "READY", "PENDING_REGISTRATION"
_PART = re.compile(r"[^.\s/\x00-\x1f\x7f]{1,255}")
"""A catalog, schema or model name: no '.', space, '/' or control character (sql-ref-names)."""


def full_name(name: Any) -> str:
    """A three-level name, lower-cased as Unity Catalog stores it, or the service's error."""
    if not isinstance(name, str) or not name:
        raise ApiError.invalid("Missing required field: name")
    parts = name.split(".")
    if len(parts) != 3:
        raise ApiError.invalid(f"Invalid name '{name}': registered model names in Unity "
                               "Catalog must specify all three levels: catalog.schema.model.")
    for part in parts:
        if not _PART.fullmatch(part):
            raise ApiError.invalid(f"Invalid name '{name}': '{part}' is not a valid name.")
    return name.lower()


def missing_model(name: str) -> ApiError:
    return ApiError.not_found(f"Routine or Model '{name}' does not exist.")


def missing_version(name: str, version: Any) -> ApiError:
    return ApiError.not_found(f"Model Version with name '{name}' and version '{version}' "
                              "does not exist.")


def version_number(version: Any) -> int:
    text = str(version)
    if not text.isdigit() or int(text) < 1:
        raise ApiError.invalid(f"Invalid version '{version}': it must be a positive integer.")
    return int(text)


def version_key(name: str, version: int) -> str:
    return f"{name}/{version:010d}"


def get_model(tx: Tx, name: Any) -> dict[str, Any]:
    found = tx.get(MODELS, full_name(name))
    if found is None:
        raise missing_model(str(name))
    return found


def get_version(tx: Tx, name: Any, version: Any) -> dict[str, Any]:
    model = get_model(tx, name)
    found = tx.get(VERSIONS, version_key(model["full_name"], version_number(version)))
    if found is None:
        raise missing_version(model["full_name"], version)
    return found


def versions(tx: Tx, name: str) -> list[dict[str, Any]]:
    return tx.list(VERSIONS, ref=name)


def files_of(directory: Path, name: str, version: int | str) -> Path:
    """Where a version's files are kept (MLflow's `/Models/c/s/m/v` Files API path)."""
    return directory.resolve() / FILES / Path(*name.split(".")) / str(version)


def delete_version_files(directory: Path, name: str, version: int | str) -> None:
    shutil.rmtree(files_of(directory, name, version), ignore_errors=True)


def has_model_version(ctx: Context, name: str, version: str) -> bool:
    """True if `name` (compared case-insensitively, as Unity Catalog does) has a READY
    `version`: what serving checks before it accepts a served entity."""
    try:
        with ctx.store.read() as tx:
            return get_version(tx, name, version)["status"] == READY
    except ApiError:
        return False
