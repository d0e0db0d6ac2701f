"""One contract, every state backend (as Terraform's `statemgr.TestFull` runs one test over
every backend): documents written whole with a backup of the one before, one lock holder at a
time that says who it is, a holder that dies never blocks the next run, `force-unlock` as the
last resort, and a state of another stack or target refused.

The workspace-files backend runs against a served local workspace through databricks-sdk, as
it would against a real one; its lease is short here so that lapsing takes a second or two.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioner.errors import UserError
from provisioner.local import LocalWorkspace, Settings
from provisioner.state.lock import LockInfo
from provisioner.state.model import ResourceState
from provisioner.state.store import StateStore

LEASE = 1.5
"""Seconds: short, so a lapse is quick to see; renewals come every half second."""


@dataclass
class Kind:
    """How to open one backend, in this process or (as source text) in another."""

    make: Callable[[str], object]
    source: str
    """Python that binds `backend(target)` in a fresh interpreter."""


@pytest.fixture(params=["local", "workspace"])
def kind(request, tmp_path) -> Iterator[Kind]:
    if request.param == "local":
        from provisioner.state.local import LocalBackend

        folder = tmp_path / "state"
        yield Kind(lambda target: LocalBackend(folder, target), textwrap.dedent(f"""
            from pathlib import Path
            from provisioner.state.local import LocalBackend
            backend = lambda target: LocalBackend(Path({str(folder)!r}), target)
        """))
        return
    from provisioner.state.workspace_files import WorkspaceFilesBackend
    from provisioner.workspace.client import WorkspaceAuth, connect

    with LocalWorkspace(tmp_path / "workspace", settings=Settings()) as local:
        client = connect(WorkspaceAuth(host=local.url, token="test"))
        yield Kind(lambda target: WorkspaceFilesBackend(client, "/Shared/state", target,
                                                        lease_seconds=LEASE),
                   textwrap.dedent(f"""
            from provisioner.state.workspace_files import WorkspaceFilesBackend
            from provisioner.workspace.client import WorkspaceAuth, connect
            client = connect(WorkspaceAuth(host={local.url!r}, token="test"))
            backend = lambda target: WorkspaceFilesBackend(client, "/Shared/state", target,
                                                           lease_seconds={LEASE})
        """))


def holder(kind: Kind, target: str = "dev") -> subprocess.Popen:
    """Another process that takes the lock through a StateStore (renewing a lease as a real
    run does), says so, and holds it until killed."""
    process = subprocess.Popen([sys.executable, "-c", kind.source + textwrap.dedent(f"""
        import time
        from provisioner.state.store import StateStore
        store = StateStore(backend({target!r}), "app", {target!r})
        with store.locked("apply"):
            print("locked", flush=True)
            time.sleep(600)
    """)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    return process


def entry(name: str) -> ResourceState:
    return ResourceState(kind="serving_endpoints", name=name, id=f"id-{name}", status="ready")


def test_documents_are_written_whole_with_the_previous_one_as_backup(kind):
    backend = kind.make("dev")
    assert backend.read() is None and backend.read_backup() is None
    backend.write("first\n")
    backend.write("second\n")
    assert (backend.read(), backend.read_backup()) == ("second\n", "first\n")
    assert kind.make("prod").read() is None, "targets share nothing"


def test_one_holder_at_a_time_and_the_other_learns_who(kind):
    first, second = kind.make("dev"), kind.make("dev")
    held = LockInfo("apply")
    assert first.try_lock(held) is None
    blocked = second.try_lock(LockInfo("destroy"))
    assert blocked is not None and (blocked.id, blocked.operation) == (held.id, "apply")
    assert second.read_lock().id == held.id
    assert second.unlock("not-the-id") is False and second.read_lock().id == held.id
    assert first.unlock(held.id) is True
    assert second.read_lock() is None
    assert second.try_lock(LockInfo("destroy")) is None


def test_a_store_records_only_under_its_lock_and_reads_back_what_it_wrote(kind):
    store = StateStore(kind.make("dev"), "app", "dev")
    with store.locked("apply"):
        store.record("serving_endpoints.a", entry("a"))
        store.record("serving_endpoints.b", entry("b"))
        store.move("serving_endpoints.b", "serving_endpoints.c")
    again = StateStore(kind.make("dev"), "app", "dev").load()
    assert again.resources == {"serving_endpoints.a": entry("a"),
                               "serving_endpoints.c": entry("b")}
    assert again.serial == 3 and again.lineage
    with pytest.raises(Exception, match="without holding its lock"):
        store.record("serving_endpoints.a", None)


def test_records_made_at_once_share_a_write_and_each_returns_once_it_is_written(kind):
    """Group commit: workers recording while a write is under way are written together by
    the next write (a 100-endpoint apply waited seconds on one write per entry), and none
    returns before a document holding its entry is written."""
    backend, held = kind.make("dev"), threading.Event()
    store = StateStore(backend, "app", "dev")
    written: list[str] = []
    write = backend.write

    def first_write_waits_for_the_others(text: str) -> None:
        if not written:  # hold the first write until every worker has recorded in memory
            held.wait(timeout=30)
        write(text)
        written.append(text)

    backend.write = first_write_waits_for_the_others
    addresses = [f"serving_endpoints.e{i}" for i in range(12)]
    found: dict[str, bool] = {}

    def record(address: str) -> None:
        store.record(address, entry(address.split(".")[1]))
        found[address] = address in json.loads(backend.read())["resources"]

    with store.locked("apply"):
        workers = [threading.Thread(target=record, args=(a,)) for a in addresses]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 10
        while len(store.state.resources) < len(addresses) and time.monotonic() < deadline:
            time.sleep(0.01)
        held.set()
        for worker in workers:
            worker.join(timeout=30)
    assert found == dict.fromkeys(addresses, True)
    # The first write, then one for those that recorded while it was held; or one in all,
    # when every worker recorded before the first took its copy (a loaded machine can
    # schedule it so). Never one write per record.
    assert len(written) in (1, 2), written
    assert set(json.loads(backend.read())["resources"]) == set(addresses)


def test_a_killed_holder_never_blocks_the_next_run(kind):
    """kill -9: the kernel drops an OS lock at once; a lease lapses within its length."""
    running = holder(kind)
    store = StateStore(kind.make("dev"), "app", "dev")
    with pytest.raises(UserError, match=f"pid {running.pid}"), store.locked("apply"):
        pass
    running.kill()
    running.wait()
    with store.locked("apply", timeout=LEASE * 4):
        store.record("serving_endpoints.a", entry("a"))
    assert kind.make("dev").read_lock() is None


def test_a_living_holder_keeps_its_lock_beyond_any_lease(kind):
    running = holder(kind)
    try:
        time.sleep(LEASE * 2.5)
        blocked = kind.make("dev").try_lock(LockInfo("apply"))
        assert blocked is not None and blocked.pid == running.pid
    finally:
        running.kill()
        running.wait()


def test_force_unlock_is_the_last_resort_for_a_living_holder(kind):
    running = holder(kind)
    try:
        store = StateStore(kind.make("dev"), "app", "dev")
        lock_id = kind.make("dev").read_lock().id
        with pytest.raises(UserError, match=f"the lock's ID is {lock_id}"):
            store.force_unlock("another")
        assert store.force_unlock(lock_id).pid == running.pid
        with store.locked("apply"):
            store.record("serving_endpoints.a", entry("a"))
    finally:
        running.kill()
        running.wait()


@pytest.mark.parametrize(("stack", "target", "named"), [("other", "dev", "stack 'other'"),
                                                        ("app", "prod", "target 'prod'")])
def test_a_state_of_another_stack_or_target_is_refused(kind, stack, target, named):
    writer = StateStore(kind.make("dev"), stack, target)
    with writer.locked("apply"):
        writer.record("serving_endpoints.a", entry("a"))
    with pytest.raises(UserError, match=f"belongs to {named}"):
        StateStore(kind.make("dev"), "app", "dev").load()


def test_a_lapsed_lease_taken_over_stops_the_old_holder_writing(tmp_path):
    """Only a lease can be lost (an OS lock cannot): a holder that stopped renewing and found
    its lease taken records nothing more."""
    from provisioner.state.workspace_files import WorkspaceFilesBackend
    from provisioner.workspace.client import WorkspaceAuth, connect

    with LocalWorkspace(tmp_path / "workspace", settings=Settings()) as local:
        client = connect(WorkspaceAuth(host=local.url, token="test"))
        make = lambda: WorkspaceFilesBackend(client, "/Shared/state", "dev",  # noqa: E731
                                             lease_seconds=LEASE)
        slow = StateStore(make(), "app", "dev")
        with slow.locked("apply"):
            slow.record("serving_endpoints.a", entry("a"))
            make().unlock(make().read_lock().id)  # as if it lapsed while the holder hung
            other = StateStore(make(), "app", "dev")
            with other.locked("apply"):
                time.sleep(LEASE)  # the old holder's next renewal finds it taken
                with pytest.raises(UserError, match="lapsed and was taken over"):
                    slow.record("serving_endpoints.b", entry("b"))
                other.record("serving_endpoints.c", entry("c"))
        assert set(StateStore(make(), "app", "dev").load().resources) == {
            "serving_endpoints.a", "serving_endpoints.c"}


def test_the_local_lock_file_is_gone_after_a_clean_run(tmp_path):
    from provisioner.state.local import LocalBackend

    store = StateStore(LocalBackend(tmp_path, "dev"), "app", "dev")
    with store.locked("apply"):
        assert Path(tmp_path / "dev.lock").exists()
    assert not Path(tmp_path / "dev.lock").exists()
