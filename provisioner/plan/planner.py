"""Build a plan: read live state concurrently, then diff each resource (a pure step)."""

from __future__ import annotations

import dataclasses
import graphlib
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.addresses import Address, find_references, format_field_path
from provisioner.diagnostics import Diagnostic, error
from provisioner.diff import sensitive
from provisioner.diff.rules import parse_path
from provisioner.diff.three_way import FieldChange, compare
from provisioner.errors import ApiError
from provisioner.kinds.base import Handler, Live
from provisioner.kinds.registry import handler_for
from provisioner.operations import Action, Reason
from provisioner.placeholders import UNKNOWN
from provisioner.plan.model import FieldDiff, Plan, ResourceChange, StackOrigin
from provisioner.plan.resolve import resolve
from provisioner.stack.model import Resource, Stack
from provisioner.state.model import ResourceState, State

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


@dataclass(frozen=True, slots=True)
class Subject:
    """One thing to read: a resource of the stack or one only the state remembers."""

    address: Address
    name: str
    desired: dict[str, Any] | None = None
    fields: frozenset[str] | None = None
    """The top-level fields the caller compares (None: all of them)."""
    expected: bool = True
    """Whether it is expected to exist (the state has it): when some of a kind are not, one
    list call tells which exist, and those that do not are not read."""


def file_digests(stack: Stack) -> dict[str, str]:
    """The sha256 of every stack file a desired document holds by content (`Handler.files`),
    read once before planning: an input of `desired_documents`, as the time is of
    `build_plan`."""
    paths = {path for address, resource in stack.resources.items()
             for path in handler_for(address.kind).files(resource.spec)}
    return read_digests(stack.root, paths)


def read_digests(root: Path, paths: Iterable[str]) -> dict[str, str]:
    return {path: "sha256:" + hashlib.sha256((root / path).read_bytes()).hexdigest()
            for path in sorted(paths)}


def desired_documents(stack: Stack, digests: Mapping[str, str]) -> dict[Address, dict[str, Any]]:
    """Each resource's desired document (references unresolved), computed once per plan,
    before anything is read: reading, preflight and diffing all take these. Pure: file
    contents come in as `digests` (`file_digests`)."""
    return {address: handler_for(address.kind).desired(resource.spec, digests)
            for address, resource in stack.resources.items()}


def known_before_apply(documents: Mapping[Address, dict[str, Any]]
                       ) -> dict[Address, dict[str, Any]]:
    """Each desired document as it is known before anything is applied: a reference whose
    value only the apply learns is UNKNOWN. What to read and what must already exist are
    asked of these; one walk per document and plan."""
    return {address: resolve(document, {}) for address, document in documents.items()}


def subjects(stack: Stack, state: State, known: Mapping[Address, dict[str, Any]]
             ) -> list[Subject]:
    """What to read: a resource the state knows is read by the name it has in the workspace
    (so a rename is planned as a replace of it, never as a second resource); any other by the
    name the stack gives it (so a lost state adopts by name). The plan compares the fields
    the stack sets and those it set last time (to reset them), no others. Moves apply
    first: a renamed key reads the object its old address recorded."""
    _check_kinds(state)
    state, _ = moved(stack, state)
    found = {}
    field_sets: dict[frozenset[str], frozenset[str]] = {}  # resources of a kind share one
    for address, resource in stack.resources.items():
        remembered = state.resources.get(str(address))
        desired = known[address]
        fields = frozenset(desired) | frozenset(remembered.last_applied if remembered else ())
        fields = field_sets.setdefault(fields, fields)
        found[address] = Subject(
            address, remembered.name if remembered else _static_name(resource), desired,
            fields, expected=remembered is not None)
    for text, remembered in state.resources.items():
        found.setdefault(Address.parse(text), Subject(Address.parse(text), remembered.name))
    return [s for s in found.values() if s.name != UNKNOWN]


def bound_dependencies(handler: Handler, raw: Mapping[str, Any]) -> tuple[Address, ...]:
    """The resources `raw` (a desired document, references unresolved) lives on: those its
    kind's `lives_on` fields reference. An index is bound to its endpoint's instance, not its
    name (vector-search.md §4)."""
    found = {r.address for field in handler.lives_on
             if isinstance(raw.get(field), str)
             for r in find_references(raw[field])}
    return tuple(sorted(found))


def _check_kinds(state: State) -> None:
    """An entry of a kind this provisioner does not know (a newer one wrote it) is named, not
    guessed at."""
    from provisioner.errors import UserError
    from provisioner.kinds.registry import all_kinds

    unknown = [a for a, r in state.resources.items() if r.kind not in all_kinds()]
    if unknown:
        raise UserError([error(f"the state records {a}, of a kind this provisioner does not "
                               "know", hint="upgrade provisioner, or `provisioner state rm` it")
                         for a in unknown])


def read_live(client: WorkspaceClient, items: Iterable[Subject], parallelism: int,
              ) -> dict[Address, Live | None]:
    """Read every subject concurrently; the result maps each address to its live value."""
    with reading(client, items, parallelism) as live:
        return dict(live)


@contextmanager
def reading(client: WorkspaceClient, items: Iterable[Subject], parallelism: int,
            ) -> Iterator[LiveReads]:
    """Start reading every subject concurrently; yields the live values as a mapping whose
    lookups wait for their read, so a plan diffs each resource while the rest are read.

    A kind with subjects not expected to exist (the state does not know them) is listed
    first, concurrent with the other reads, and only those of them the list holds are read:
    a plan of new resources costs a list call or a few per kind, not one call per resource."""
    items = list(items)
    unexpected: dict[str, list[Subject]] = {}
    for s in items:
        if not s.expected:
            unexpected.setdefault(handler_for(s.address.kind).provides, []).append(s)
    found: dict[Address, Future[Live | None] | None] = {}

    def read(subject: Subject) -> Live | None:
        return handler_for(subject.address.kind).read(client, subject.name, subject.desired,
                                                      fields=subject.fields)

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        listings = {provides: pool.submit(_existing, client, group)
                    for provides, group in unexpected.items()}
        found |= {s.address: pool.submit(read, s) for s in items if s.expected}
        for provides, listing in listings.items():
            names = listing.result()
            for s in unexpected[provides]:
                found[s.address] = (pool.submit(read, s)
                                    if names is None or s.name in names else None)
        yield LiveReads({s.address: found.pop(s.address) for s in items})


class LiveReads(Mapping[Address, "Live | None"]):
    """Live values by address; a lookup waits for that read (and raises what it raised).
    A read looked up is kept as its value, its future let go: a plan of 5,000 resources
    held 5,000 futures (each with its lock and condition) until it was built."""

    def __init__(self, reads: dict[Address, Future[Live | None] | Live | None]):
        self._reads = reads

    def __getitem__(self, address: Address) -> Live | None:
        read = self._reads[address]
        if isinstance(read, Future):
            read = self._reads[address] = read.result()
        return read

    def __iter__(self) -> Iterator[Address]:
        return iter(self._reads)

    def __len__(self) -> int:
        return len(self._reads)


def _existing(client: WorkspaceClient, group: list[Subject]) -> set[str] | None:
    """Which subjects of one kind exist, from a list. A failed list is no answer, not an
    error: the reads it would have saved still run."""
    try:
        return handler_for(group[0].address.kind).existing(client, {s.name for s in group})
    except ApiError:
        return None


def _static_name(resource: Resource) -> str:
    name = resolve(resource.name, {})
    return name if isinstance(name, str) else UNKNOWN


@dataclass(frozen=True)
class Planned:
    """A plan plus what apply needs that a plan document must not hold: the desired documents
    with plaintext values and with references unresolved (apply resolves them as it goes)."""

    plan: Plan
    desired: dict[Address, dict[str, Any]]


def build_plan(
    stack: Stack,
    state: State,
    live: Mapping[Address, Live | None],
    documents: Mapping[Address, dict[str, Any]],
    *,
    created: str = "",
    destroy: bool = False,
    only: Iterable[Address] = (),
) -> Planned:
    """Diff every resource. Pure: the same inputs (the desired `documents` from
    `desired_documents`, the time `created`) always give the same plan."""
    recorded = state
    state, moves = moved(stack, state)
    selected = None
    if only:
        selected = (_dependents(stack, state, set(only)) if destroy
                    else _closure(stack, set(only)))
    builder = _Builder(stack, state, live, documents, moves)
    if not destroy:
        for address in _order(stack):
            if selected is None or address in selected:
                builder.resource(stack.resources[address])
    for text, remembered in state.resources.items():
        address = Address.parse(text)
        in_stack = address in stack.resources and not destroy
        if not in_stack and (selected is None or address in selected):
            builder.orphan(address, remembered, destroy)
    builder.containment()
    changes = tuple(sorted(builder.changes, key=lambda c: c.address))
    plan = Plan(origin(stack, documents), recorded.lineage, recorded.serial, changes,
                "destroy" if destroy else "apply", tuple(builder.diagnostics), created)
    return Planned(plan, builder.desired)


def origin(stack: Stack, documents: Mapping[Address, dict[str, Any]]) -> StackOrigin:
    """The stack and target, absolutely, with the variables planned with: a variable whose
    value makes up any sensitive value is held only by its hash."""
    secrets = [text for address, document in documents.items()
               for text in sensitive.plaintexts(document, handler_for(address.kind).rules)]
    variables = {name: sensitive.hash_value(value) if _feeds(value, secrets) else value
                 for name, value in sorted(stack.variables.items())}
    workspace = stack.target.workspace
    return StackOrigin(stack.name, str(stack.root.resolve()), stack.digest, stack.target.name,
                       workspace.model_dump() if workspace else None, stack.target.state,
                       variables)


def _feeds(value: Any, secrets: list[str]) -> bool:
    """Whether any text in `value` appears inside a sensitive value."""
    if isinstance(value, dict):
        return any(_feeds(v, secrets) for v in value.values())
    if isinstance(value, list):
        return any(_feeds(v, secrets) for v in value)
    text = value if isinstance(value, str) else str(value)
    return bool(text) and any(text in secret for secret in secrets)


def _order(stack: Stack) -> list[Address]:
    sorter = graphlib.TopologicalSorter(
        {a: {d.address for d in r.dependencies} for a, r in stack.resources.items()})
    return list(sorter.static_order())


@dataclass(frozen=True, slots=True)
class Moves:
    """Where the state's entries move before planning: new address -> the old one."""

    previous: dict[Address, Address]
    problems: tuple[Diagnostic, ...] = ()


def moved(stack: Stack, state: State) -> tuple[State, Moves]:
    """The state as the stack addresses it: `moved:` blocks first (in order, so chains
    work), then implicit renames: a declared address the state lacks whose kind and name are
    those of exactly one entry the stack no longer declares is the same object under a new
    key (never a delete plus an adopt of it). Pure, like Terraform's refactoring step."""
    previous: dict[Address, Address] = {}
    problems: list[Diagnostic] = []

    def move(source: Address, destination: Address) -> None:
        nonlocal state
        state = state.moved(str(source), str(destination))
        previous[destination] = previous.pop(source, source)

    for block in stack.moved:
        if str(block.source) not in state.resources:
            continue  # already moved, or never applied: a kept block is history
        if str(block.destination) in state.resources:
            problems.append(error(
                f"cannot move {block.source} to {block.destination}: the state already has "
                f"{block.destination}", block.span,
                hint="remove one of them from the state first (provisioner state rm)"))
            continue
        move(block.source, block.destination)
    gone = [Address.parse(a) for a in state.resources if Address.parse(a) not in stack.resources]
    for address, resource in stack.resources.items():
        if str(address) in state.resources:
            continue
        name = _static_name(resource)
        provides = handler_for(address.kind).provides
        same = [old for old in gone if state.resources[str(old)].name == name
                and handler_for(old.kind).provides == provides]
        if len(same) == 1:
            move(same[0], address)
            gone.remove(same[0])
    return state, Moves(previous, tuple(problems))


def _dependents(stack: Stack, state: State, roots: set[Address]) -> set[Address]:
    """The addresses asked for and everything that depends on them: what a destroy of them
    must take first."""
    needs: dict[Address, set[Address]] = {
        Address.parse(a): {Address.parse(d) for d in r.depends_on}
        for a, r in state.resources.items()}
    for address, resource in stack.resources.items():
        needs.setdefault(address, set()).update(d.address for d in resource.dependencies)
    found = set(roots)
    grew = True
    while grew:
        grew = False
        for address, depends in needs.items():
            if address not in found and depends & found:
                found.add(address)
                grew = True
    return found


def _closure(stack: Stack, roots: set[Address]) -> set[Address]:
    """The addresses asked for and everything they depend on."""
    found: set[Address] = set()
    pending = list(roots)
    while pending:
        address = pending.pop()
        if address in found:
            continue
        found.add(address)
        if address in stack.resources:
            pending += [d.address for d in stack.resources[address].dependencies]
    return found


class _Builder:
    def __init__(self, stack: Stack, state: State, live: Mapping[Address, Live | None],
                 documents: Mapping[Address, dict[str, Any]], moves: Moves):
        self.stack = stack
        self.documents = documents
        self.state = state
        self.live = live
        self.moves = moves
        self.outputs: dict[Address, dict[str, Any]] = {
            Address.parse(a): dict(r.outputs) for a, r in state.resources.items()}
        self.changes: list[ResourceChange] = []
        self.desired: dict[Address, dict[str, Any]] = {}
        self.diagnostics: list[Diagnostic] = list(moves.problems)

    def _previous(self, address: Address) -> str | None:
        source = self.moves.previous.get(address)
        return str(source) if source is not None else None

    def resource(self, resource: Resource) -> None:
        address = resource.address
        handler = handler_for(address.kind)
        raw = self.documents[address]
        desired = resolve(raw, self.outputs)
        live = self.live.get(address)
        remembered = self.state.resources.get(str(address))
        last_applied = remembered.last_applied if remembered else None
        ignore = self._ignore_patterns(resource)
        location = f"{resource.span.file}:{resource.span.line}"
        depends = tuple(sorted({str(d.address) for d in resource.dependencies}))
        hashed_raw = sensitive.hash_sensitive(raw, handler.rules)
        hashed = (hashed_raw if desired is raw  # nothing to resolve (`resolve` kept it): one walk
                  else sensitive.hash_sensitive(desired, handler.rules))
        common = dict(address=str(address), kind=address.kind, name=_name(desired, resource),
                      after=sensitive.mask(desired, handler.rules),
                      desired_hash=sensitive.hash_value(hashed),
                      location=location, depends_on=depends, desired=hashed_raw,
                      ignore_changes=ignore,
                      prevent_destroy=resource.spec.lifecycle.prevent_destroy,
                      previous_address=self._previous(address))
        if live is None:
            reason = Reason.GONE_FROM_WORKSPACE if remembered else Reason.NEW_RESOURCE
            self.changes.append(ResourceChange(action=Action.CREATE, reason=str(reason), **common))
            self.outputs[address] = {"name": common["name"]}
        else:
            ours = remembered is not None and not foreign(remembered, live)
            last_applied = last_applied if ours else None
            changes, drifts = compare(desired, live.document, last_applied, handler.rules,
                                      ignore)
            fields = tuple(self._field(c) for c in changes)
            action, reason = _action(fields, in_state=ours)
            notes: tuple[str, ...] = ()
            if remembered is not None and not ours:
                reason = Reason.NOT_OURS
                notes = (f"re-created outside this stack (id {live.id}; the state recorded "
                         f"{remembered.id}): not ours, so it is adopted as found",)
                if action is Action.REPLACE:
                    self.diagnostics.append(error(
                        f"{address}: '{live.name}' was re-created outside this stack and "
                        f"differs in {', '.join(f.path for f in fields if f.forces_replace)}, "
                        "which only a replace changes: replacing it would delete an object "
                        "that is not ours", resource.span,
                        hint="make the stack match it, or delete it by hand if it is to go"))
            elif ours and (rebuilt := self._rebuilt_under(remembered)):
                action, reason = Action.REPLACE, Reason.BOUND_TO_REPLACED
                notes = (f"it was made on {rebuilt}, which was re-created since (another id): "
                         "it is re-created there too",)
                self._protect(resource.spec.lifecycle.prevent_destroy, address, "replace")
            elif ours and remembered.status == "failed":
                action, reason = Action.REPLACE, Reason.FAILED_CREATE
                notes = (f"it never became ready after its create ({live.status}): "
                         "re-created, as a tainted resource is",)
            elif ours and remembered.status == "creating" and (
                    action is Action.NO_OP and not live.ready):
                action, reason = Action.UPDATE, Reason.UNFINISHED_CREATE
                notes = (f"created by an earlier apply that stopped before it was ready "
                         f"({live.status}): apply resumes the wait",)
            if ours and action is Action.UPDATE:
                notes += handler.rollout_notes(desired, live, remembered.rollout)
            drifted = tuple(self._field(c) for c in drifts) if last_applied else ()
            self.changes.append(ResourceChange(
                action=action, reason=str(reason), fields=fields,
                before=sensitive.mask(live.document, handler.rules),
                fingerprint=fingerprint(live), drift=drifted, notes=notes, live_id=live.id,
                **common))
            self.outputs[address] = ({"name": common["name"]} if action is Action.REPLACE
                                     else {**live.outputs, "name": live.name})
            if action is Action.REPLACE:
                self._protect(resource.spec.lifecycle.prevent_destroy, address, "replace")
        self.desired[address] = raw

    def _rebuilt_under(self, remembered: ResourceState) -> str | None:
        """The first resource this one was made on that is not that instance any more: gone,
        re-created with another id, or planned for a replace."""
        for text, made_on in sorted(remembered.bound_to.items()):
            address = Address.parse(text)
            live = self.live.get(address)
            planned = next((c for c in self.changes if c.address == text), None)
            if (live is None or (live.id and live.id != made_on)
                    or (planned is not None and planned.action is Action.REPLACE)):
                return text
        return None

    def _ignore_patterns(self, resource: Resource) -> tuple[str, ...]:
        """`lifecycle.ignore_changes`, each checked: a malformed path is the user's error."""
        valid = []
        for index, pattern in enumerate(resource.spec.lifecycle.ignore_changes):
            try:
                parse_path(pattern)
            except ValueError as exc:
                self.diagnostics.append(error(
                    f"{resource.address}: lifecycle.ignore_changes: {exc}",
                    resource.span_of(("lifecycle", "ignore_changes", index)),
                    hint="paths look like tags or served_entities[name=llm].workload_size"))
            else:
                valid.append(pattern)
        return tuple(valid)

    def containment(self) -> None:
        """What a replace or delete takes with it: contained resources of the stack are
        replaced along, any outside the stack make it an error; then impact notes."""
        by_name = {(handler_for(c.kind).provides, c.name): i for i, c in enumerate(self.changes)}
        for change in list(self.changes):
            live = self._destroyed_live(change)
            if live is None:
                continue
            outside = []
            for contained in handler_for(change.kind).contained(live):
                index = by_name.get(contained)
                if index is None:
                    outside.append(contained[1])
                elif self.changes[index].action not in (Action.REPLACE, Action.DELETE):
                    self.changes[index] = _replace_with(self.changes[index], change.address)
            if outside:
                resource = self.stack.resources.get(Address.parse(change.address))
                self.diagnostics.append(error(
                    f"{change.address} would {change.action} with {', '.join(outside)} "
                    "still on it, outside this stack", resource.span if resource else None,
                    hint="delete or move them first"))
        self._users_first(by_name)
        for i, change in enumerate(self.changes):
            live = self._destroyed_live(change)
            if live is None:
                continue
            handler = handler_for(change.kind)
            notes = handler.impact(str(change.action), live)
            self.changes[i] = dataclasses.replace(change, notes=change.notes + notes)
            remembered = self.state.resources.get(change.address)
            resource = self.stack.resources.get(Address.parse(change.address))
            verb = "replaced" if change.action is Action.REPLACE else "deleted"
            for refusal in handler.refusals(live, remembered.last_applied if remembered else None):
                self.diagnostics.append(error(f"{change.address} cannot be {verb}: {refusal}",
                                              resource.span if resource else None))

    def _users_first(self, by_name: dict[tuple[str, str], int]) -> None:
        """What uses a resource that goes (an endpoint serving a model's version) is deleted
        first when it goes too, so that a stack can always remove itself; one that stays
        makes it an error."""
        for change in list(self.changes):
            live = self._destroyed_live(change)
            if live is None:
                continue
            for provides, name in handler_for(change.kind).used_by(live):
                index = by_name.get((provides, name))
                user = self.changes[index] if index is not None else None
                if user is not None and user.action is Action.DELETE:
                    if change.address not in user.depends_on:
                        self.changes[index] = dataclasses.replace(
                            user, depends_on=(*user.depends_on, change.address))
                    continue
                resource = self.stack.resources.get(Address.parse(change.address))
                verb = "replaced" if change.action is Action.REPLACE else "deleted"
                self.diagnostics.append(error(
                    f"{change.address} cannot be {verb}: {provides.replace('_', ' ')} "
                    f"'{name}' uses it", resource.span if resource else None,
                    hint=f"delete '{name}' too (or first), or stop it using "
                         f"{change.address}"))

    def _destroyed_live(self, change: ResourceChange) -> Live | None:
        if change.action not in (Action.REPLACE, Action.DELETE):
            return None
        return self.live.get(Address.parse(change.address))

    def orphan(self, address: Address, remembered: ResourceState, destroy: bool) -> None:
        handler = handler_for(address.kind)
        live = self.live.get(address)
        reason = Reason.REMOVED_FROM_STACK if not destroy else Reason.CHANGED
        notes = () if live else ("already gone from the workspace: only the state entry goes",)
        if live is not None and foreign(remembered, live):
            reason = Reason.NOT_OURS
            notes = (f"'{live.name}' was re-created outside this stack (id {live.id}; ours was "
                     f"{remembered.id}): not ours, so it stays; only the state entry goes",)
        self.changes.append(ResourceChange(
            address=str(address), kind=address.kind, name=remembered.name, action=Action.DELETE,
            reason=str(reason),
            before=(sensitive.mask(live.document, handler.rules)
                    if live and reason is not Reason.NOT_OURS else None),
            fingerprint=fingerprint(live) if live else None,
            depends_on=remembered.depends_on, notes=notes,
            previous_address=self._previous(address), live_id=live.id if live else None))
        if reason is Reason.NOT_OURS:
            return
        resource = self.stack.resources.get(address)
        prevent = (resource.spec.lifecycle.prevent_destroy if resource
                   else remembered.prevent_destroy)
        self.changes[-1] = dataclasses.replace(self.changes[-1], prevent_destroy=prevent)
        self._protect(prevent, address, "delete")

    def _protect(self, prevent: bool, address: Address, verb: str) -> None:
        if not prevent:
            return
        resource = self.stack.resources.get(address)
        self.diagnostics.append(error(
            f"{address} has lifecycle.prevent_destroy set; this plan would {verb} it",
            resource.span if resource else None,
            hint=f"remove prevent_destroy (and apply) first if the {verb} is intended"
            + ("" if resource else "; it was set when last applied")))

    @staticmethod
    def _field(change: FieldChange) -> FieldDiff:
        """The diff has already masked sensitive values in `before` and `after`."""
        return FieldDiff(format_field_path(change.path), change.before, change.after,
                         change.reason, change.forces_replace)


def foreign(remembered: ResourceState, live: Live) -> bool:
    """Whether the object of the recorded name is another one than the state recorded:
    deleted and re-created outside this stack (kinds without ids cannot tell)."""
    return bool(remembered.id and live.id and live.id != remembered.id)


def _action(fields: tuple[FieldDiff, ...], *, in_state: bool) -> tuple[Action, Reason]:
    """A live resource's action: adopt what the state lacks; replace on an immutable change."""
    if any(f.forces_replace for f in fields):
        return Action.REPLACE, (Reason.IMMUTABLE_FIELD if in_state else Reason.NOT_IN_STATE)
    if not in_state:
        return Action.ADOPT, Reason.NOT_IN_STATE
    return (Action.UPDATE, Reason.CHANGED) if fields else (Action.NO_OP, Reason.UNCHANGED)


def _replace_with(change: ResourceChange, container: str) -> ResourceChange:
    """A contained resource is re-created when what contains it is."""
    return dataclasses.replace(
        change, action=Action.REPLACE, reason=str(Reason.IMMUTABLE_FIELD),
        notes=(*change.notes, f"replaced because {container}, which holds it, is replaced"))


def _name(desired: Mapping[str, Any], resource: Resource) -> str:
    name = desired.get("name")
    return name if isinstance(name, str) else resource.name


def fingerprint(live: Live | None) -> str | None:
    return sensitive.hash_value(live.document) if live is not None else None

