"""Registered LangChain models: versions logged from code and identified by their content.

A version is the stack's when its `provisioner.content_hash` tag matches the hash of the code,
config files, requirements, signature, input example and flavor. Plan: no-op when such a
version exists, a new version when not; aliases follow the stack's version. Reference:
mlflow-models.md §1–2, §7.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from provisioner.diff.normalize import canonical_json
from provisioner.diff.rules import Immutable, InputOnly, Rules, ServerDefault
from provisioner.errors import ApiError
from provisioner.kinds.base import DriftSeverity, HandlerBase, Live, Progress
from provisioner.kinds.waiting import poll
from provisioner.placeholders import THIS_VERSION
from provisioner.workspace import registry
from provisioner.workspace.api import serving_endpoints

if TYPE_CHECKING:
    from collections.abc import Collection

    from provisioner.diff.three_way import FieldChange
    from provisioner.specs.registered_models import RegisteredModelSpec
    from provisioner.workspace.client import Workspace

RULES = Rules((
    Immutable("name", reason="the registry has no rename: a new name is a new model"),
    ServerDefault("description", values=("",), reason="the registry returns \"\" when unset"),
    InputOnly("keep_versions", reason="a pruning policy, not a property of the model"),
    InputOnly("delete_versions", reason="a deletion policy, not a property of the model"),
))
SEVERITY = {
    "name": DriftSeverity.BREAKING,
    "version": DriftSeverity.BREAKING,   # the stack's version is gone or another took its place
    "aliases": DriftSeverity.BREAKING,   # an alias moved: whatever serves it serves another
    "description": DriftSeverity.COSMETIC,
    "tags": DriftSeverity.COSMETIC,
}


class RegisteredModelHandler(HandlerBase):
    """Not generated: a model's source is code kept in git, which the registry cannot give
    back."""

    kind: ClassVar[str] = "registered_models"
    provides: ClassVar[str] = "registered_model"
    rules: ClassVar[Rules] = RULES
    severity: ClassVar[dict[str, DriftSeverity]] = SEVERITY
    ready_timeout: ClassVar[float] = 10 * 60.0  # MLflow waits 300 s for registration

    def __init__(self) -> None:
        self._requests: dict[str, registry.LogRequest] = {}
        self._lock = threading.Lock()

    def desired(self, spec: RegisteredModelSpec, root: Path) -> dict[str, Any]:
        """Reads the model's files to hash them; remembers how to log it for apply."""
        code = root / spec.code
        config = tuple(root / c for c in spec.config or ())
        files = {str(p.relative_to(root)): _file_hash(p) for p in (code, *config)}
        signature = spec.signature.to_mlflow() if spec.signature else None
        content = {"flavor": spec.flavor, "files": files, "requirements": spec.requirements,
                   "signature": signature, "input_example": spec.input_example}
        content_hash = "sha256:" + hashlib.sha256(canonical_json(content).encode()).hexdigest()
        with self._lock:
            self._requests[spec.name] = registry.LogRequest(
                spec.name, code, config,
                tuple(spec.requirements) if spec.requirements is not None else None,
                signature, spec.input_example, content_hash, json.dumps(files, sort_keys=True))
        document: dict[str, Any] = {
            "name": spec.name, "version": {"content_hash": content_hash, "files": files},
            "aliases": {alias: THIS_VERSION for alias in spec.aliases or ()},
            "delete_versions": spec.lifecycle.delete_versions}
        for field in ("description", "tags", "keep_versions"):
            if getattr(spec, field) is not None:
                document[field] = getattr(spec, field)
        return document

    def read(self, client: Workspace, name: str, desired: dict[str, Any] | None = None,
             *, fields: Collection[str] | None = None) -> Live | None:
        model = registry.read(client.registry, name)
        if model is None:
            return None
        wanted = (desired or {}).get("version", {}).get("content_hash")
        ours = model.by_content(wanted) if wanted else None
        shown = ours or model.latest
        document: dict[str, Any] = {
            "name": model.name, "description": model.description, "tags": model.tags,
            "aliases": {a: THIS_VERSION if ours and v == ours.version else v
                        for a, v in model.aliases.items()}}
        if shown is not None:
            document["version"] = {"content_hash": shown.content_hash,
                                   "files": json.loads(shown.files or "{}")}
        used = _served_versions(client, model.name)
        return Live(
            name=model.name, document=document,
            outputs={"name": model.name, "version": ours.version if ours else None,
                     "uri": f"models:/{model.name}/{ours.version}" if ours else None},
            ready=ours is not None and ours.status == "READY",
            status=ours.status if ours else "no version with this content",
            facts={"versions": [v.version for v in model.versions], "served": used,
                   "aliased": sorted(set(model.aliases.values()))})

    def create(self, client: Workspace, desired: dict[str, Any]) -> None:
        registry.ensure_model(client.registry, desired["name"])
        live = self.read(client, desired["name"], desired)
        self.update(client, live, desired, ())

    def update(self, client: Workspace, live: Live, desired: dict[str, Any],
               changes: tuple[FieldChange, ...]) -> None:
        """Log the stack's version if missing, then aliases, description, tags, pruning."""
        name, reg = desired["name"], client.registry
        version = registry.log_version(reg, self._request(name))
        for alias in desired.get("aliases", {}):
            registry.set_alias(reg, name, alias, version)
        for change in changes:
            if change.path[:1] == ("aliases",) and change.after is None:
                registry.delete_alias(reg, name, change.path[1])
        if desired.get("description", "") != live.document.get("description", ""):
            registry.set_description(reg, name, desired.get("description", ""))
        wanted, current = desired.get("tags", {}), live.document.get("tags", {})
        for key, value in wanted.items():
            if current.get(key) != value:
                registry.set_tag(reg, name, key, value)
        for key in set(current) - set(wanted):
            if any(c.path[:2] == ("tags", key) for c in changes):
                registry.delete_tag(reg, name, key)
        if desired.get("keep_versions"):
            self._prune(client, name, version, desired["keep_versions"])

    def _prune(self, client: Workspace, name: str, keep: str, count: int) -> None:
        """Delete the oldest versions beyond `count` that no alias or endpoint uses."""
        live = self.read(client, name)
        protected = {keep, *live.facts["aliased"], *live.facts["served"]}
        versions = sorted(live.facts["versions"], key=int)
        for version in versions[:max(0, len(versions) - count)]:
            if version not in protected:
                registry.delete_version(client.registry, name, version)

    def delete(self, client: Workspace, live: Live) -> None:
        registry.delete_model(client.registry, live.name)

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

    def refusals(self, live: Live, last_applied: dict[str, Any] | None) -> tuple[str, ...]:
        versions = live.facts.get("versions", ())
        served = live.facts.get("served", ())
        if served:
            return (f"versions {', '.join(served)} are served by endpoints",)
        if versions and not (last_applied or {}).get("delete_versions"):
            return (f"it has {len(versions)} versions: set lifecycle.delete_versions: true "
                    "(and apply) to let them go",)
        return ()

    def _request(self, name: str) -> registry.LogRequest:
        with self._lock:
            return self._requests[name]


def _file_hash(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _served_versions(client: Workspace, name: str) -> list[str]:
    """Versions of `name` that serving endpoints serve (list summaries name them)."""
    served = set()
    for endpoint in serving_endpoints.list_all(client):
        for entity in (endpoint.get("config") or {}).get("served_entities", []):
            if str(entity.get("entity_name", "")).lower() == name.lower():
                served.add(str(entity.get("entity_version")))
    return sorted(served, key=lambda v: int(v) if v.isdigit() else 0)
