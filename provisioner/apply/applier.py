"""Apply a plan: each change through its kind's handler, state recorded after every one."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from provisioner.addresses import Address
from provisioner.apply import events
from provisioner.apply.executor import run_dag
from provisioner.diff import sensitive
from provisioner.diff.three_way import diff
from provisioner.errors import ApiError
from provisioner.kinds.base import Handler, Live
from provisioner.kinds.registry import handler_for
from provisioner.kinds.waiting import poll
from provisioner.operations import Action
from provisioner.plan.model import ResourceChange
from provisioner.plan.planner import Planned
from provisioner.plan.resolve import is_resolved, resolve
from provisioner.stack.model import Stack
from provisioner.state.model import ResourceState
from provisioner.state.store import StateStore
from provisioner.workspace.errors import is_already_exists, is_conflict, is_retryable

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

CREATE_ATTEMPTS = 3
CONFLICT_ATTEMPTS = 5
RETRY_PAUSE = 1.0
DELETE_TIMEOUT = 900.0


class Applier:
    def __init__(self, client: WorkspaceClient, stack: Stack, store: StateStore,
                 planned: Planned, emit: events.Emit, *, timeouts: Mapping[str, float] = {}):
        self.client = client
        self.stack = stack
        self.store = store
        self.planned = planned
        self.emit = emit
        self.timeouts = timeouts
        self.changes = {c.address: c for c in planned.plan.changes if c.action is not Action.NO_OP}
        self._outputs_lock = threading.Lock()
        self.outputs: dict[Address, dict[str, Any]] = {
            Address.parse(a): dict(r.outputs) for a, r in store.state.resources.items()}

    def run(self, parallelism: int) -> dict[str, BaseException]:
        return run_dag(self._needs(), self._apply_one, parallelism=parallelism,
                       on_skip=self._skipped)

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
                live = self._converge(handler, address, desired)
                self._record(handler, address, change, desired, live)
        except ApiError as exc:
            self.emit(events.Failed(address_text, str(change.action), str(exc), exc.code))
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

    def _converge(self, handler: Handler, address: Address, desired: dict[str, Any]) -> Live:
        """Create or update until the live resource matches `desired`, then wait for it."""
        name = desired["name"]
        live = handler.read(self.client, name, desired)
        if live is None:
            self._create(handler, address, desired)
        else:
            self._update(handler, address, desired, live)
        return self._wait_ready(handler, address, desired)

    def _create(self, handler: Handler, address: Address, desired: dict[str, Any]) -> None:
        """Never a duplicate: after a failed attempt, look by name before trying again."""
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                handler.create(self.client, desired)
                return
            except ApiError as exc:
                if is_already_exists(exc):
                    break  # an earlier attempt whose answer was lost made it
                if not is_retryable(exc) or attempt == CREATE_ATTEMPTS:
                    raise
            time.sleep(RETRY_PAUSE * attempt)
            if handler.read(self.client, desired["name"], desired) is not None:
                break
        live = handler.read(self.client, desired["name"], desired)
        if live is not None:
            self._update(handler, address, desired, live)

    def _update(self, handler: Handler, address: Address, desired: dict[str, Any],
                live: Live) -> None:
        remembered = self.store.state.resources.get(str(address))
        resource = self.stack.resources.get(address)
        ignore = tuple(resource.spec.lifecycle.ignore_changes) if resource else ()
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            changes = diff(desired, live.document,
                           remembered.last_applied if remembered else None, handler.rules,
                           ignore)
            if not changes:
                return
            try:
                handler.update(self.client, live, desired, changes)
                return
            except ApiError as exc:
                if not is_conflict(exc) or attempt == CONFLICT_ATTEMPTS:
                    raise
            self.emit(events.Waiting(str(address), "waiting for the update in flight"))
            live = self._wait_ready(handler, address, desired)

    def _wait_ready(self, handler: Handler, address: Address, desired: dict[str, Any]) -> Live:
        timeout = self.timeouts.get(address.kind, handler.ready_timeout)
        return handler.wait(self.client, desired, timeout,
                            lambda status: self.emit(events.Waiting(str(address), status)))

    def _delete(self, handler: Handler, change: ResourceChange) -> None:
        """Delete what the workspace has: by the name the state knows (a rename's old one)."""
        remembered = self.store.state.resources.get(change.address)
        name = remembered.name if remembered else change.name
        live = handler.read(self.client, name)
        if live is None:
            return
        handler.delete(self.client, live)
        self.emit(events.Waiting(change.address, "deleting"))
        poll(lambda: handler.read(self.client, name), lambda value: value is None,
             timeout=self.timeouts.get("delete", DELETE_TIMEOUT),
             what=f"{change.address} to be deleted")

    def _record(self, handler: Handler, address: Address, change: ResourceChange,
                desired: dict[str, Any], live: Live) -> None:
        resource = self.stack.resources[address]
        outputs = {**live.outputs, "name": live.name}
        with self._outputs_lock:
            self.outputs[address] = outputs
        self.store.record(str(address), ResourceState(
            kind=address.kind, name=live.name, id=live.id,
            last_applied=sensitive.hash_sensitive(desired, handler.rules), outputs=outputs,
            depends_on=change.depends_on,
            prevent_destroy=resource.spec.lifecycle.prevent_destroy))
