"""Registered LangChain models: versions logged from code and identified by their content.

A version is the stack's when its `provisioner.content_hash` tag matches the hash of the code,
config files, requirements, signature, input example and flavor. Plan: no-op when such a
version exists, a new version when not; aliases follow the stack's version. Reference:
mlflow-models.md §1–2, §7.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from provisioner.diff.normalize import canonical_json
from provisioner.diff.rules import (
    AtomicList,
    Immutable,
    InputOnly,
    KeyedList,
    Rules,
    ServerDefault,
    StackFile,
)
from provisioner.errors import ApiError
from provisioner.kinds.base import DriftSeverity, HandlerBase, Live, Progress
from provisioner.kinds.waiting import poll
from provisioner.placeholders import THIS_VERSION
from provisioner.workspace import registry
from provisioner.workspace.api import serving_endpoints
from provisioner.workspace.api import unity_catalog_models as uc

if TYPE_CHECKING:
    from collections.abc import Collection

    from databricks.sdk import WorkspaceClient as Workspace

    from provisioner.diff.three_way import FieldChange
    from provisioner.specs.registered_models import RegisteredModelSpec

RULES = Rules((
    Immutable("name", reason="the registry has no rename: a new name is a new model"),
    ServerDefault("description", values=("",), reason="the registry returns \"\" when unset"),
    InputOnly("keep_versions", reason="a pruning policy, not a property of the model"),
    InputOnly("delete_versions", reason="a deletion policy, not a property of the model"),
    InputOnly("source", reason="what a version is logged from: the registry keeps its "
                               "content hash"),
    StackFile("source.code", reason="the models-from-code file"),
    StackFile("source.config[*]", reason="model config files"),
    KeyedList("grants", keys=("principal",), reason="the grants API keys them by principal"),
    AtomicList("grants[*].privileges", reason="a set, kept sorted on both sides"),
))
SEVERITY = {
    "name": DriftSeverity.BREAKING,
    "version": DriftSeverity.BREAKING,   # the stack's version is gone or another took its place
    "aliases": DriftSeverity.BREAKING,   # an alias moved: whatever serves it serves another
    "description": DriftSeverity.COSMETIC,
    "tags": DriftSeverity.COSMETIC,
    "owner": DriftSeverity.BREAKING,     # who may manage and grant on the model
    "grants": DriftSeverity.BREAKING,    # a serving principal without EXECUTE cannot serve it
}


class RegisteredModelHandler(HandlerBase):
    """Not generated: a model's source is code kept in git, which the registry cannot give
    back."""

    kind: ClassVar[str] = "registered_models"
    provides: ClassVar[str] = "registered_model"
    rules: ClassVar[Rules] = RULES
    severity: ClassVar[dict[str, DriftSeverity]] = SEVERITY
    partial_create: ClassVar[bool] = True
    ready_timeout: ClassVar[float] = 10 * 60.0  # MLflow waits 300 s for registration

    def files(self, spec: RegisteredModelSpec) -> tuple[str, ...]:
        return tuple(_stack_path(p) for p in (spec.code, *(spec.config or ())))

    def desired(self, spec: RegisteredModelSpec, digests: Mapping[str, str]
                ) -> dict[str, Any]:
        """The version as its content hash, from the files' digests (read before planning),
        and `source`: what apply logs it from. Config files count by role too, so making a
        file the model's config is a new version even when it is also its code."""
        code, *config = self.files(spec)
        files = {path: digests[path] for path in (code, *config)}
        signature = spec.signature.to_mlflow() if spec.signature else None
        content = {"flavor": spec.flavor, "files": files, "requirements": spec.requirements,
                   "signature": signature, "input_example": spec.input_example,
                   **({"config": config} if config else {})}
        content_hash = "sha256:" + hashlib.sha256(canonical_json(content).encode()).hexdigest()
        document: dict[str, Any] = {
            "name": spec.name, "version": {"content_hash": content_hash, "files": files},
            "source": {"code": code, "config": config, "requirements": spec.requirements,
                       "signature": signature, "input_example": spec.input_example},
            "aliases": {alias: THIS_VERSION for alias in spec.aliases or ()},
            "delete_versions": spec.lifecycle.delete_versions}
        for field in ("description", "tags", "keep_versions", "owner"):
            if getattr(spec, field) is not None:
                document[field] = getattr(spec, field)
        if spec.grants is not None:
            document["grants"] = _grants([g.model_dump() for g in spec.grants])
        return document

    def read(self, client: Workspace, name: str, desired: dict[str, Any] | None = None,
             *, fields: Collection[str] | None = None) -> Live | None:
        """Unity Catalog over REST; the owner and grants (a call each) only when compared."""
        model = registry.read(client, name)
        wanted = (desired or {}).get("version", {}).get("content_hash")
        ours = model.by_content(wanted) if model and wanted else None
        if wanted and ours is None and not registry.can_log():
            raise registry.missing_extra()  # apply would have to log a version: say so now
        if model is None:
            return None
        shown = ours or model.latest
        document: dict[str, Any] = {
            "name": model.name, "description": model.description, "tags": model.tags,
            "aliases": {a: THIS_VERSION if ours and v == ours.version else v
                        for a, v in model.aliases.items()}}
        if shown is not None:
            document["version"] = {"content_hash": shown.content_hash, "files": shown.files}
        if fields is None or "owner" in fields:
            document["owner"] = uc.model_info(client, name).get("owner")
        if fields is None or "grants" in fields:
            document["grants"] = _grants(uc.get_grants(client, name))
        used, users = _serving(client, model.name)
        return Live(
            name=model.name, document=document,
            outputs={"name": model.name, "version": ours.version if ours else None,
                     "uri": f"models:/{model.name}/{ours.version}" if ours else None},
            ready=ours is not None and ours.status == "READY",
            status=ours.status if ours else "no version with this content",
            facts={"versions": [v.version for v in model.versions], "served": used,
                   "served_by": users, "aliases": dict(model.aliases)})

    def create(self, client: Workspace, desired: dict[str, Any]) -> None:
        """The model alone: its version, aliases, tags, owner and grants are sent by `update`
        once the engine has read it back (`partial_create`)."""
        registry.create_model(client, desired["name"], desired.get("description"))

    def update(self, client: Workspace, live: Live, desired: dict[str, Any],
               changes: tuple[FieldChange, ...]) -> None:
        """Log the stack's version if `live` has none with its content, then aliases,
        description, tags, owner, grants, pruning: from `live`, read just before, with no
        read of its own."""
        name = desired["name"]
        version = live.outputs.get("version") or registry.log_version(
            client, _log_request(desired))
        for alias in desired.get("aliases", {}):
            uc.set_alias(client, name, alias, version)
        deleted = {c.path[1] for c in changes
                   if c.path[:1] == ("aliases",) and len(c.path) > 1 and c.after is None}
        for alias in sorted(deleted):
            uc.delete_alias(client, name, alias)
        if desired.get("description", "") != live.document.get("description", ""):
            uc.set_description(client, name, desired.get("description", ""))
        wanted, current = desired.get("tags", {}), live.document.get("tags", {})
        for key, value in wanted.items():
            if current.get(key) != value:
                uc.set_tag(client, name, key, value)
        for key in set(current) - set(wanted):
            if any(c.path[:2] == ("tags", key) for c in changes):
                uc.delete_tag(client, name, key)
        if desired.get("owner") and desired["owner"] != live.document.get("owner"):
            uc.set_owner(client, name, desired["owner"])
        if "grants" in desired or any(c.path[:1] == ("grants",) for c in changes):
            patch = _grant_changes(desired.get("grants", []), live.document.get("grants", []))
            if patch:
                uc.update_grants(client, name, patch)
        if desired.get("keep_versions"):
            aliased = {v for a, v in live.facts.get("aliases", {}).items()
                       if a not in desired.get("aliases", {}) and a not in deleted}
            for old in _prunable(live, version, aliased, desired["keep_versions"]):
                uc.delete_version(client, name, old)

    def delete(self, client: Workspace, live: Live) -> None:
        uc.delete_model(client, live.name)

    def wait(self, client: Workspace, desired: dict[str, Any], timeout: float,
             progress: Progress) -> Live:
        def read() -> Live:
            live = self.read(client, desired["name"], desired)
            if live is None:
                raise ApiError(f"registered model '{desired['name']}' disappeared",
                               code="RESOURCE_DOES_NOT_EXIST", status=404)
            if live.status == "FAILED_REGISTRATION":
                raise ApiError(f"version registration of '{desired['name']}' failed",
                               code=live.status)
            return live

        return poll(read, lambda live: live.ready, timeout=timeout,
                    what=f"a READY version of '{desired['name']}'",
                    progress=lambda live: progress(live.status))

    def impact(self, action: str, live: Live) -> tuple[str, ...]:
        count = len(live.facts.get("versions", ()))
        return (f"{count} version{'s' if count != 1 else ''} go with it",) if count else ()

    def used_by(self, live: Live) -> tuple[tuple[str, str], ...]:
        """The endpoints serving its versions: deleted first when they go too."""
        return tuple(("serving_endpoint", name) for name in live.facts.get("served_by", ()))

    def refusals(self, live: Live, last_applied: dict[str, Any] | None) -> tuple[str, ...]:
        versions = live.facts.get("versions", ())
        if versions and not (last_applied or {}).get("delete_versions"):
            return (f"it has {len(versions)} versions: set lifecycle.delete_versions: true "
                    "(and apply) to let them go",)
        return ()

def _grants(assignments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`[{principal, privileges}]` by principal, privileges sorted: one shape for both sides."""
    return sorted(({"principal": g["principal"], "privileges": sorted(g.get("privileges", []))}
                   for g in assignments), key=lambda g: g["principal"])


def _grant_changes(desired: list[dict[str, Any]], live: list[dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    """The grants PATCH taking the model's direct grants to exactly `desired`."""
    wanted = {g["principal"]: set(g["privileges"]) for g in desired}
    held = {g["principal"]: set(g["privileges"]) for g in live}
    changes = []
    for principal in sorted(set(wanted) | set(held)):
        add = wanted.get(principal, set()) - held.get(principal, set())
        remove = held.get(principal, set()) - wanted.get(principal, set())
        if add or remove:
            changes.append({"principal": principal, "add": sorted(add),
                            "remove": sorted(remove)})
    return changes


def _prunable(live: Live, version: str, aliased: set[str], count: int) -> list[str]:
    """The oldest versions beyond `count` (with `version` just logged) that neither an alias
    left in place, `version` itself nor a serving endpoint uses."""
    versions = sorted({*live.facts.get("versions", ()), version}, key=int)
    protected = {version, *aliased, *live.facts.get("served", ())}
    return [v for v in versions[:max(0, len(versions) - count)] if v not in protected]


def _stack_path(path: Any) -> str:
    """A stack file's name as documents hold it: relative to the stack folder, normalised."""
    return str(PurePosixPath(str(path)))


def _log_request(desired: dict[str, Any]) -> registry.LogRequest:
    """How to log the version `desired` describes: from its `source`, whose files the engine
    has located in the stack's folder (`StackFile`)."""
    source, version = desired["source"], desired["version"]
    requirements = source.get("requirements")
    return registry.LogRequest(
        desired["name"], Path(source["code"]), tuple(Path(c) for c in source["config"]),
        tuple(requirements) if requirements is not None else None, source.get("signature"),
        source.get("input_example"), version["content_hash"],
        json.dumps(version["files"], sort_keys=True))


def _serving(client: Workspace, name: str) -> tuple[list[str], list[str]]:
    """Versions of `name` that serving endpoints serve, and those endpoints (list summaries
    name them)."""
    served, users = set(), set()
    for endpoint in serving_endpoints.list_all(client):
        for entity in (endpoint.get("config") or {}).get("served_entities", []):
            if str(entity.get("entity_name", "")).lower() == name.lower():
                served.add(str(entity.get("entity_version")))
                users.add(endpoint["name"])
    return sorted(served, key=lambda v: int(v) if v.isdigit() else 0), sorted(users)
