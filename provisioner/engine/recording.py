"""What a run records in the state besides what the applier records as it goes."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from provisioner.addresses import Address

if TYPE_CHECKING:
    from provisioner.engine.session import Session
    from provisioner.kinds.base import Live
    from provisioner.plan.model import Plan
    from provisioner.plan.planner import Planned


def record_settled(session: Session, planned: Planned) -> None:
    """Keep the state's record current where nothing needs applying: each resource's
    `prevent_destroy`, so removing a protected resource from the stack is refused; and, for a
    resource the workspace already matches (no-op, so ready: an interrupted create's wait
    that has since ended is settled here), the last-applied document, which a run
    stopped after sending a change but before recording it leaves stale (drift would then
    report the tool's own change as made by hand, forever)."""
    from provisioner.diff import sensitive
    from provisioner.kinds.registry import handler_for
    from provisioner.operations import Action
    from provisioner.plan.planner import bound_dependencies
    from provisioner.plan.resolve import resolve

    state = session.store.state
    outputs = {Address.parse(a): dict(r.outputs) for a, r in state.resources.items()}
    for change in planned.plan.changes:
        remembered = state.resources.get(change.address)
        if remembered is None or change.desired is None:
            continue
        address = Address.parse(change.address)
        settled = change.action is Action.NO_OP
        updated = dataclasses.replace(remembered, prevent_destroy=change.prevent_destroy,
                                      status="ready" if settled else remembered.status)
        if settled:  # the stack went back to what is served: no rollout is under way
            updated = dataclasses.replace(updated, rollout=None)
        if settled and not remembered.bound_to:  # recorded before the state had bindings
            made_on = bound_dependencies(handler_for(address.kind), planned.desired[address])
            updated = dataclasses.replace(updated, bound_to={
                str(a): outputs[a]["id"] for a in made_on if (outputs.get(a) or {}).get("id")})
        if settled and sensitive.hash_value(remembered.last_applied) != change.desired_hash:
            applied = sensitive.hash_sensitive(
                resolve(planned.desired[address], outputs), handler_for(address.kind).rules)
            if sensitive.hash_value(applied) == change.desired_hash:  # resolved as planned
                updated = dataclasses.replace(updated, last_applied=applied,
                                              depends_on=change.depends_on)
        if updated != remembered:
            session.store.record(change.address, updated)


def record_refresh(session: Session, plan: Plan, live: dict[Address, Live | None]) -> int:
    """Record what the refresh-only plan found: live values of fields moved outside, gone
    resources forgotten. Returns how many entries changed; the workspace is not touched."""
    from provisioner.plan.refresh import refreshed

    state = session.store.state
    recorded = 0
    for change in plan.changes:
        remembered = state.resources.get(change.address)
        if remembered is None:
            continue
        entry = refreshed(remembered, live.get(Address.parse(change.address)),
                          change.ignore_changes)
        if entry != remembered:
            session.store.record(change.address, entry)
            recorded += 1
    return recorded
