"""Saved plans: read one back, refuse it when the state or workspace it was made from has
moved, and turn it into exactly the instructions it holds.

Apply executes the plan's own documents. The stack the plan names (its absolute folder,
loaded with the plan's variables) must still give exactly this plan: a plan file is an
artifact of a pull request's run, and must not make the merge job do anything the reviewed
stack does not say (docs/security.md); a stack edited since refuses the plan rather than
changing what it applies. The stack also supplies the plaintext the plan holds only by hash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.addresses import Address
from provisioner.diagnostics import error
from provisioner.errors import UserError
from provisioner.plan.model import FORMAT_VERSION, Plan

if TYPE_CHECKING:
    from provisioner.engine.session import PlannedStack, Session
    from provisioner.kinds.base import Live
    from provisioner.plan.planner import Planned, Subject
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
    from provisioner.engine.session import PlannedStack
    from provisioner.stack.model import Target
    from provisioner.stack.targets import WorkspaceDecl

    origin = saved.origin
    workspace = WorkspaceDecl(**origin.workspace) if origin.workspace else None
    return PlannedStack(origin.name, Path(origin.path), Target(origin.target, workspace,
                                                               origin.state))


def instructions(session: Session, saved: Plan, path: str, *, parallelism: int,
                 cli_vars: Sequence[str] = (), var_files: Sequence[str] = ()) -> Planned:
    """The saved plan as apply runs it: its documents (plaintext restored), once the state
    and every resource it read are as they were and the stack it names gives it still."""
    from provisioner.plan.planner import Planned, build_plan, desired_documents, file_digests

    live = read_again(session, saved, path, parallelism=parallelism)
    stack = _named_stack(saved, cli_vars, var_files)
    documents = desired_documents(stack, file_digests(stack))
    again = build_plan(stack, session.store.state, live, documents,
                       destroy=saved.operation == "destroy").plan
    now = {c.address: c for c in again.changes}
    differ = [c.address for c in saved.changes
              if c.address not in now or (now[c.address].action, now[c.address].desired)
              != (c.action, c.desired)]
    if differ:
        raise UserError([error(
            f"the saved plan {path} is not what the stack at {saved.origin.path} gives now: "
            f"{', '.join(differ)} planned otherwise (the stack or its variables changed since)",
            hint="make a new plan and review it")])
    # Equal hashed documents: the stack's are the plaintext of exactly what was planned.
    desired = {Address.parse(c.address): documents[Address.parse(c.address)]
               for c in saved.changes if c.desired is not None}
    return Planned(saved, desired)


def _named_stack(saved: Plan, cli_vars: Sequence[str], var_files: Sequence[str]) -> Stack:
    """The stack the plan was made from, loaded with the plan's variables; those it holds
    only by hash come from --var or the environment."""
    from provisioner.diff.sensitive import is_hash
    from provisioner.stack.loader import Options, load

    origin = saved.origin
    variables = {k: v for k, v in origin.variables.items() if not is_hash(v)}
    held = sorted(k for k, v in origin.variables.items() if is_hash(v))
    try:
        return load(origin.path, Options(target=origin.target, cli_vars=cli_vars,
                                         var_files=var_files, saved_variables=variables))
    except UserError as exc:
        hint = (f"the plan holds {', '.join(held)} only by hash (it makes up a sensitive "
                "value): pass it with --var NAME=VALUE or PROVISIONER_VAR_NAME" if held
                else "restore the stack's folder as it was planned, or make a new plan")
        raise UserError([error(f"the stack the saved plan was made from, at {origin.path}, "
                               "does not load: "
                               + "; ".join(d.format() for d in exc.diagnostics[:3]),
                               hint=hint)]) from None


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
