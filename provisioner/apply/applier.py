"""Apply a plan: each change through its kind's handler, state recorded after every one."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.addresses import Address
from provisioner.apply import events, rollout
from provisioner.apply.executor import run_dag
from provisioner.apply.relay import Relay
from provisioner.diff import sensitive
from provisioner.diff.rules import located
from provisioner.diff.three_way import diff
from provisioner.errors import ApiError, UserError
from provisioner.kinds.base import Handler, Live
from provisioner.kinds.common import POLLED, with_access_list
from provisioner.kinds.registry import handler_for
from provisioner.kinds.waiting import (
    after_first_read,
    pause,
    poll,
    read_after_create,
    send_once,
    send_while_refused,
)
from provisioner.operations import Action
from provisioner.plan.model import ResourceChange
from provisioner.plan.planner import Planned, bound_dependencies, foreign
from provisioner.plan.resolve import is_resolved, resolve
from provisioner.state.model import ResourceState
from provisioner.state.store import StateStore
from provisioner.workspace.errors import (
    is_already_exists,
    is_conflict,
    is_name_held,
    is_not_found,
    is_retryable,
)

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

CONFLICT_ATTEMPTS = 5
SEEN_ABSENT = (Action.CREATE, Action.REPLACE)
"""Actions whose resource is known not to exist when it is created: the plan found none, or
the replace has just deleted it."""
DELETE_TIMEOUT = 900.0
"""Seconds a delete may take to finish, and a deleted name to be free again (a vector search
index's is held 1-2 minutes, up to ~10: vector-search.md §4)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Created:
    """A create the workspace took. `answered`: its answer came (else an attempt whose answer
    was lost made it, so it is not known to be as desired: "already exists" after such an
    attempt says the same). `said`: the resource as that answer described it, if it did."""

    answered: bool
    said: Live | None = None


class Interrupted(Exception):
    """Raised in a worker at its next wait once the apply is interrupted (Ctrl-C)."""


class Applier:
    def __init__(self, client: WorkspaceClient, store: StateStore,
                 planned: Planned, emit: events.Emit, *, timeouts: Mapping[str, float] = {},
                 stop: threading.Event | None = None):
        self.client = client
        self.store = store
        self.planned = planned
        self._listener = emit
        self.emit: events.Emit = emit
        """Where workers report; while `run` runs, a `Relay` to the listener (views, the
        JSON stream), which gets one event at a time, in order."""
        self.timeouts = timeouts
        self._stop = stop or threading.Event()
        """Set when the run is asked to stop (Ctrl-C): workers notice it at their waits."""
        self.root = Path(planned.plan.origin.path)
        """The stack's folder, where the files a plan names by digest are read at apply."""
        self.changes = {c.address: c for c in planned.plan.changes if c.action is not Action.NO_OP}
        self._outputs_lock = threading.Lock()
        self.outputs: dict[Address, dict[str, Any]] = {
            Address.parse(a): dict(r.outputs) for a, r in store.state.resources.items()}

    def run(self, parallelism: int) -> dict[str, BaseException]:
        """Apply every change; on Ctrl-C, stop waiting, let calls in flight finish for a
        moment, then leave (what is left is resumed by the next apply, as after a crash)."""
        relay = Relay(self._listener)
        self.emit = relay
        try:
            failures = run_dag(self._needs(), self._apply_one, parallelism=parallelism,
                               on_skip=self._skipped, on_interrupt=self._interrupt,
                               stop=self._stop)
        finally:
            failed = relay.close()  # workers an interrupt left running report nothing more
        if failed is not None:
            raise failed
        return failures

    def _interrupt(self) -> None:
        self._stop.set()
        self.emit(events.Note("Interrupted: stopping. Readiness waits are abandoned and "
                              "the next apply resumes them; calls in flight may finish."))

    def _check_interrupted(self) -> None:
        if self._stop.is_set():
            raise Interrupted("interrupted; the next apply resumes it")

    def _needs(self) -> dict[str, set[str]]:
        """Forward edges for what is created or changed; reversed edges for deletes."""
        needs: dict[str, set[str]] = {}
        for address, change in self.changes.items():
            if change.action is Action.DELETE:
                needs[address] = {a for a, c in self.changes.items()
                                  if c.action is Action.DELETE and address in c.depends_on}
            else:
                needs[address] = set(change.depends_on) & self.changes.keys()
        return needs

    def _skipped(self, address: str, cause: str) -> None:
        self.emit(events.Skipped(address, str(self.changes[address].action),
                                 f"{cause} failed"))

    def _apply_one(self, address_text: str) -> None:
        change = self.changes[address_text]
        address = Address.parse(address_text)
        handler = handler_for(address.kind)
        started = time.monotonic()
        self.emit(events.Started(address_text, str(change.action)))
        try:
            if change.action is Action.DELETE:
                self._delete(handler, change)
                self.store.record(address_text, None)
            else:
                desired = self._desired(address)
                if change.action is Action.REPLACE:
                    self._delete(handler, change)
                live = self._converge(handler, address, change, desired)
                self._record(handler, address, change, desired, live)
        except Interrupted as exc:
            self.emit(events.Failed(address_text, str(change.action), str(exc), "INTERRUPTED"))
            raise
        except ApiError as exc:
            self.emit(events.Failed(address_text, str(change.action), str(exc), exc.code))
            raise
        except UserError as exc:  # e.g. the state could not be written: said as it is
            said = "; ".join(f"{d.summary} ({d.hint})" if d.hint else d.summary
                             for d in exc.diagnostics)
            self.emit(events.Failed(address_text, str(change.action), said))
            raise
        except Exception as exc:
            self.emit(events.Failed(address_text, str(change.action),
                                    f"{type(exc).__name__}: {exc}"))
            raise
        self.emit(events.Finished(address_text, str(change.action),
                                  time.monotonic() - started))

    def _desired(self, address: Address) -> dict[str, Any]:
        with self._outputs_lock:
            desired = resolve(self.planned.desired[address], self.outputs)
        if not is_resolved(desired):
            raise ApiError(f"{address}: a reference could not be resolved", address=str(address))
        return desired

    def _located(self, handler: Handler, desired: dict[str, Any]) -> dict[str, Any]:
        """What a handler sends: `desired` with the stack files it names located in the stack's
        folder (documents, plans and state name them relative to it)."""
        return located(desired, handler.rules, self.root)

    def _converge(self, handler: Handler, address: Address, change: ResourceChange,
                  desired: dict[str, Any]) -> Live:
        """Create or update until the live resource matches `desired`, then wait for it.
        A create is recorded (status `creating`) as soon as the workspace acknowledges it,
        so a run stopped or failing after that never leaves it unknown to the state. What the
        plan saw absent (or the replace just deleted) is created without reading it again:
        the create's own answer says if the name was taken since."""
        name = desired["name"]
        live = None if change.action in SEEN_ABSENT else handler.read(self.client, name, desired)
        if live is None:
            created = self._create(handler, address, desired)
            if created is not None:
                # the rest, or what a lost answer hid
                rest = handler.partial_create or not created.answered
                read_at = time.monotonic()
                live = self._acknowledged(handler, address, change, desired, whole=rest,
                                          said=None if rest else created.said)
                if rest:
                    self._update(handler, change, desired, live)
                elif not live.ready:  # what acknowledged it was the wait's first read
                    self._waiting(str(address), live.status)
                    after_first_read(read_at)
                return self._ready(handler, address, desired)
            live = read_after_create(lambda: handler.read(self.client, name, desired),
                                     what=f"{address} ('{name}'), made since the plan")
        self._check_identity(change, live)
        live = rollout.deliver(rollout.Delivery(
            self.client, self.store, str(address), handler, desired,
            wait_ready=lambda: self._wait_whole(handler, address, desired),
            report=lambda status: self._waiting(str(address), status), stop=self._stop),
            live)
        self._update(handler, change, desired, live)
        return self._ready(handler, address, desired)

    def _ready(self, handler: Handler, address: Address, desired: dict[str, Any]) -> Live:
        """Wait for what was just sent; a create that never became ready is marked failed."""
        try:
            return self._wait_ready(handler, address, desired)
        except ApiError as exc:
            if exc.code != "TIMEOUT" and not is_retryable(exc):
                self._failed(address)
            raise

    def _acknowledged(self, handler: Handler, address: Address, change: ResourceChange,
                      desired: dict[str, Any], *, whole: bool, said: Live | None) -> Live:
        """Record a resource just created as `creating`: as the create's answer described it
        (`said`), else read back; `whole` when an update compares with what is read (else
        its own GET gives the id and outputs)."""
        name = desired["name"]
        live = said or read_after_create(
            lambda: handler.read(self.client, name, desired, fields=None if whole else POLLED),
            what=f"{address} ('{name}')")
        entry = applied(handler, live, desired, change.depends_on,
                        prevent_destroy=change.prevent_destroy, status="creating",
                        bound_to=self._bound(handler, address))
        self.store.record(str(address), entry)
        return live

    def _bound(self, handler: Handler, address: Address) -> dict[str, str]:
        """The ids of the resources this one lives on, as they are now."""
        with self._outputs_lock:
            return {str(a): self.outputs[a]["id"]
                    for a in bound_dependencies(handler, self.planned.desired[address])
                    if (self.outputs.get(a) or {}).get("id")}

    def _failed(self, address: Address) -> None:
        """A resource that never became ready since its create is replaced by the next
        apply; a failed update of a ready one is only reported (its state stays)."""
        remembered = self.store.state.resources.get(str(address))
        if remembered is not None and remembered.status == "creating":
            self.store.record(str(address), dataclasses.replace(remembered, status="failed"))

    @staticmethod
    def _check_identity(change: ResourceChange, live: Live) -> None:
        """Change only the object the plan saw: one re-created by someone else since is not
        ours to change."""
        if change.live_id and live.id and live.id != change.live_id:
            raise ApiError(f"{change.address}: '{live.name}' was re-created outside this stack "
                           f"since the plan (id {live.id}, the plan saw {change.live_id}); "
                           "nothing was changed: plan again", code="NOT_OURS",
                           address=change.address)

    def _create(self, handler: Handler, address: Address, desired: dict[str, Any]
                ) -> Created | None:
        """Never a duplicate: an answer lost is checked by name before sending again. None
        when the first attempt found the name taken, by someone else since the plan. A name
        a delete still holds is waited for."""
        name = desired["name"]
        attempts = 0
        said: Live | None = None

        def send() -> None:
            nonlocal said
            said = handler.create(self.client, self._located(handler, desired))

        def create() -> None:
            nonlocal attempts
            attempts += 1
            send_while_refused(
                send,
                is_name_held,
                timeout=self.timeouts.get("delete", DELETE_TIMEOUT),
                what=f"the name '{name}' to be free",
                progress=lambda: self._waiting(str(address), "the name is still being freed"))

        try:
            answered = send_once(
                create, done=lambda: handler.read(self.client, name, desired) is not None)
        except ApiError as exc:
            if not is_already_exists(exc):
                raise
            return Created(answered=False) if attempts > 1 else None
        return Created(answered, said if answered else None)

    def _update(self, handler: Handler, change: ResourceChange, desired: dict[str, Any],
                live: Live) -> None:
        """Send what differs; after a conflict (an update in flight) or a lost answer, read
        again and send only what still differs."""
        address = Address.parse(change.address)
        remembered = self.store.state.resources.get(change.address)
        if remembered is not None and foreign(remembered, live):
            remembered = None  # adopting another's object: what we applied to ours is moot
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            changes = diff(desired, live.document,
                           remembered.last_applied if remembered else None, handler.rules,
                           change.ignore_changes)
            if not changes:
                return
            try:
                handler.update(self.client, live, self._located(handler, desired), changes)
                return
            except ApiError as exc:
                if attempt == CONFLICT_ATTEMPTS or not (is_conflict(exc) or is_retryable(exc)):
                    raise
                in_flight = is_conflict(exc)
            if in_flight:
                self.emit(events.Waiting(str(address), "waiting for the update in flight"))
                live = self._wait_whole(handler, address, desired)
            else:
                pause(attempt)
                live = handler.read(self.client, desired["name"], desired) or live

    def _wait_ready(self, handler: Handler, address: Address, desired: dict[str, Any]) -> Live:
        """The resource once ready, as its last poll read it: its id and outputs, not
        necessarily every field (an access list is a call of its own)."""
        timeout = self.timeouts.get(address.kind, handler.ready_timeout)
        return handler.wait(self.client, desired, timeout,
                            lambda status: self._waiting(str(address), status))

    def _wait_whole(self, handler: Handler, address: Address, desired: dict[str, Any]) -> Live:
        """The resource once ready, with every field an update compares (its access list
        read once, when ready, and only when the stack gives one)."""
        ready = self._wait_ready(handler, address, desired)
        return with_access_list(ready, desired,
                                lambda: handler.read(self.client, desired["name"], desired))

    def _waiting(self, address: str, status: str) -> None:
        """Every poll of a wait passes here: the place to notice an interrupt."""
        self._check_interrupted()
        self.emit(events.Waiting(address, status))

    def _delete(self, handler: Handler, change: ResourceChange) -> None:
        """Delete what the workspace has: by the name the state knows (a rename's old one),
        and only the object whose id the state recorded: a same-named one made by someone
        else is not ours and stays."""
        remembered = self.store.state.resources.get(change.address)
        name = remembered.name if remembered else change.name
        live = handler.read(self.client, name)
        if live is None:
            return
        recorded = remembered.id if remembered else change.live_id
        if recorded and live.id and live.id != recorded:
            self.emit(events.Note(f"{change.address}: '{name}' was re-created outside this "
                                  f"stack (id {live.id}, ours was {recorded}): not ours, "
                                  "left in place"))
            return
        try:
            send_once(lambda: handler.delete(self.client, live),
                      done=lambda: handler.read(self.client, name) is None)
        except ApiError as exc:
            if not is_not_found(exc):
                raise  # not found: an earlier attempt whose answer was lost deleted it
        poll(lambda: handler.read(self.client, name), lambda value: value is None,
             timeout=self.timeouts.get("delete", DELETE_TIMEOUT),
             what=f"{change.address} to be deleted",
             progress=lambda _: self._waiting(change.address, "deleting"))

    def _record(self, handler: Handler, address: Address, change: ResourceChange,
                desired: dict[str, Any], live: Live) -> None:
        entry = applied(handler, live, desired, change.depends_on,
                        prevent_destroy=change.prevent_destroy,
                        bound_to=self._bound(handler, address))
        with self._outputs_lock:
            self.outputs[address] = dict(entry.outputs)
        self.store.record(str(address), entry)


def applied(handler: Handler, live: Live, desired: dict[str, Any],
            depends_on: tuple[str, ...], *, prevent_destroy: bool, status: str = "ready",
            bound_to: Mapping[str, str] | None = None) -> ResourceState:
    """What the state records once `desired` is live (or, with status `creating`, once its
    create was acknowledged): the name and id, the outputs references read, and `desired` as
    last-applied (sensitive values hashed)."""
    return ResourceState(
        kind=handler.kind, name=live.name, id=live.id,
        last_applied=sensitive.hash_sensitive(desired, handler.rules),
        outputs={**live.outputs, "name": live.name}, depends_on=depends_on,
        prevent_destroy=prevent_destroy, status=status, bound_to=dict(bound_to or {}))
