"""Saved plans: read one back and refuse it when anything it was made from has moved."""

from __future__ import annotations

import json

from provisioner.diagnostics import error
from provisioner.errors import UserError
from provisioner.plan.model import FORMAT_VERSION, Plan


def read_plan(path: str) -> Plan:
    try:
        with open(path) as handle:
            document = json.load(handle)
        version = document["format_version"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError([error(f"{path} is not a saved plan ({exc})",
                               hint="make one with: provisioner plan --out plan.json")]) from None
    if version != FORMAT_VERSION:
        raise UserError([error(f"{path} has plan format {version}; this provisioner applies "
                               f"format {FORMAT_VERSION}")])
    try:
        return Plan.from_document(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError([error(f"{path} is a damaged plan: {exc}")]) from None


def check_unchanged(saved: Plan, current: Plan, path: str) -> None:
    """The plan applies only to the state, workspace and stack it was made from."""
    moved = []
    if saved.stack != current.stack:
        moved.append(f"it is a plan for stack '{saved.stack}', not '{current.stack}'")
    if (saved.lineage, saved.serial) != (current.lineage, current.serial):
        moved.append(f"the state changed (serial {saved.serial} → {current.serial})")
    now = {c.address: c for c in current.changes}
    for change in saved.changes:
        fresh = now.pop(change.address, None)
        if fresh is None:
            moved.append(f"{change.address} is no longer planned")
        elif fresh.fingerprint != change.fingerprint:
            moved.append(f"{change.address} changed in the workspace")
        elif fresh.desired_hash != change.desired_hash or fresh.action != change.action:
            moved.append(f"{change.address} is now planned differently (the stack changed)")
    moved += [f"{address} is newly planned" for address in sorted(now)]
    if moved:
        raise UserError([error(f"the saved plan {path} is stale: " + "; ".join(moved),
                               hint="make a new plan and review it")])
