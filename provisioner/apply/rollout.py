"""Walk a progressive delivery (`rollout:`): send each traffic step below 100 %, hold it, judge
its gates, and put the previous routes back when one fails.

The state records the rollout before each step is sent (the entity, the step, the routes it
started from) and `failed` before a rollback is sent, so a run stopped anywhere (Ctrl-C,
`kill -9`) leaves the next apply enough to resume the rollout at that step, or to finish the
rollback: an endpoint is never left between versions with nobody to move it on.
The last step is the stack's own config, which the applier sends as any update.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from provisioner.errors import ApiError
from provisioner.kinds.base import Handler, Live
from provisioner.state.store import StateStore

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

POLL_SECONDS = 1.0
"""How often a hold checks for an interrupt, and a step looks for its min_requests."""
FAILED = "ROLLOUT_FAILED"


@dataclass(frozen=True)
class Delivery:
    """What a rollout needs of the apply running it."""

    client: WorkspaceClient
    store: StateStore
    address: str
    handler: Handler
    desired: dict[str, Any]
    wait_ready: Callable[[], Live]
    """Waits until the endpoint is ready (no update in flight) and returns it as an update
    compares it; raises on failure."""
    report: Callable[[str], None]
    """Emits a progress line for the resource; raises once the apply is interrupted."""
    stop: threading.Event


def deliver(run: Delivery, live: Live) -> Live:
    """Walk the rollout's steps below 100 % and return the endpoint as it then is, for the
    applier to send the stack's config (the last step) as any update. Nothing to roll out
    (no rollout asked, a new endpoint, no single new entity): `live` as given."""
    remembered = run.store.state.resources.get(run.address)
    if remembered is None:  # not ours yet (adopted): the config is applied at once
        return live
    steps = run.handler.rollout(run.desired, live, remembered.rollout)
    if steps is None:
        return live
    policy = run.desired["rollout"]
    recorded = remembered.rollout
    if recorded and recorded.get("failed"):
        _roll_back(run, steps, recorded["failed"], resumed=True)
    start = recorded["percentage"] if recorded else 0
    for percentage in [p for p in policy["steps"] if p < 100 and p >= start]:
        _record(run, steps.record(percentage))  # intent first: a kill after the send resumes
        run.wait_ready()  # an update in flight (a resumed step) is refused with a conflict
        run.report(f"rollout: sending {percentage}% to {steps.name}")
        steps.send(run.client, steps.config_at(percentage))
        run.wait_ready()
        _hold(run, percentage, steps.name, policy["hold_seconds"])
        problem = _judge(run, steps, percentage, policy)
        if problem:
            _roll_back(run, steps, problem)
    run.report(f"rollout: sending 100% to {steps.name} (the stack's config)")
    return run.wait_ready()


def _hold(run: Delivery, percentage: int, entity: str, seconds: float) -> None:
    until = time.monotonic() + seconds
    run.report(f"rollout: {percentage}% to {entity}, holding {seconds:g}s")
    while (left := until - time.monotonic()) > 0:
        run.stop.wait(min(POLL_SECONDS, left))
        run.report(f"rollout: {percentage}% to {entity}, holding {seconds:g}s")


def _judge(run: Delivery, steps: Any, percentage: int, policy: dict[str, Any]) -> str | None:
    """Why the step fails its gates, or None when it passes."""
    gates = policy.get("gates") or {}
    live = run.wait_ready()
    if not live.ready:
        return f"the endpoint is {live.status}, not ready"
    wanted = gates.get("min_requests") or 0
    until = time.monotonic() + policy["wait_seconds"]
    health = steps.health(run.client)
    while health.requests < wanted:
        if time.monotonic() > until:
            return (f"{steps.name} answered {health.requests:g} requests in the last minute, "
                    f"fewer than min_requests {wanted} within {policy['wait_seconds']:g}s")
        run.report(f"rollout: {percentage}% to {steps.name}, "
                   f"{health.requests:g}/{wanted} requests seen")
        run.stop.wait(POLL_SECONDS)
        health = steps.health(run.client)
    said = [f"{health.requests:g} requests", f"error rate {health.error_rate:.2%}"]
    limit = gates.get("max_error_rate")
    if limit is not None and health.error_rate > limit:
        return (f"{steps.name} error rate {health.error_rate:.2%} ({health.errors_4xx:g} 4xx, "
                f"{health.errors_5xx:g} 5xx of {health.requests:g} requests in the last "
                f"minute) is above max_error_rate {limit:.2%}")
    ceiling = gates.get("max_latency_ms")
    percentile = gates.get("latency_percentile", 99)
    latency = health.latency_ms(percentile)
    if latency is not None:
        said.append(f"p{percentile:g} ≤ {latency:g} ms")
    if ceiling is not None and latency is not None and latency > ceiling:
        return (f"{steps.name} p{percentile:g} latency reaches the {latency:g} ms bucket, "
                f"above max_latency_ms {ceiling:g}")
    run.report(f"rollout: {percentage}% to {steps.name}: gates passed ({', '.join(said)})")
    return None


def _roll_back(run: Delivery, steps: Any, problem: str, *, resumed: bool = False) -> None:
    """Record the failure, put the previous routes back, wait for them, forget the rollout,
    and fail the apply with what happened."""
    recorded = run.store.state.resources[run.address].rollout or {}
    _record(run, steps.record(recorded.get("percentage", 0), failed=problem))
    previous = ", ".join(f"{r['served_entity_name']} {r['traffic_percentage']}%"
                         for r in steps.previous_routes)
    run.report(f"rollout: rolling back to {previous}")
    run.wait_ready()
    steps.send(run.client, steps.previous_config())
    run.wait_ready()
    _record(run, None)
    when = ("an earlier apply's rollout had failed and was stopped before its rollback "
            "finished" if resumed else f"the rollout failed at {recorded.get('percentage')}%")
    raise ApiError(f"{when}: {problem}; traffic is back on {previous} and {steps.name} "
                   "serves nothing (apply again to retry the rollout)", code=FAILED,
                   address=run.address)


def _record(run: Delivery, rollout: dict[str, Any] | None) -> None:
    remembered = run.store.state.resources[run.address]
    run.store.record(run.address, dataclasses.replace(remembered, rollout=rollout))
