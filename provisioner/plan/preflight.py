"""Preflight: find now what would make Databricks fail half-way through an apply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from provisioner.addresses import REFERENCE_START, SecretReference
from provisioner.diagnostics import Diagnostic, Severity, error
from provisioner.kinds.base import Requirement
from provisioner.kinds.registry import handler_for
from provisioner.operations import Action
from provisioner.plan.planner import Planned
from provisioner.plan.resolve import UNKNOWN, resolve
from provisioner.stack.model import Stack


@dataclass(frozen=True)
class Lookups:
    """Read-only questions preflight asks the workspace (answered by the workspace layer)."""

    missing_secrets: Callable[[list[SecretReference]], list[SecretReference]]
    exists: Callable[[Requirement], bool]


def check(stack: Stack, planned: Planned, lookups: Lookups, *, create_missing_secrets: bool
          ) -> tuple[list[Diagnostic], list[SecretReference]]:
    """Diagnostics, and the missing secrets apply must create (when `create_missing_secrets`:
    the embedded local workspace only, so that examples run offline in one command)."""
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
    for address, raw in planned.desired.items():
        resource = stack.resources[address]
        for requirement in handler_for(address.kind).requirements(resolve(raw, {})):
            if _decided_later(requirement) or (requirement.kind, requirement.name) in provided:
                continue
            question = (requirement.kind, requirement.name, repr(requirement.expect))
            if question not in answers:
                answers[question] = lookups.exists(requirement)
            if not answers[question]:
                detail = f" ({requirement.detail})" if requirement.detail else ""
                diagnostics.append(error(
                    f"{address}: {requirement.kind.replace('_', ' ')} '{requirement.name}' "
                    f"does not exist{detail}", resource.span_of(requirement.path),
                    hint="create it first, or add it to this stack"))
    return diagnostics, (missing if create_missing_secrets else [])


def _decided_later(requirement: Requirement) -> bool:
    """Names still holding a reference are produced by this plan and checked at apply."""
    return UNKNOWN in requirement.name or REFERENCE_START in requirement.name


def placeholders_note(secrets: list[SecretReference]) -> str:
    names = ", ".join(str(s) for s in secrets)
    return (f"local workspace: created placeholder values for missing secrets {names}; "
            "on any other workspace they must exist")
