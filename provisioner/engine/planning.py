"""Make a plan on a session: read, plan, preflight; or a refresh-only plan."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from provisioner.addresses import Address, SecretReference
from provisioner.diagnostics import has_errors
from provisioner.errors import UserError
from provisioner.plan.planner import Planned

if TYPE_CHECKING:
    from provisioner.engine.session import Session
    from provisioner.kinds.base import Live
    from provisioner.stack.model import Stack

PREFLIGHT_WORKERS = 4
"""Preflight's questions asked at once, while the plan reads (a stack asks a handful)."""


def now() -> str:
    """When a plan is made: an input of `build_plan`, taken once here."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def make_plan(session: Session, *, parallelism: int, destroy: bool = False,
              only: Iterable[str] = ()) -> Planned:
    """Read live state, diff, preflight. Raises UserError when preflight or rules fail."""
    from provisioner.kinds.registry import exists
    from provisioner.plan import preflight
    from provisioner.plan.planner import (
        build_plan,
        desired_documents,
        file_digests,
        known_before_apply,
        reading,
        subjects,
    )
    from provisioner.workspace import secret_lookups
    from provisioner.workspace.api import identity

    stack, client = session.stack, session.client
    wanted = _only(stack, only)
    state = session.store.load()
    documents = desired_documents(stack, file_digests(stack))
    known = known_before_apply(documents)
    created = now()
    lookups = preflight.Lookups(
        missing_secrets=lambda refs: secret_lookups.missing_secrets(client, refs),
        exists=lambda requirement: exists(client, requirement),
        deployer=lambda: identity.user_name(client))
    with ThreadPoolExecutor(max_workers=PREFLIGHT_WORKERS) as early:
        if not destroy:
            lookups = preflight.asked_early(stack, known, lookups, early)
        with reading(client, subjects(stack, state, known), parallelism) as live:
            planned = build_plan(stack, state, live, documents, created=created,
                                 destroy=destroy, only=wanted)
        diagnostics = list(planned.plan.diagnostics)
        placeholders: list[SecretReference] = []
        if not destroy:
            found, placeholders = preflight.check(stack, planned, known, lookups,
                                                  create_missing_secrets=session.is_local)
            diagnostics += found
    if has_errors(diagnostics):
        raise UserError(diagnostics)
    return dataclasses.replace(planned, plan=dataclasses.replace(
        planned.plan, diagnostics=tuple(diagnostics),
        placeholder_secrets=tuple(f"{s.scope}/{s.key}" for s in placeholders)))


def _only(stack: Stack, only: Iterable[str]) -> list[Address]:
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


def make_refresh(session: Session, *, parallelism: int
                 ) -> tuple[Planned, dict[Address, Live | None]]:
    """A refresh-only plan and the live reads it was made from (which `record_refresh`
    records)."""
    from provisioner.plan.planner import desired_documents, file_digests, origin, read_live
    from provisioner.plan.refresh import build_refresh, refresh_subjects

    stack = session.stack
    state = session.store.load()
    live = read_live(session.client, refresh_subjects(state), parallelism)
    ignore = {a: tuple(r.spec.lifecycle.ignore_changes) for a, r in stack.resources.items()}
    documents = desired_documents(stack, file_digests(stack))
    plan = build_refresh(origin(stack, documents), state, live, ignore, created=now())
    return Planned(plan, {}), live
