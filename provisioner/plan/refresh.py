"""Refresh-only plans, as Terraform's `-refresh-only`: what the state would record of changes
made outside the stack, never a change to the workspace.

Each resource the state holds is read; a field whose live value moved from the last-applied
one becomes the new last-applied value (so `drift` is clean and `plan` still brings it back
to the stack), a resource gone from the workspace leaves the state. `build_refresh` is pure;
`refreshed` is what the state records.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from provisioner.addresses import Address, format_field_path
from provisioner.diff import patch, sensitive
from provisioner.diff.three_way import drift
from provisioner.kinds.base import Live
from provisioner.kinds.registry import handler_for
from provisioner.operations import Action, Reason
from provisioner.plan.model import FieldDiff, Plan, ResourceChange, StackOrigin
from provisioner.plan.planner import Subject, fingerprint
from provisioner.state.model import ResourceState, State

OPERATION = "refresh-only"
GONE = "gone from the workspace: the state forgets it"


def refresh_subjects(state: State) -> list[Subject]:
    """Each resource the state holds, read by the name it was applied under."""
    return [Subject(Address.parse(a), r.name, r.last_applied) for a, r in state.resources.items()]


def build_refresh(origin: StackOrigin, state: State, live: Mapping[Address, Live | None],
                  ignore: Mapping[Address, tuple[str, ...]], *, created: str = "") -> Plan:
    """The refresh-only plan: a no-op per resource, carrying what moved outside (`drift`)
    or that it is gone. Pure: the same inputs always give the same plan."""
    changes = []
    for text, remembered in sorted(state.resources.items()):
        address = Address.parse(text)
        found = live.get(address)
        common: dict[str, Any] = dict(address=text, kind=address.kind, name=remembered.name,
                                      action=Action.NO_OP, depends_on=remembered.depends_on,
                                      prevent_destroy=remembered.prevent_destroy,
                                      ignore_changes=ignore.get(address, ()))
        if found is None:
            changes.append(ResourceChange(reason=str(Reason.GONE_FROM_WORKSPACE), notes=(GONE,),
                                          **common))
            continue
        rules = handler_for(address.kind).rules
        moved = drift(found.document, remembered.last_applied, rules, common["ignore_changes"])
        changes.append(ResourceChange(
            reason=str(Reason.DRIFT if moved else Reason.CHANGED),
            before=sensitive.mask(found.document, rules), fingerprint=fingerprint(found),
            drift=tuple(FieldDiff(format_field_path(c.path), c.before, c.after, c.reason)
                        for c in moved), **common))
    return Plan(origin, state.lineage, state.serial, tuple(changes), OPERATION, (), created)


def refreshed(remembered: ResourceState, live: Live | None, ignore: tuple[str, ...]
              ) -> ResourceState | None:
    """What the state records of a resource now: nothing when it is gone; else its live id
    and outputs, and its last-applied document with each field moved outside set to the live
    value (sensitive values hashed)."""
    if live is None:
        return None
    rules = handler_for(remembered.kind).rules
    recorded = remembered.last_applied
    for change in drift(live.document, recorded, rules, ignore):
        value = patch.get(live.document, change.path)
        if value is not patch.ABSENT:
            value = sensitive.hash_sensitive(value, rules, change.path)
        recorded = patch.put(recorded, change.path, value)
    return dataclasses.replace(remembered, id=live.id, last_applied=recorded,
                               outputs={**live.outputs, "name": live.name})
