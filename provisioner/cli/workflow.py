"""The steps plan, apply, destroy and refresh share: read, plan, preflight, apply."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from provisioner.addresses import Address, SecretReference
from provisioner.apply import events
from provisioner.cli.session import Session
from provisioner.diagnostics import Diagnostic, has_errors
from provisioner.errors import UserError
from provisioner.plan.planner import Planned


@dataclass(frozen=True)
class PlanResult:
    planned: Planned
    diagnostics: tuple[Diagnostic, ...]
    placeholder_secrets: tuple[SecretReference, ...] = ()


def make_plan(session: Session, *, parallelism: int, destroy: bool = False,
              only: Iterable[str] = ()) -> PlanResult:
    """Read live state, diff, preflight. Raises UserError when preflight or rules fail."""
    from provisioner.kinds.registry import exists
    from provisioner.plan import preflight
    from provisioner.plan.planner import build_plan, read_live, subjects
    from provisioner.workspace import secret_lookups

    stack, client = session.stack, session.client
    wanted = _only(stack, only)
    state = session.store.load()
    live = read_live(client, subjects(stack, state), parallelism)
    planned = build_plan(stack, state, live, destroy=destroy, only=wanted)
    diagnostics = list(planned.plan.diagnostics)
    placeholders: list[SecretReference] = []
    if not destroy:
        lookups = preflight.Lookups(
            missing_secrets=lambda refs: secret_lookups.missing_secrets(client, refs),
            exists=lambda requirement: exists(client, requirement))
        found, placeholders = preflight.check(stack, planned, lookups,
                                              create_missing_secrets=session.is_local)
        diagnostics += found
    if has_errors(diagnostics):
        raise UserError(diagnostics)
    planned = dataclasses.replace(
        planned, plan=dataclasses.replace(planned.plan, diagnostics=tuple(diagnostics)))
    return PlanResult(planned, tuple(diagnostics), tuple(placeholders))


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
    from provisioner.plan.preflight import placeholders_note
    from provisioner.workspace import secret_lookups

    if result.placeholder_secrets:
        secret_lookups.create_placeholders(session.client, list(result.placeholder_secrets))
        emit(events.Note(placeholders_note(list(result.placeholder_secrets))))
    applier = Applier(session.client, session.stack, session.store, result.planned, emit,
                      timeouts=timeouts)
    return applier.run(parallelism)


def record_protection(session: Session) -> None:
    """Keep each resource's `prevent_destroy` in the state current even when nothing else
    changes, so removing a protected resource from the stack is refused."""
    for address, resource in session.stack.resources.items():
        remembered = session.store.state.resources.get(str(address))
        wanted = resource.spec.lifecycle.prevent_destroy
        if remembered is not None and remembered.prevent_destroy != wanted:
            session.store.record(str(address),
                                 dataclasses.replace(remembered, prevent_destroy=wanted))
