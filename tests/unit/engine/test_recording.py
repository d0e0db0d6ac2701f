"""What a run records besides the applier's writes, on a real state store: `record_settled`
(before an apply) keeps protection current everywhere and settles what already matches the
workspace; `record_refresh` records a refresh-only plan's findings and counts them."""

from __future__ import annotations

import json

from provisioner.addresses import Address
from provisioner.diff import sensitive
from provisioner.engine.recording import record_refresh, record_settled
from provisioner.engine.session import Session
from provisioner.kinds.base import Live
from provisioner.kinds.registry import handler_for
from provisioner.operations import Action
from provisioner.plan.model import Plan, ResourceChange, StackOrigin
from provisioner.plan.planner import Planned
from provisioner.state.local import LocalBackend
from provisioner.state.model import ResourceState
from provisioner.state.store import StateStore

KIND = "serving_endpoints"
ORIGIN = StackOrigin(name="app", path="/stack", digest="d", target="dev", workspace=None,
                     state="local", variables={})


def desired(team: str) -> dict:
    return {"name": "chat", "tags": [{"key": "team", "value": team}]}


def entry(team: str, **fields) -> ResourceState:
    return ResourceState(kind=KIND, name="chat", id="e-1", last_applied=desired(team),
                         outputs={"name": "chat", "id": "e-1"}, **fields)


def change(action: Action, team: str, **fields) -> ResourceChange:
    hashed = sensitive.hash_sensitive(desired(team), handler_for(KIND).rules)
    return ResourceChange(f"{KIND}.chat", KIND, "chat", action, "test", desired=hashed,
                          desired_hash=sensitive.hash_value(hashed), **fields)


def session_with(tmp_path, recorded: ResourceState) -> Session:
    store = StateStore(LocalBackend(tmp_path, "dev"), "app", "dev")
    with store.locked("test"):
        store.record(f"{KIND}.chat", recorded)
    return Session(stack=None, client=None, store=store)


def on_disk(tmp_path) -> dict:
    return json.loads((tmp_path / "dev.json").read_text())


def settle(session: Session, planned_change: ResourceChange, team: str) -> None:
    planned = Planned(Plan(ORIGIN, "", 0, (planned_change,)),
                      {Address.parse(f"{KIND}.chat"): desired(team)})
    with session.store.locked("apply"):
        record_settled(session, planned)


def test_a_create_whose_wait_ended_since_is_settled_ready_and_its_rollout_forgotten(tmp_path):
    session = session_with(tmp_path, entry("a", status="creating",
                                           rollout={"entity": "v2", "percentage": 25}))
    settle(session, change(Action.NO_OP, "a", prevent_destroy=True), "a")
    recorded = on_disk(tmp_path)["resources"][f"{KIND}.chat"]
    assert (recorded["status"], recorded["prevent_destroy"]) == ("ready", True)
    assert "rollout" not in recorded


def test_a_last_applied_left_stale_by_a_stopped_run_is_brought_up_to_date(tmp_path):
    """The workspace already has team b (sent before a stop); the state still said a."""
    session = session_with(tmp_path, entry("a"))
    settle(session, change(Action.NO_OP, "b"), "b")
    assert on_disk(tmp_path)["resources"][f"{KIND}.chat"]["last_applied"] == desired("b")


def test_a_change_still_to_apply_keeps_its_record_but_for_its_protection(tmp_path):
    session = session_with(tmp_path, entry("a", status="creating"))
    settle(session, change(Action.UPDATE, "b", prevent_destroy=True), "b")
    recorded = on_disk(tmp_path)["resources"][f"{KIND}.chat"]
    assert (recorded["status"], recorded["prevent_destroy"]) == ("creating", True)
    assert recorded["last_applied"] == desired("a")


def test_nothing_to_settle_writes_nothing(tmp_path):
    session = session_with(tmp_path, entry("a"))
    serial = on_disk(tmp_path)["serial"]
    settle(session, change(Action.NO_OP, "a"), "a")
    assert on_disk(tmp_path)["serial"] == serial


def test_a_refresh_records_what_moved_and_forgets_what_is_gone(tmp_path):
    session = session_with(tmp_path, entry("a"))
    plan = Plan(ORIGIN, "", 0, (change(Action.UPDATE, "a"),), operation="refresh-only")
    moved = Live(name="chat", id="e-2", document=desired("b"),
                 outputs={"name": "chat", "id": "e-2"})
    address = Address.parse(f"{KIND}.chat")
    with session.store.locked("refresh"):
        assert record_refresh(session, plan, {address: moved}) == 1
        recorded = on_disk(tmp_path)["resources"][f"{KIND}.chat"]
        assert (recorded["id"], recorded["last_applied"]) == ("e-2", desired("b"))
        assert record_refresh(session, plan, {address: moved}) == 0
        assert record_refresh(session, plan, {address: None}) == 1
    assert on_disk(tmp_path)["resources"] == {}
