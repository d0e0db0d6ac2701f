"""A run on a plan: confirm → record what is settled → apply. Nothing is written before the
confirmation answers yes; the caller asks it (a prompt, `--auto-approve`, a reviewed saved
plan) and renders the events the run emits."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from provisioner.addresses import Address, SecretReference
from provisioner.apply import events

if TYPE_CHECKING:
    from provisioner.engine.session import Session
    from provisioner.kinds.base import Live
    from provisioner.plan.model import Plan
    from provisioner.plan.planner import Planned

Confirm = Callable[["Plan"], bool]
"""Asked once, before anything is written, when the plan changes anything."""
IN_FLIGHT = 256
"""Resources an apply works on at once (each a thread, mostly asleep between polls)."""


class Declined(Exception):
    """The confirmation was answered no: nothing was written."""


def approved(plan: Plan) -> bool:
    """The confirmation of a run that asks nobody (`--auto-approve`, a reviewed saved plan)."""
    return True


def apply(session: Session, planned: Planned, *, confirm: Confirm, emit: events.Emit,
          parallelism: int, timeouts: Mapping[str, float],
          stop: threading.Event | None = None) -> dict[str, BaseException]:
    """Confirm, record what is settled, apply; returns the failures by address. Raises
    `Declined` when the confirmation says no."""
    plan = planned.plan
    if plan.has_changes and not confirm(plan):
        raise Declined
    if plan.operation != "destroy":
        from provisioner.engine.recording import record_settled

        record_settled(session, planned)
    if not plan.has_changes:
        return {}
    return _changes(session, planned, emit, parallelism=parallelism, timeouts=timeouts,
                    stop=stop)


def refresh(session: Session, plan: Plan, live: Mapping[Address, Live | None], *,
            confirm: Confirm) -> int:
    """Confirm, then record a refresh-only plan's findings in the state; returns how many
    entries changed. Raises `Declined` when the confirmation says no."""
    from provisioner.engine.recording import record_refresh

    if plan.has_changes and not confirm(plan):
        raise Declined
    return record_refresh(session, plan, dict(live))


def _changes(session: Session, planned: Planned, emit: events.Emit, *, parallelism: int,
             timeouts: Mapping[str, float], stop: threading.Event | None
             ) -> dict[str, BaseException]:
    """Create placeholder secrets (local only), record moves, then apply every change."""
    from provisioner.apply.applier import Applier
    from provisioner.plan.preflight import placeholders_note
    from provisioner.workspace import secret_lookups

    placeholders = [SecretReference(*text.split("/", 1))
                    for text in planned.plan.placeholder_secrets]
    if placeholders:
        secret_lookups.create_placeholders(session.client, placeholders)
        emit(events.Note(placeholders_note(placeholders)))
    for change in planned.plan.changes:
        if change.moves and change.previous_address in session.store.state.resources:
            session.store.move(change.previous_address, change.address)
            emit(events.Note(f"{change.previous_address} moved to {change.address}"))
    applier = Applier(session.client, session.store, planned, emit, timeouts=timeouts,
                      stop=stop)
    # More resources in flight than requests: most of an apply is readiness waits, which hold
    # no connection, and the client's pool already caps concurrent requests at `parallelism`.
    return applier.run(max(parallelism, IN_FLIGHT))
