"""The steps plan, apply, destroy and refresh share: read, plan, preflight, apply."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from provisioner.addresses import Address, SecretReference
from provisioner.apply import events
from provisioner.cli.session import Session
from provisioner.diagnostics import Diagnostic, has_errors
from provisioner.errors import UserError
from provisioner.plan.planner import Planned

PREFLIGHT_WORKERS = 4
"""Preflight's questions asked at once, while the plan reads (a stack asks a handful)."""
IN_FLIGHT = 256
"""Resources an apply works on at once (each a thread, mostly asleep between polls)."""


@dataclass(frozen=True)
class PlanResult:
    planned: Planned
    diagnostics: tuple[Diagnostic, ...]


def make_plan(session: Session, *, parallelism: int, destroy: bool = False,
              only: Iterable[str] = ()) -> PlanResult:
    """Read live state, diff, preflight. Raises UserError when preflight or rules fail."""
    from provisioner.kinds.registry import exists
    from provisioner.plan import preflight
    from provisioner.plan.planner import build_plan, desired_documents, reading, subjects
    from provisioner.workspace import secret_lookups
    from provisioner.workspace.api import identity

    stack, client = session.stack, session.client
    wanted = _only(stack, only)
    state = session.store.load()
    documents = desired_documents(stack)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    lookups = preflight.Lookups(
        missing_secrets=lambda refs: secret_lookups.missing_secrets(client, refs),
        exists=lambda requirement: exists(client, requirement),
        deployer=lambda: identity.user_name(client))
    with ThreadPoolExecutor(max_workers=PREFLIGHT_WORKERS) as early:
        if not destroy:
            lookups = preflight.asked_early(stack, documents, lookups, early)
        with reading(client, subjects(stack, state, documents), parallelism) as live:
            planned = build_plan(stack, state, live, documents, created=created,
                                 destroy=destroy, only=wanted)
        diagnostics = list(planned.plan.diagnostics)
        placeholders: list[SecretReference] = []
        if not destroy:
            found, placeholders = preflight.check(stack, planned, lookups,
                                                  create_missing_secrets=session.is_local)
            diagnostics += found
    if has_errors(diagnostics):
        raise UserError(diagnostics)
    planned = dataclasses.replace(planned, plan=dataclasses.replace(
        planned.plan, diagnostics=tuple(diagnostics),
        placeholder_secrets=tuple(f"{s.scope}/{s.key}" for s in placeholders)))
    return PlanResult(planned, tuple(diagnostics))


def _only(stack, only: Iterable[str]) -> list[Address]:
    from provisioner.diagnostics import did_you_mean, error

    addresses = []
    problems = []
    for text in only:
        try:
            address = Address.parse(text)
        except ValueError as exc:
            problems.append(error(f"--only: {exc}"))
            continue
        if address not in stack.resources:
            problems.append(error(f"--only: no resource '{text}' in the stack",
                                  hint=did_you_mean(text, [str(a) for a in stack.resources])))
        addresses.append(address)
    if problems:
        raise UserError(problems)
    return addresses


def apply_plan(session: Session, result: PlanResult, emit: events.Emit, *, parallelism: int,
               timeouts: dict[str, float]) -> dict[str, BaseException]:
    """Create placeholder secrets (local only), then apply; returns failures by address."""
    from provisioner.apply.applier import Applier
    from provisioner.cli import interrupts
    from provisioner.plan.preflight import placeholders_note
    from provisioner.workspace import secret_lookups

    placeholders = [SecretReference(*text.split("/", 1))
                    for text in result.planned.plan.placeholder_secrets]
    if placeholders:
        secret_lookups.create_placeholders(session.client, placeholders)
        emit(events.Note(placeholders_note(placeholders)))
    for change in result.planned.plan.changes:
        if change.moves and change.previous_address in session.store.state.resources:
            session.store.move(change.previous_address, change.address)
            emit(events.Note(f"{change.previous_address} moved to {change.address}"))
    applier = Applier(session.client, session.store, result.planned, emit,
                      timeouts=timeouts, stop=interrupts.STOP)
    # More resources in flight than requests: most of an apply is readiness waits, which hold
    # no connection, and the client's pool already caps concurrent requests at `parallelism`.
    return applier.run(max(parallelism, IN_FLIGHT))


def record_settled(session: Session, result: PlanResult) -> None:
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
    for change in result.planned.plan.changes:
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
            made_on = bound_dependencies(handler_for(address.kind),
                                         result.planned.desired[address])
            updated = dataclasses.replace(updated, bound_to={
                str(a): outputs[a]["id"] for a in made_on if (outputs.get(a) or {}).get("id")})
        if settled and sensitive.hash_value(remembered.last_applied) != change.desired_hash:
            applied = sensitive.hash_sensitive(
                resolve(result.planned.desired[address], outputs), handler_for(address.kind).rules)
            if sensitive.hash_value(applied) == change.desired_hash:  # resolved as planned
                updated = dataclasses.replace(updated, last_applied=applied,
                                              depends_on=change.depends_on)
        if updated != remembered:
            session.store.record(change.address, updated)


def make_refresh(session: Session, *, parallelism: int) -> tuple[PlanResult, dict]:
    """A refresh-only plan and the live reads it was made from (which `record_refresh`
    records)."""
    from provisioner.plan.planner import desired_documents, origin, read_live
    from provisioner.plan.refresh import build_refresh, refresh_subjects

    stack = session.stack
    state = session.store.load()
    live = read_live(session.client, refresh_subjects(state), parallelism)
    ignore = {a: tuple(r.spec.lifecycle.ignore_changes) for a, r in stack.resources.items()}
    plan = build_refresh(origin(stack, desired_documents(stack)), state, live, ignore,
                         created=datetime.now(UTC).isoformat(timespec="seconds"))
    return PlanResult(Planned(plan, {}), ()), live


def record_refresh(session: Session, result: PlanResult, live: dict) -> int:
    """Record what the refresh-only plan found: live values of fields moved outside, gone
    resources forgotten. Returns how many entries changed; the workspace is not touched."""
    from provisioner.plan.refresh import refreshed

    state = session.store.state
    recorded = 0
    for change in result.planned.plan.changes:
        remembered = state.resources.get(change.address)
        if remembered is None:
            continue
        entry = refreshed(remembered, live.get(Address.parse(change.address)),
                          change.ignore_changes)
        if entry != remembered:
            session.store.record(change.address, entry)
            recorded += 1
    return recorded
