"""The frozen plan: every resource's action, field changes and reasons; a saved plan's document.

Renderers read only `Plan.to_document()`; apply reads the actions and the recorded
fingerprints. Values here are display-safe: sensitive ones are already masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from provisioner.diagnostics import Diagnostic
from provisioner.operations import Action

FORMAT_VERSION = 1


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
        )


@dataclass(frozen=True, slots=True)
class Plan:
    stack: str
    stack_path: str
    target: str
    lineage: str
    serial: int
    changes: tuple[ResourceChange, ...]
    operation: str = "apply"
    diagnostics: tuple[Diagnostic, ...] = ()
    created: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def has_changes(self) -> bool:
        return any(c.action is not Action.NO_OP for c in self.changes)

    def counts(self) -> dict[str, int]:
        counts = {str(a): 0 for a in Action}
        for change in self.changes:
            counts[str(change.action)] += 1
        return counts

    def to_document(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "stack": self.stack, "stack_path": self.stack_path, "target": self.target,
            "operation": self.operation,
            "state": {"lineage": self.lineage, "serial": self.serial},
            "created": self.created,
            "summary": self.counts(),
            "resource_changes": [c.to_dict() for c in self.changes],
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }

    @classmethod
    def from_document(cls, data: dict[str, Any]) -> Plan:
        return cls(
            stack=data["stack"], stack_path=data["stack_path"], target=data["target"],
            lineage=data["state"]["lineage"], serial=int(data["state"]["serial"]),
            changes=tuple(ResourceChange.from_dict(c) for c in data["resource_changes"]),
            operation=data.get("operation", "apply"), created=data.get("created", ""),
        )
