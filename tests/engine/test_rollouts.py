"""Progressive delivery (`rollout:`): the real CLI in a subprocess against a served local
workspace, with callers querying the endpoint all along.

The gates read the endpoint's metrics route (SDK `export_metrics`), which the local workspace
fills from the invocations it answers; `entity_faults` makes the new served entity fail.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator

import pytest
from support.chaos import Chaos, lost, put_secret, served

from provisioner.local.settings import EntityFault

ENTITY = """\
        - name: {name}
          external_model:
            provider: openai
            name: {model}
            task: llm/v1/chat
            openai_config: {{openai_api_key: "{{{{secrets/chaos/openai}}}}"}}
"""
STACK = """\
stack: canary
targets:
  served: {{}}
resources:
  serving_endpoints:
    chat:
      served_entities:
{entities}      rollout:
        steps: [10, 50, 100]
        hold_seconds: {hold}
        gates: {{max_error_rate: 0.05, min_requests: 10}}
"""
V1 = ENTITY.format(name="v1", model="gpt-4o-mini")
V2 = ENTITY.format(name="v2", model="gpt-4o")
CONFIG = "/api/2.0/serving-endpoints/chat/config"


def stack(entities: str, hold: float = 0) -> str:
    return STACK.format(entities=entities, hold=hold)


class Callers:
    """Threads querying the endpoint until stopped; every answer kept (status, entity,
    message), as a client of the endpoint would see it."""

    def __init__(self, chaos: Chaos, threads: int = 3):
        self._client = chaos.sdk()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.answers: list[tuple[int, str, str]] = []
        self._threads = [threading.Thread(target=self._call, daemon=True)
                         for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def _call(self) -> None:
        from databricks.sdk.errors import DatabricksError

        body = {"messages": [{"role": "user", "content": "hello"}]}
        while not self._stop.is_set():
            try:
                answer = self._client.api_client.do(
                    "POST", "/serving-endpoints/chat/invocations", body=body,
                    response_headers=["served-model-name"])
                seen = (200, answer["served-model-name"], "")
            except DatabricksError as exc:
                seen = (exc.status_code if hasattr(exc, "status_code") else 0, "", str(exc))
            with self._lock:
                self.answers.append(seen)

    def stop(self) -> list[tuple[int, str, str]]:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)
        return self.answers

    def lost(self) -> list[tuple[int, str, str]]:
        """Failed answers not caused by the injected fault: what the rollout itself broke."""
        return [a for a in self.answers if a[0] != 200 and "entity_faults" not in a[2]]


@pytest.fixture
def chaos(tmp_path) -> Iterator[Chaos]:
    local = served(tmp_path / "workspace", seed=3)
    try:
        put_secret(local)
        scenario = Chaos(tmp_path / "stack", local, {})
        scenario.write(stack(V1))
        assert scenario.apply().code == 0
        yield scenario
        for run in scenario.runs:
            run.stop()
    finally:
        local.stop()


def live_routes(chaos: Chaos) -> dict[str, int]:
    live = chaos.sdk().api_client.do("GET", "/api/2.0/serving-endpoints/chat")
    assert "pending_config" not in live, "an update is still in flight"
    return {r["served_entity_name"]: r["traffic_percentage"]
            for r in live["config"]["traffic_config"]["routes"]}


def rollout_lines(output: str) -> list[str]:
    return [json.loads(line)["status"] for line in output.splitlines()
            if '"progress"' in line and "rollout:" in line]


def test_the_plan_shows_the_steps_gates_and_what_a_failure_does(chaos):
    chaos.write(stack(V2, hold=30))
    change = next(c for c in chaos.plan_document()["resource_changes"]
                  if c["address"] == "serving_endpoints.chat")
    assert change["action"] == "update"
    assert change["notes"] == [
        "rolled out to served entity v2: 10% → 50% → 100%, holding 30s at each step before "
        "its gates (endpoint READY, at least 10 requests, error rate ≤ 5.00%); a failed gate "
        "sends the traffic back to v1 and fails the apply"]
    text = chaos.cli("plan", ".", "-t", "served").out
    assert "rolled out to served entity v2: 10% → 50% → 100%" in text


def test_a_healthy_rollout_reaches_all_traffic_in_the_declared_steps(chaos):
    chaos.write(stack(V2))
    puts_before = len(chaos.requests("PUT", CONFIG))
    callers = Callers(chaos)
    try:
        result = chaos.apply("--format", "json")
    finally:
        answers = callers.stop()
    assert result.code == 0, result.text
    sent = [s for s in rollout_lines(result.out) if s.startswith("rollout: sending")]
    assert sent == ["rollout: sending 10% to v2", "rollout: sending 50% to v2",
                    "rollout: sending 100% to v2 (the stack's config)"]
    assert any("gates passed" in s for s in rollout_lines(result.out))
    # Two canary steps and the stack's own config: three config updates, in that order.
    assert len(chaos.requests("PUT", CONFIG)) - puts_before == 3
    assert live_routes(chaos) == {"v2": 100}
    assert {a[1] for a in answers if a[0] == 200} == {"v1", "v2"}
    assert callers.lost() == []
    state = chaos.state()["resources"]["serving_endpoints.chat"]
    assert "rollout" not in state
    assert chaos.cli("plan", ".", "-t", "served", "--detailed-exitcode").code == 0


def test_a_failing_gate_at_the_first_step_rolls_back_and_loses_no_request(chaos):
    chaos.configure(entity_faults=(EntityFault(endpoint="chat", served_entity="v2",
                                               error_rate=0.5),))
    chaos.write(stack(V2))
    callers = Callers(chaos)
    try:
        result = chaos.apply()
    finally:
        answers = callers.stop()
    assert result.code == 1, result.text
    assert "the rollout failed at 10%: v2 error rate" in result.err
    assert "above max_error_rate 5.00%; traffic is back on v1 100%" in result.err
    assert "sending 50%" not in result.err
    assert live_routes(chaos) == {"v1": 100}
    injected = [a for a in answers if "entity_faults" in a[2]]
    assert injected, "the fault never fired: the gate judged nothing"
    assert callers.lost() == [], callers.lost()
    assert "rollout" not in chaos.state()["resources"]["serving_endpoints.chat"]
    # The stack still asks for v2: the next plan offers the rollout again.
    assert chaos.plan_document()["summary"]["update"] == 1


def resumed(chaos: Chaos, plan_says: str):
    """The apply after a kill, once its plan says what it resumes (`plan_says`)."""
    assert plan_says in chaos.cli("plan", ".", "-t", "served").out
    return chaos.apply()


def killed(chaos: Chaos, running) -> dict:
    """kill -9 the run; the state's record of the rollout it left."""
    running.send(signal.SIGKILL)
    assert running.wait().code == -signal.SIGKILL
    recorded = chaos.state()["resources"]["serving_endpoints.chat"]["rollout"]
    assert (recorded["entity"], recorded["percentage"]) == ("v2", 10)
    assert recorded["previous_routes"] == [{"served_entity_name": "v1",
                                            "traffic_percentage": 100}]
    return recorded


def test_a_rollout_killed_while_holding_a_step_resumes_there_on_the_next_apply(chaos):
    chaos.write(stack(V2, hold=600))
    callers = Callers(chaos)
    try:
        running = chaos.start_apply()
        running.wait_for_line(r"rollout: 10% to v2, holding 600s", timeout=120)
        assert "failed" not in killed(chaos, running)
        assert live_routes(chaos) == {"v1": 90, "v2": 10}  # between versions, for now
        chaos.write(stack(V2, hold=0))  # the same rollout, held briefly this time
        result = resumed(chaos, "resumes the rollout an earlier apply left at 10%")
    finally:
        callers.stop()
    assert result.code == 0, result.text
    assert "rollout: sending 10% to v2" in result.err  # resumed at the step it was in
    assert live_routes(chaos) == {"v2": 100}
    assert "rollout" not in chaos.state()["resources"]["serving_endpoints.chat"]
    assert callers.lost() == []
    assert chaos.cli("plan", ".", "-t", "served", "--detailed-exitcode").code == 0


def test_a_rollout_killed_while_rolling_back_is_rolled_back_by_the_next_apply(chaos):
    """The rollback's config update is sent but its answer is held up (a lost answer with a
    long Retry-After) when the run is killed: the next apply finishes the rollback before
    anything else and fails, never starting a new canary."""
    chaos.configure(entity_faults=(EntityFault(endpoint="chat", served_entity="v2",
                                               error_rate=1.0),))
    chaos.write(stack(V2))
    running = chaos.start_apply()
    running.wait_for_line(r"rollout: 10% to v2, 0/10 requests seen", timeout=120)
    chaos.configure(fault_rules=(lost("PUT", CONFIG),), retry_after_seconds=30)
    callers = Callers(chaos)  # the gate now sees v2 fail, and rolls back
    try:
        chaos.wait_for_request("PUT", CONFIG, status=503, timeout=120)
        assert killed(chaos, running)["failed"].startswith("v2 error rate 100.00%")
        chaos.calm()
        result = resumed(chaos, "after finishing its rollback")
    finally:
        callers.stop()
    assert result.code == 1, result.text
    assert "stopped before its rollback finished: v2 error rate 100.00%" in result.err
    assert "sending" not in result.err  # no new canary before the rollback is done
    assert live_routes(chaos) == {"v1": 100}
    assert "rollout" not in chaos.state()["resources"]["serving_endpoints.chat"]
    assert callers.lost() == []
