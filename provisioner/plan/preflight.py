"""Preflight: find now what would make Databricks fail half-way through an apply."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

from provisioner.addresses import REFERENCE_START, Address, SecretReference
from provisioner.diagnostics import Diagnostic, Severity, error
from provisioner.kinds.base import Requirement
from provisioner.kinds.common import MANAGE, lockout
from provisioner.kinds.registry import handler_for
from provisioner.operations import Action
from provisioner.placeholders import UNKNOWN
from provisioner.plan.planner import Planned
from provisioner.plan.resolve import resolve
from provisioner.stack.model import Stack


@dataclass(frozen=True)
class Lookups:
    """Read-only questions preflight asks the workspace (answered by the workspace layer)."""

    missing_secrets: Callable[[list[SecretReference]], list[SecretReference]]
    exists: Callable[[Requirement], bool]
    deployer: Callable[[], str | None] = lambda: None
    """Who applies: the principal whose own management grant access lists keep."""


def check(stack: Stack, planned: Planned, known: Mapping[Address, dict[str, Any]],
          lookups: Lookups, *, create_missing_secrets: bool
          ) -> tuple[list[Diagnostic], list[SecretReference]]:
    """Diagnostics, and the missing secrets apply must create (when `create_missing_secrets`:
    the embedded local workspace only, so that examples run offline in one command).
    `known`: the desired documents as known before the apply (`known_before_apply`)."""
    missing = lookups.missing_secrets(list(stack.secret_references))
    if create_missing_secrets:
        diagnostics = [Diagnostic(
            f"secret {secret} does not exist: apply creates it with a placeholder value "
            "(local workspace only; any other workspace must have it)",
            Severity.WARNING, span=stack.secret_references[secret][0]) for secret in missing]
    else:
        diagnostics = [
            error(f"secret {secret} does not exist in the workspace",
                  stack.secret_references[secret][0],
                  hint=f"create it: databricks secrets put-secret {secret.scope} {secret.key}")
            for secret in missing]
    provided = {(handler_for(c.kind).provides, c.name) for c in planned.plan.changes
                if c.action is not Action.DELETE}
    answers: dict[tuple, bool] = {}  # many resources need the same one (an embedding endpoint)
    planned_known = ((address, known[address]) for address in planned.desired)
    for address, requirement in _requirements(planned_known, provided):
        question = _question(requirement)
        if question not in answers:
            answers[question] = lookups.exists(requirement)
        if not answers[question]:
            diagnostics.append(_unmet(stack, address, requirement))
    for address, requirement in _planned_mismatches(planned):
        diagnostics.append(_unmet(stack, address, requirement))
    diagnostics += _lockouts(stack, planned, lookups.deployer)
    return diagnostics, (missing if create_missing_secrets else [])


_NAME_REFERENCE = re.compile(r"\$\{resources\.(?P<kind>\w+)\.(?P<key>[\w-]+)\.name\}")
"""A requirement naming a resource of this stack by reference (`endpoint_name: ${...}`)."""


def _unmet(stack: Stack, address: Address, requirement: Requirement) -> Diagnostic:
    span = stack.resources[address].span_of(requirement.path)
    if requirement.problem:
        return error(f"{address}: {requirement.problem}", span)
    detail = f" ({requirement.detail})" if requirement.detail else ""
    return error(f"{address}: {requirement.kind.replace('_', ' ')} '{requirement.name}' "
                 f"does not exist{detail}", span, hint="create it first, or add it to this stack")


def _planned_mismatches(planned: Planned) -> Iterator[tuple[Address, Requirement]]:
    """Requirements met by a resource this plan makes, whose planned document contradicts
    what they expect (an index's endpoint type, when the endpoint is in the stack too)."""
    made = {(handler_for(a.kind).provides, d.get("name")): d for a, d in planned.desired.items()}
    for address, raw in planned.desired.items():
        for requirement in handler_for(address.kind).requirements(raw):
            found = _NAME_REFERENCE.fullmatch(str(requirement.name))
            document = (planned.desired.get(Address(found["kind"], found["key"])) if found
                        else made.get((requirement.kind, requirement.name)))
            if document is not None and any(k in document and document[k] != v
                                            for k, v in requirement.expect.items()):
                yield address, requirement


def _lockouts(stack: Stack, planned: Planned, deployer: Callable[[], str | None]
              ) -> list[Diagnostic]:
    """Access lists that name the deployer below CAN_MANAGE: applied, the deployer (unless an
    admin) could no longer change or delete what it deployed, so the next apply would fail.
    Lists that do not name the deployer keep its grant at apply (`with_deployer`)."""
    lists = [(a, d["permissions"]) for a, d in planned.desired.items()
             if a in stack.resources and d.get("permissions")]
    if not lists or (me := deployer()) is None:
        return []
    found = []
    for address, acl in lists:
        if (entry := lockout(acl, me)) is not None:
            found.append(error(
                f"{address}: permissions give the deployer {me} {entry['permission_level']}, "
                f"which would take away its own {MANAGE} on what it deploys",
                stack.resources[address].span_of(("permissions", acl.index(entry))),
                hint=f"give {me} {MANAGE}, or leave {me} out: the deployer keeps {MANAGE} "
                     "on its own (as the Databricks CLI does)"))
    return found


def asked_early(stack: Stack, known: Mapping[Address, dict[str, Any]], lookups: Lookups,
                pool: Executor) -> Lookups:
    """`lookups` whose questions about this stack are already being asked in `pool`: the plan
    starts them before it reads, and `check` waits for answers that came in meanwhile
    instead of asking one round trip after another once the plan is built."""
    wanted = list(stack.secret_references)
    secrets = pool.submit(lookups.missing_secrets, wanted)
    provided = {(handler_for(a.kind).provides, resolve(r.name, {}))
                for a, r in stack.resources.items()}
    asked: dict[tuple, Future[bool]] = {}
    for _, requirement in _requirements(known.items(), provided):
        if _question(requirement) not in asked:
            asked[_question(requirement)] = pool.submit(lookups.exists, requirement)

    granting = any(d.get("permissions") for d in known.values())
    deployer = pool.submit(lookups.deployer).result if granting else lookups.deployer

    def missing_secrets(references: list[SecretReference]) -> list[SecretReference]:
        return secrets.result() if references == wanted else lookups.missing_secrets(references)

    def exists(requirement: Requirement) -> bool:
        answer = asked.get(_question(requirement))
        return answer.result() if answer else lookups.exists(requirement)

    return Lookups(missing_secrets, exists, deployer)


def _requirements(known: Iterable[tuple[Address, dict[str, Any]]],
                  provided: set[tuple[str, Any]]) -> Iterator[tuple[Address, Requirement]]:
    """What each resource needs that is neither made by this plan nor decided at apply."""
    for address, document in known:
        for requirement in handler_for(address.kind).requirements(document):
            if not (_decided_later(requirement)
                    or (requirement.kind, requirement.name) in provided):
                yield address, requirement


def _question(requirement: Requirement) -> tuple[str, str, str]:
    return requirement.kind, requirement.name, repr(requirement.expect)


def _decided_later(requirement: Requirement) -> bool:
    """Names still holding a reference are produced by this plan and checked at apply."""
    return UNKNOWN in requirement.name or REFERENCE_START in requirement.name


def placeholders_note(secrets: list[SecretReference]) -> str:
    names = ", ".join(str(s) for s in secrets)
    return (f"local workspace: created placeholder values for missing secrets {names}; "
            "on any other workspace they must exist")
