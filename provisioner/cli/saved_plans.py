"""Saved plans: read one back, refuse it when the state or workspace it was made from has
moved, and turn it into exactly the instructions it holds (never planned again).

A saved plan holds its desired documents with sensitive values hashed; the plaintext comes
from the stack's folder (or --var and the environment) at apply time, and only where it
hashes to what was planned: a stack edited since changes nothing the plan applies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.addresses import Address, format_field_path
from provisioner.diagnostics import error
from provisioner.errors import UserError
from provisioner.plan.model import FORMAT_VERSION, Plan

if TYPE_CHECKING:
    from provisioner.cli.session import PlannedStack, Session
    from provisioner.cli.workflow import PlanResult
    from provisioner.kinds.base import Live
    from provisioner.plan.planner import Subject
    from provisioner.stack.model import Stack
    from provisioner.state.model import State

REMAKE = "make one with: provisioner plan --out plan.json"


def read_plan(path: str) -> Plan:
    """A saved plan, checked against the committed plan schema: a truncated, damaged or
    newer one is refused with what is wrong, never half read."""
    from pydantic import ValidationError

    from provisioner.plan.document import PlanDocument

    try:
        with open(path) as handle:
            text = handle.read()
    except OSError as exc:
        raise UserError([error(f"cannot read the saved plan {path}: {exc.strerror or exc}",
                               hint=REMAKE)]) from None
    try:
        document = json.loads(text)
        version = document["format_version"]
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError([error(f"{path} is not a saved plan ({exc})", hint=REMAKE)]) from None
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
                               hint=REMAKE)]) from None
    for field, named in (("stack", "name"), ("stack_path", "path"), ("target", "target")):
        if document[field] != document["origin"][named]:
            raise UserError([error(
                f"{path} is a damaged plan: it names {field} '{document[field]}', but was "
                f"made from {field} '{document['origin'][named]}'", hint=REMAKE)])
    return Plan.from_document(document)


def planned_stack(saved: Plan) -> PlannedStack:
    """The workspace and state the plan was made against, from the plan alone."""
    from provisioner.cli.session import PlannedStack
    from provisioner.stack.model import Target
    from provisioner.stack.targets import WorkspaceDecl

    origin = saved.origin
    workspace = WorkspaceDecl(**origin.workspace) if origin.workspace else None
    return PlannedStack(origin.name, Path(origin.path), Target(origin.target, workspace,
                                                               origin.state))


def instructions(session: Session, saved: Plan, path: str, *, parallelism: int,
                 cli_vars: Sequence[str] = (), var_files: Sequence[str] = ()) -> PlanResult:
    """The saved plan as apply runs it, once the state and every resource it read are as
    they were when it was made."""
    from provisioner.cli.workflow import PlanResult
    from provisioner.plan.planner import Planned

    read_again(session, saved, path, parallelism=parallelism)
    desired = _with_plaintext(saved, cli_vars, var_files)
    return PlanResult(Planned(saved, desired), saved.diagnostics)


def read_again(session: Session, saved: Plan, path: str, *, parallelism: int
               ) -> dict[Address, Live | None]:
    """Every resource the plan read, read again the same way; refused (stale) unless the
    state and each of them are as they were when it was planned."""
    from provisioner.plan.planner import fingerprint, read_live

    state = session.store.load()
    if (saved.lineage, saved.serial) != (state.lineage, state.serial):
        moved = [f"the state changed (serial {saved.serial} → {state.serial})"]
        live = {}
    else:
        live = read_live(session.client, _subjects(saved, state), parallelism)
        moved = [f"{address} changed in the workspace" for address, found in live.items()
                 if fingerprint(found) != _planned(saved, address).fingerprint]
    if moved:
        raise UserError([error(f"the saved plan {path} is stale: " + "; ".join(moved),
                               hint="make a new plan and review it")])
    return live


def _planned(saved: Plan, address: Address):
    return next(c for c in saved.changes if c.address == str(address))


def _subjects(saved: Plan, state: State) -> Iterator[Subject]:
    """What the plan read, read again the same way (see `planner.subjects` and
    `refresh.refresh_subjects`)."""
    from provisioner.placeholders import UNKNOWN
    from provisioner.plan.planner import Subject
    from provisioner.plan.refresh import OPERATION, refresh_subjects
    from provisioner.plan.resolve import resolve

    if saved.operation == OPERATION:
        planned = {c.address for c in saved.changes}
        yield from (s for s in refresh_subjects(state) if str(s.address) in planned)
        return
    for change in saved.changes:
        address = Address.parse(change.address)
        remembered = state.resources.get(change.address)
        if change.desired is None:
            if remembered is not None:
                yield Subject(address, remembered.name)
            continue
        desired = resolve(change.desired, {})
        name = remembered.name if remembered else desired.get("name")
        if isinstance(name, str) and name != UNKNOWN:
            fields = frozenset(desired) | frozenset(remembered.last_applied if remembered
                                                    else ())
            yield Subject(address, name, desired, fields, expected=remembered is not None)


def _with_plaintext(saved: Plan, cli_vars: Sequence[str], var_files: Sequence[str]
                    ) -> dict[Address, dict[str, Any]]:
    """The plan's desired documents, each hashed sensitive value replaced by its plaintext
    from the stack's folder, which must hash to what was planned."""
    from provisioner.diff import sensitive
    from provisioner.kinds.registry import handler_for

    planned = {Address.parse(c.address): c.desired for c in saved.changes
               if c.desired is not None}
    fresh, problem = _stack_documents(saved, cli_vars, var_files) if planned else ({}, None)
    desired, missing = {}, []
    for address, document in planned.items():
        rules = handler_for(address.kind).rules
        desired[address], paths = sensitive.restore(document, fresh.get(address), rules)
        missing += [f"{address}.{format_field_path(p)}" for p in paths]
    if missing:
        why = (f"the stack at {saved.origin.path} does not load ({problem})" if problem
               else f"the stack at {saved.origin.path} now says otherwise")
        raise UserError([error(
            f"the saved plan holds sensitive values only by hash, and {why}: "
            + ", ".join(missing),
            hint="restore the stack's folder as it was planned, or pass the variables it "
                 "holds by hash with --var NAME=VALUE (or PROVISIONER_VAR_NAME)")])
    return desired


def _stack_documents(saved: Plan, cli_vars: Sequence[str], var_files: Sequence[str]
                     ) -> tuple[dict[Address, dict[str, Any]], str | None]:
    """The stack's desired documents now, loaded with the plan's variables (hashed ones come
    from --var or the environment); a stack that no longer loads gives none, and why."""
    from provisioner.diff.sensitive import is_hash
    from provisioner.plan.planner import desired_documents
    from provisioner.stack.loader import Options, load

    origin = saved.origin
    variables = {k: v for k, v in origin.variables.items() if not is_hash(v)}
    try:
        stack: Stack = load(origin.path, Options(target=origin.target, cli_vars=cli_vars,
                                                 var_files=var_files,
                                                 saved_variables=variables))
    except UserError as exc:
        return {}, "; ".join(d.summary for d in exc.diagnostics[:3])
    return desired_documents(stack), None
