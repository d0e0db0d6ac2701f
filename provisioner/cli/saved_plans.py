"""Saved plans: read one back and refuse it when anything it was made from has moved."""

from __future__ import annotations

import json

from provisioner.diagnostics import error
from provisioner.errors import UserError
from provisioner.plan.model import FORMAT_VERSION, Plan


def read_plan(path: str) -> Plan:
    """A saved plan, checked against the committed plan schema: a truncated, damaged or
    newer one is refused with what is wrong, never half read."""
    from pydantic import ValidationError

    from provisioner.plan.document import PlanDocument

    remake = "make one with: provisioner plan --out plan.json"
    try:
        with open(path) as handle:
            text = handle.read()
    except OSError as exc:
        raise UserError([error(f"cannot read the saved plan {path}: {exc.strerror or exc}",
                               hint=remake)]) from None
    try:
        document = json.loads(text)
        version = document["format_version"]
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError([error(f"{path} is not a saved plan ({exc})", hint=remake)]) from None
    if version != FORMAT_VERSION:
        raise UserError([error(f"{path} has plan format {version!r}; this provisioner applies "
                               f"format {FORMAT_VERSION}",
                               hint="apply it with the provisioner that made it, or make the "
                                    "plan again with this one")])
    try:
        PlanDocument.model_validate(document)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "the document"
        raise UserError([error(f"{path} is a damaged plan: {where}: {problem['msg']}",
                               hint=remake)]) from None
    return Plan.from_document(document)


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
