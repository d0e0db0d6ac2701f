"""Make a stack's resources exist, and a state that remembers them, without `apply`.

A no-op plan (the common case) needs every resource live and in the state. `apply` would
wait for each one's readiness; here each handler's own create call goes to a local
workspace whose delays are zero, concurrently, and the state is written as apply would
record it — so the plan measured afterwards finds nothing to change.
"""

from __future__ import annotations

import graphlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.stacks import SECRET, TARGET

SEED_PARALLELISM = 8


def secret(url: str) -> None:
    """The secret every external model of the benchmark stacks references: outside the
    embedded `local` target, preflight refuses a plan whose secrets do not exist."""
    from provisioner.workspace.api import secrets
    from provisioner.workspace.client import WorkspaceAuth, connect

    client = connect(WorkspaceAuth(host=url, token="bench"))
    scope, key = SECRET
    if scope not in secrets.list_scopes(client):
        secrets.create_scope(client, scope)
    secrets.put(client, scope, key, "sk-bench")


def seed(url: str, stack_dir: Path) -> int:
    """Create every resource of the stack at `stack_dir` in the workspace at `url` and write
    the matching state; returns the number of resources."""
    from provisioner.addresses import Address
    from provisioner.diff.sensitive import hash_sensitive
    from provisioner.kinds.registry import handler_for
    from provisioner.plan.planner import read_digests
    from provisioner.plan.resolve import resolve
    from provisioner.stack.loader import Options, load
    from provisioner.state.local import LocalBackend
    from provisioner.state.model import ResourceState, State
    from provisioner.workspace.client import WorkspaceAuth, connect

    stack = load(stack_dir, Options(target=TARGET))
    client = connect(WorkspaceAuth(host=url, token="bench"), parallelism=SEED_PARALLELISM)
    outputs: dict[Address, dict[str, Any]] = {}
    recorded: dict[str, ResourceState] = {}

    def create(address: Address) -> tuple[Address, ResourceState]:
        resource = stack.resources[address]
        handler = handler_for(address.kind)
        digests = read_digests(stack.root, handler.files(resource.spec))
        desired = resolve(handler.desired(resource.spec, digests), outputs)
        handler.create(client, desired)
        live = handler.read(client, desired["name"], desired)
        return address, ResourceState(
            kind=address.kind, name=live.name, id=live.id,
            last_applied=hash_sensitive(desired, handler.rules),
            outputs={**live.outputs, "name": live.name},
            depends_on=tuple(sorted({str(d.address) for d in resource.dependencies})),
            prevent_destroy=resource.spec.lifecycle.prevent_destroy)

    sorter = graphlib.TopologicalSorter(
        {a: {d.address for d in r.dependencies} for a, r in stack.resources.items()})
    sorter.prepare()
    with ThreadPoolExecutor(SEED_PARALLELISM) as pool:
        while sorter.is_active():  # a wave at a time: outputs are read by the next wave
            for address, state in pool.map(create, sorter.get_ready()):
                outputs[address] = state.outputs
                recorded[str(address)] = state
                sorter.done(address)
    state = State(stack.name, TARGET, lineage=str(uuid.uuid4()), serial=1,
                  resources=dict(sorted(recorded.items())))
    LocalBackend(stack_dir / ".provisioner" / "state", TARGET).write(state.to_json())
    return len(recorded)


def forget(stack_dir: Path) -> None:
    """Remove the state (and its backup): the next plan starts from nothing."""
    for path in (stack_dir / ".provisioner" / "state").glob(f"{TARGET}.json*"):
        path.unlink()
