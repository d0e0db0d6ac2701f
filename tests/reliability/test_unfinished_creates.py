"""Creates that never finished: stopped while getting ready, timed out, or ended UPDATE_FAILED.
The state records each one the moment the workspace acknowledged it (status `creating`, or
`failed`), so the next apply resumes the wait, replaces the failed one, or deletes the one the
stack dropped: no orphan, no duplicate, and no manual unlock, ever."""

from __future__ import annotations

import pytest
from support.chaos import (
    SIGNALS,
    STACK,
    TARGET,
    Chaos,
    assert_lock_released_by_the_kernel,
    assert_recovers,
    without,
)

READY_AFTER = 6
"""Seconds an endpoint takes to get ready: long enough to stop a run while it waits."""


def stopped_while_chat_gets_ready(chaos: Chaos, how: str) -> None:
    chaos.configure(serving_endpoint_create_seconds=READY_AFTER)
    run = chaos.start_apply()
    run.wait_for_line(r"external_models\.chat: waiting \(NOT_READY/IN_PROGRESS\)")
    run.send(SIGNALS[how])
    run.wait()
    if how == "kill":
        assert_lock_released_by_the_kernel(chaos, run.pid)
    assert chaos.state()["resources"]["external_models.chat"]["status"] == "creating"


@pytest.mark.parametrize("how", sorted(SIGNALS))
def test_the_next_apply_resumes_the_wait_of_a_stopped_create(chaos, how):
    stopped_while_chat_gets_ready(chaos, how)
    change = next(c for c in chaos.plan_document()["resource_changes"]
                  if c["address"] == "external_models.chat")
    assert (change["action"], change["reason"], change["fields"]) == (
        "update", "unfinished_create", [])
    assert "apply resumes the wait" in change["notes"][0]
    made = chaos.inventory()[("serving_endpoint", "chat")]
    resumed = chaos.apply()
    assert resumed.code == 0, resumed.text
    assert chaos.inventory()[("serving_endpoint", "chat")] == made, "created twice"
    assert chaos.state()["resources"]["external_models.chat"]["status"] == "ready"
    assert_recovers(chaos)


@pytest.mark.parametrize("how", sorted(SIGNALS))
def test_a_stopped_create_the_stack_dropped_is_deleted_by_the_next_apply(chaos, how):
    stopped_while_chat_gets_ready(chaos, how)
    chaos.write(without(without(STACK, "summarize"), "chat"))
    assert_recovers(chaos)
    assert ("serving_endpoint", "chat") not in chaos.inventory()


def test_a_timed_out_create_the_stack_dropped_is_deleted_by_the_next_apply(chaos):
    chaos.configure(serving_endpoint_create_seconds=READY_AFTER)
    timed_out = chaos.apply("--timeout", "external_models=1")
    assert timed_out.code == 1 and "timed out" in timed_out.err, timed_out.text
    assert chaos.state()["resources"]["external_models.chat"]["status"] == "creating"
    chaos.write(without(without(STACK, "summarize"), "chat"))
    assert_recovers(chaos)
    assert ("serving_endpoint", "chat") not in chaos.inventory()


def test_a_create_that_failed_is_recorded_and_replaced_by_the_next_apply(chaos):
    chaos.configure(fail_next_update=("chat",))
    failed = chaos.apply()
    assert failed.code == 1 and "UPDATE_FAILED" in failed.err, failed.text
    recorded = chaos.state()["resources"]["external_models.chat"]
    broken = chaos.inventory()[("serving_endpoint", "chat")]
    assert (recorded["status"], recorded["id"]) == ("failed", broken)
    chaos.calm()
    change = next(c for c in chaos.plan_document()["resource_changes"]
                  if c["address"] == "external_models.chat")
    assert (change["action"], change["reason"]) == ("replace", "failed_create"), change
    replaced = chaos.apply()
    assert replaced.code == 0, replaced.text
    assert chaos.inventory()[("serving_endpoint", "chat")] != broken
    assert_recovers(chaos)


def test_a_create_that_failed_and_was_dropped_is_deleted(chaos):
    chaos.configure(fail_next_update=("chat",))
    assert chaos.apply().code == 1
    chaos.write(without(without(STACK, "summarize"), "chat"))
    assert_recovers(chaos)
    assert ("serving_endpoint", "chat") not in chaos.inventory()


def test_a_killed_run_with_workspace_state_blocks_only_until_its_lease_lapses(chaos):
    """State in workspace files, as CI keeps it: a runner killed mid-apply leaves a lease
    that lapses, so the next job waits for it (--lock-timeout) instead of needing a person."""
    chaos.write(STACK.replace("served: {}",
                              "served: {state: 'workspace:/Shared/.provisioner/chaos'}"))
    chaos.extra_env["PROVISIONER_LOCK_LEASE"] = "15"
    chaos.configure(serving_endpoint_create_seconds=READY_AFTER)
    run = chaos.start_apply()
    run.wait_for_line(r"external_models\.chat: waiting \(NOT_READY/IN_PROGRESS\)")
    run.send(SIGNALS["kill"])
    run.wait()
    blocked = chaos.apply()
    assert blocked.code == 1 and f"(pid {run.pid})" in blocked.err, blocked.text
    assert "leased until" in blocked.err, blocked.err
    chaos.calm()
    resumed = chaos.apply("--lock-timeout", "30")
    assert resumed.code == 0, resumed.text
    converged = chaos.cli("plan", ".", *TARGET, "--detailed-exitcode")
    assert converged.code == 0, converged.text
    assert set(chaos.inventory()) == set(chaos.declared().values())
    assert len(chaos.requests("POST", "/api/2.0/serving-endpoints")) == 2, "a duplicate"
