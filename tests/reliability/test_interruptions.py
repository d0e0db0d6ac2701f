"""`apply` killed (`kill -9`) or interrupted (Ctrl-C) at every stage of its work.

Each stage is found from what the run reports (its progress lines) or from what the workspace
logged, never from a guessed sleep, and each scenario first checks that the run really stopped
there. A killed run's lock is released by the kernel (the next run needs no `force-unlock`);
an interrupted run releases its lock and exits 130 within seconds.
Every scenario ends with `assert_recovers`.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from support.chaos import (
    CREATE,
    SIGNALS,
    STACK,
    Chaos,
    Running,
    assert_lock_released_by_the_kernel,
    assert_recovers,
    endpoint,
    lost,
    without,
)

INTERRUPT_SECONDS = 10.0
"""How soon after Ctrl-C an apply must have exited (it abandons readiness waits)."""
HOLD = 30
"""Retry-After (s) of a lost answer: the run sits in the SDK's retry sleep while stopped."""


@dataclass(frozen=True)
class Stage:
    prepare: Callable[[Chaos], None]
    """Arm the workspace (and apply a first version where the stage needs one)."""
    reach: Callable[[Chaos, Running], None]
    """Block until the run is at the stage."""
    stopped_at: Callable[[Chaos], None]
    """Check what the workspace and the state hold once the run is stopped there."""


def _hold_answer_of(method: str, path: str) -> Callable[[Chaos], None]:
    return lambda chaos: chaos.configure(fault_rules=(lost(method, path),),
                                         retry_after_seconds=HOLD)


def _applied_then(edit: Callable[[str], str], **knobs) -> Callable[[Chaos], None]:
    def prepare(chaos: Chaos) -> None:
        assert chaos.apply().code == 0
        chaos.write(edit(STACK))
        chaos.configure(**knobs)
    return prepare


def _nothing_written(chaos: Chaos) -> None:
    assert chaos.writes() == [] and chaos.state() == {} and chaos.inventory() == {}


def _chat_made_not_recorded(chaos: Chaos) -> None:
    """The create's answer never came back: the next plan finds it by name and adopts it."""
    assert ("serving_endpoint", "chat") in chaos.inventory()
    assert "external_models.chat" not in chaos.state().get("resources", {})


def _chat_recorded_creating(chaos: Chaos) -> None:
    """Acknowledged, so recorded at once, before it is ready."""
    recorded = chaos.state()["resources"]["external_models.chat"]
    assert recorded["status"] == "creating"
    assert recorded["id"] == chaos.inventory()[("serving_endpoint", "chat")]


def _update_sent_not_recorded(chaos: Chaos) -> None:
    live = chaos.sdk().api_client.do("GET", endpoint("chat"))
    config = live.get("pending_config") or live["config"]
    pending = config["served_entities"][0]["external_model"]["name"]
    recorded = chaos.state()["resources"]["external_models.chat"]["last_applied"]
    assert (pending, recorded["served_entities"][0]["external_model"]["name"]) == (
        "gpt-4o", "gpt-4o-mini")


def _deleted_still_recorded(chaos: Chaos) -> None:
    assert ("serving_endpoint", "summarize") not in chaos.inventory()
    assert "external_models.summarize" in chaos.state()["resources"]


STAGES = {
    "before-the-first-call": Stage(
        lambda chaos: chaos.configure(latency_ms=1500),
        lambda chaos, run: _wait_until(chaos.lock_file.exists),
        _nothing_written),
    "create-sent-answer-pending": Stage(
        _hold_answer_of(*CREATE),
        lambda chaos, run: chaos.wait_for_request(*CREATE, status=503),
        _chat_made_not_recorded),
    "create-readiness-wait": Stage(
        lambda chaos: chaos.configure(serving_endpoint_create_seconds=5),
        lambda chaos, run: run.wait_for_line(
            r"external_models\.chat: waiting \(NOT_READY/IN_PROGRESS\)"),
        _chat_recorded_creating),
    "update-readiness-wait": Stage(
        _applied_then(lambda s: s.replace("model: gpt-4o-mini", "model: gpt-4o", 1),
                      serving_endpoint_update_seconds=5),
        lambda chaos, run: run.wait_for_line(
            r"external_models\.chat: waiting \(READY/IN_PROGRESS\)"),
        _update_sent_not_recorded),
    "delete-sent-answer-pending": Stage(
        _applied_then(lambda s: without(s, "summarize"),
                      fault_rules=(lost("DELETE", endpoint("summarize")),),
                      retry_after_seconds=HOLD),
        lambda chaos, run: chaos.wait_for_request("DELETE", endpoint("summarize"),
                                                  status=503),
        _deleted_still_recorded),
}


def _wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def stop(run: Running, how: str) -> None:
    """Stop the run: an interrupted one must exit 130 promptly, say so without a traceback,
    and release its lock."""
    sent = run.send(SIGNALS[how])
    result = run.wait()
    if how == "kill":
        assert result.code == -signal.SIGKILL
        return
    assert result.code == 130, result.text
    assert time.monotonic() - sent < INTERRUPT_SECONDS, result.text
    assert "Interrupted" in result.err and "Traceback" not in result.err, result.text


def clear_after(chaos: Chaos, run: Running, how: str) -> None:
    """An interrupted run released its lock; a killed one left only a file naming it, which
    the next run takes over with no manual step."""
    if how == "kill":
        assert_lock_released_by_the_kernel(chaos, run.pid)
    else:
        assert not chaos.lock_file.exists(), "an interrupted apply left its lock"


@pytest.mark.parametrize("how", sorted(SIGNALS))
@pytest.mark.parametrize("stage", list(STAGES))
def test_apply_stopped_at_any_stage_recovers(chaos, stage, how):
    STAGES[stage].prepare(chaos)
    run = chaos.start_apply()
    STAGES[stage].reach(chaos, run)
    stop(run, how)
    STAGES[stage].stopped_at(chaos)
    clear_after(chaos, run, how)
    assert_recovers(chaos)


@pytest.mark.parametrize("how", sorted(SIGNALS))
def test_stopped_twice_in_a_row_recovers(chaos, how):
    """Stopped while the first endpoint gets ready, then again once the second endpoint's
    create was sent: the second run resumes the first's work before it is stopped too."""
    STAGES["create-readiness-wait"].prepare(chaos)
    first = chaos.start_apply()
    STAGES["create-readiness-wait"].reach(chaos, first)
    stop(first, how)
    clear_after(chaos, first, how)
    chaos.configure(fault_rules=(lost(*CREATE),), retry_after_seconds=HOLD)
    second = chaos.start_apply()
    second.wait_for_line(r"external_models\.summarize: creating")
    chaos.wait_for_request(*CREATE, status=503)
    stop(second, how)
    assert ("serving_endpoint", "summarize") in chaos.inventory()
    assert "external_models.summarize" not in chaos.state()["resources"]
    clear_after(chaos, second, how)
    assert_recovers(chaos)


def test_sigterm_then_ctrl_c_while_stopping_still_exit_cleanly(chaos):
    """CI runners cancel a job with SIGTERM, and an impatient user presses Ctrl-C while the
    run stops: it still exits 130 with its lock released."""
    STAGES["create-sent-answer-pending"].prepare(chaos)
    run = chaos.start_apply()
    STAGES["create-sent-answer-pending"].reach(chaos, run)
    run.send(signal.SIGTERM)
    run.wait_for_line("Interrupted: stopping")
    stop(run, "interrupt")
    clear_after(chaos, run, "interrupt")
    assert_recovers(chaos)
