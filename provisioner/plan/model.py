"""The frozen plan: every resource's action, field changes and reasons; a saved plan's document.

Renderers read only `Plan.to_document()`; apply reads the actions, the planned desired
documents and the recorded fingerprints. A saved plan is self-contained: it names its stack
by absolute path and digest, carries the variables, target and desired documents, and applies
without the stack's help except for plaintext it holds only by hash. Values here are
display-safe: sensitive ones are masked (for display) or hashed (in desired documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioner.diagnostics import Diagnostic
from provisioner.operations import Action

FORMAT_VERSION = 2


@dataclass(frozen=True, slots=True)
class FieldDiff:
    path: str
    before: Any
    after: Any
    reason: str
    forces_replace: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after,
                "reason": self.reason, "forces_replace": self.forces_replace}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FieldDiff:
        return cls(data["path"], data.get("before"), data.get("after"), data.get("reason", ""),
                   bool(data.get("forces_replace")))


@dataclass(frozen=True, slots=True)
class ResourceChange:
    address: str
    kind: str
    name: str
    action: Action
    reason: str
    fields: tuple[FieldDiff, ...] = ()
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    fingerprint: str | None = None
    """Hash of the live read the plan was made from; a saved plan refuses if it moved."""
    desired_hash: str | None = None
    """Hash of the desired document; a saved plan refuses if the stack now says otherwise."""
    location: str | None = None
    depends_on: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    drift: tuple[FieldDiff, ...] = ()
    desired: dict[str, Any] | None = None
    """What apply makes live: the desired document as planned, `${...}` references unresolved
    (apply resolves them as it goes), sensitive values hashed. None for a delete."""
    ignore_changes: tuple[str, ...] = ()
    prevent_destroy: bool = False
    previous_address: str | None = None
    """Where the state recorded this resource before: apply moves the entry first."""
    live_id: str | None = None
    """The id of the object the plan read: apply changes or deletes no other."""

    @property
    def moves(self) -> bool:
        return self.previous_address is not None and self.previous_address != self.address

    @property
    def replace_fields(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.fields if f.forces_replace)

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address, "type": self.kind, "name": self.name,
            "action": str(self.action), "reason": self.reason,
            "change": {"actions": self.action.terraform_actions,
                       "before": self.before, "after": self.after},
            "fields": [f.to_dict() for f in self.fields],
            "replace_fields": list(self.replace_fields),
            "fingerprint": self.fingerprint, "desired_hash": self.desired_hash,
            "location": self.location, "depends_on": list(self.depends_on),
            "notes": list(self.notes), "drift": [f.to_dict() for f in self.drift],
            "desired": self.desired, "ignore_changes": list(self.ignore_changes),
            "prevent_destroy": self.prevent_destroy,
            "previous_address": self.previous_address, "live_id": self.live_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResourceChange:
        change = data.get("change") or {}
        return cls(
            address=data["address"], kind=data["type"], name=data["name"],
            action=Action(data["action"]), reason=data.get("reason", ""),
            fields=tuple(FieldDiff.from_dict(f) for f in data.get("fields", [])),
            before=change.get("before"), after=change.get("after"),
            fingerprint=data.get("fingerprint"), desired_hash=data.get("desired_hash"),
            location=data.get("location"), depends_on=tuple(data.get("depends_on", [])),
            notes=tuple(data.get("notes", [])),
            drift=tuple(FieldDiff.from_dict(f) for f in data.get("drift", [])),
            desired=data.get("desired"), ignore_changes=tuple(data.get("ignore_changes", [])),
            prevent_destroy=bool(data.get("prevent_destroy")),
            previous_address=data.get("previous_address"), live_id=data.get("live_id"),
        )


@dataclass(frozen=True, slots=True)
class StackOrigin:
    """Which stack and target a plan was made from, absolutely: enough to open the same
    workspace and state from any folder."""

    name: str
    path: str
    """The stack folder, absolute."""
    digest: str
    """Hash of what the stack's files said when planned."""
    target: str
    workspace: dict[str, Any] | None
    """The target's `workspace:` (profile, host, auth_type); None for the environment's or
    the embedded local workspace."""
    state: str
    """The target's state backend (`local` or `workspace:/path`)."""
    variables: dict[str, Any]
    """The values planned with; one feeding a sensitive value is held by its hash."""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "digest": self.digest,
                "target": self.target, "workspace": self.workspace, "state": self.state,
                "variables": self.variables}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StackOrigin:
        return cls(data["name"], data["path"], data["digest"], data["target"],
                   data.get("workspace"), data["state"], dict(data.get("variables") or {}))


@dataclass(frozen=True, slots=True)
class Plan:
    origin: StackOrigin
    lineage: str
    serial: int
    changes: tuple[ResourceChange, ...]
    operation: str = "apply"
    diagnostics: tuple[Diagnostic, ...] = ()
    created: str = ""
    """When it was made (ISO 8601): an input, so planning stays pure."""
    placeholder_secrets: tuple[str, ...] = ()
    """`scope/key` of secrets the local workspace lacks: apply creates placeholder values."""

    @property
    def stack(self) -> str:
        return self.origin.name

    @property
    def target(self) -> str:
        return self.origin.target

    @property
    def has_changes(self) -> bool:
        """Whether applying it changes anything: the workspace, or (refresh-only) the state,
        where a resource moved outside or gone (no live read: no `before`) is recorded."""
        if self.operation == "refresh-only":
            return any(c.drift or c.before is None for c in self.changes)
        return any(c.action is not Action.NO_OP or c.moves for c in self.changes)

    def counts(self) -> dict[str, int]:
        counts = {str(a): 0 for a in Action}
        for change in self.changes:
            counts[str(change.action)] += 1
        return counts

    def to_document(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "stack": self.origin.name, "stack_path": self.origin.path,
            "target": self.origin.target, "origin": self.origin.to_dict(),
            "operation": self.operation,
            "state": {"lineage": self.lineage, "serial": self.serial},
            "created": self.created,
            "summary": self.counts(),
            "resource_changes": [c.to_dict() for c in self.changes],
            "placeholder_secrets": list(self.placeholder_secrets),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }

    @classmethod
    def from_document(cls, data: dict[str, Any]) -> Plan:
        return cls(
            origin=StackOrigin.from_dict(data["origin"]),
            lineage=data["state"]["lineage"], serial=int(data["state"]["serial"]),
            changes=tuple(ResourceChange.from_dict(c) for c in data["resource_changes"]),
            operation=data.get("operation", "apply"), created=data.get("created", ""),
            diagnostics=tuple(Diagnostic.from_dict(d) for d in data.get("diagnostics", [])),
            placeholder_secrets=tuple(data.get("placeholder_secrets", [])),
        )
