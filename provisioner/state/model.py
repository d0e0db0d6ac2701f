"""The state document: format version, lineage, serial, and per address what was applied."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from provisioner.errors import UserError

if TYPE_CHECKING:
    from provisioner.state.document import ResourceStateDocument

FORMAT_VERSION = 1
STATUSES = ("creating", "ready", "failed")
"""A resource's status, as Terraform taints: `creating` from the moment the workspace
acknowledged its create until it is ready (an interrupted wait is resumed by the next apply),
`failed` when it never became ready (the next apply replaces it)."""


class DamagedState(UserError):
    """The state document cannot be read (truncated, corrupted, not ours)."""


@dataclass(frozen=True, slots=True)
class ResourceState:
    """One managed resource: its workspace identity, last-applied spec (hashed) and outputs."""

    kind: str
    name: str
    id: str | None = None
    last_applied: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    prevent_destroy: bool = False
    status: str = "ready"
    bound_to: dict[str, str] = field(default_factory=dict)
    """Address -> id of each resource this one was made on (a reference in a field only a
    re-creation changes): when that one is re-created, so must this be."""
    rollout: dict[str, Any] | None = None
    """A rollout under way (apply/rollout.py): the new served entity, the step it was sent,
    the routes it started from, and `failed` once a gate failed and the rollback began."""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "id": self.id, "status": self.status,
                "last_applied": self.last_applied, "outputs": self.outputs,
                "depends_on": list(self.depends_on), "prevent_destroy": self.prevent_destroy,
                "bound_to": self.bound_to,
                **({"rollout": self.rollout} if self.rollout is not None else {})}

    @classmethod
    def from_document(cls, entry: ResourceStateDocument) -> ResourceState:
        """From the validated entry's own values: `model_dump` would copy every last-applied
        document again (a plan of 5,000 resources held both copies)."""
        return cls(kind=entry.kind, name=entry.name, id=entry.id,
                   last_applied=entry.last_applied, outputs=entry.outputs,
                   depends_on=tuple(entry.depends_on), prevent_destroy=entry.prevent_destroy,
                   status=entry.status, bound_to=entry.bound_to,
                   rollout=entry.rollout.model_dump() if entry.rollout is not None else None)


@dataclass(frozen=True, slots=True)
class State:
    stack: str
    target: str
    lineage: str = ""
    """Empty until the first write gives the state its identity: a saved plan made before
    any state existed still matches until something is written."""
    serial: int = 0
    resources: dict[str, ResourceState] = field(default_factory=dict)

    def with_resource(self, address: str, resource: ResourceState | None) -> State:
        """A new state with `address` set (or removed, for None) and the serial bumped."""
        resources = dict(self.resources)
        if resource is None:
            resources.pop(address, None)
        else:
            resources[address] = resource
        return replace(self, lineage=self.lineage or str(uuid.uuid4()), serial=self.serial + 1,
                       resources=dict(sorted(resources.items())))

    def moved(self, source: str, destination: str) -> State:
        """A new state with the entry at `source` recorded at `destination` instead (the
        serial bumped): the same object under a new address."""
        resources = dict(self.resources)
        entry = resources.pop(source)
        resources[destination] = replace(entry, kind=destination.partition(".")[0])
        return replace(self, lineage=self.lineage or str(uuid.uuid4()), serial=self.serial + 1,
                       resources=dict(sorted(resources.items())))

    def to_json(self) -> str:
        """The document, one line per resource. An apply writes it whole at every record,
        and `json.dumps(indent=...)` runs json's pure-Python encoder (5x the CPU of the C
        one: 5.5 ms a write at 100 endpoints, in the middle of the create burst); one entry a
        line keeps the C encoder, and a diff still names the entries that changed."""
        head = {"format_version": FORMAT_VERSION, "stack": self.stack, "target": self.target,
                "lineage": self.lineage, "serial": self.serial}
        entries = ",\n".join(f"    {json.dumps(a)}: {json.dumps(r.to_dict())}"
                              for a, r in sorted(self.resources.items()))
        lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in head.items()]
        lines.append(f'  "resources": {{\n{entries}\n  }}' if entries else '  "resources": {}')
        return "{\n" + ",\n".join(lines) + "\n}\n"

    @classmethod
    def from_json(cls, text: str, origin: str) -> State:
        """Parse a state document; a damaged or newer one is a clear error, never a guess.
        The committed schema (`state/document.py`) decides what is whole."""
        from pydantic import ValidationError

        from provisioner.diagnostics import error
        from provisioner.state.document import StateDocument

        try:
            data = json.loads(text)
            version = data["format_version"]
        except (ValueError, KeyError, TypeError) as exc:
            raise DamagedState([error(f"state {origin} is not a valid state document ({exc})",
                                      hint=DAMAGED_HINT)]) from None
        if version != FORMAT_VERSION:
            raise UserError([error(
                f"state {origin} has format version {version!r}; this provisioner reads "
                f"version {FORMAT_VERSION}", hint="upgrade provisioner")])
        try:
            document = StateDocument.model_validate(data)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"]) or "the document"
            raise DamagedState([error(f"state {origin} is damaged: {where}: {problem['msg']}",
                                      hint=DAMAGED_HINT)]) from None
        for address, entry in document.resources.items():
            kind, dot, key = address.partition(".")
            if not (dot and key and kind == entry.kind):
                raise DamagedState([error(
                    f"state {origin} is damaged: resources.{address}: not an address of the "
                    f"form <kind>.<key> whose kind is the entry's kind ('{entry.kind}')",
                    hint=DAMAGED_HINT)])
        return cls(stack=document.stack, target=document.target, lineage=document.lineage,
                   serial=document.serial,
                   resources={a: ResourceState.from_document(r)
                              for a, r in document.resources.items()})


DAMAGED_HINT = ("restore its backup, or remove it: the next plan adopts existing resources by "
                "name")
