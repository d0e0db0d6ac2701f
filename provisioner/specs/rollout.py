"""`rollout:` on a serving endpoint: deliver a new served entity in traffic steps, each held
and judged by gates read from the workspace, and send the traffic back when one fails."""

from __future__ import annotations

from pydantic import Field, model_validator

from provisioner.specs.base import Spec


class RolloutGates(Spec):
    """What the new served entity must show at each step before it gets more traffic. The
    endpoint must also be READY with no update in progress."""

    max_error_rate: float | None = Field(
        None, ge=0, le=1, description="Highest share of the new entity's requests answered "
        "4xx or 5xx in the last minute (metrics route), 0.0 to 1.0.")
    max_latency_ms: float | None = Field(
        None, gt=0, description="Highest request latency, in milliseconds, at "
        "latency_percentile (the metrics route's latency histogram).")
    latency_percentile: float = Field(
        99, gt=0, lt=100, description="Percentile max_latency_ms applies to (99: p99).")
    min_requests: int = Field(
        0, ge=0, description="Requests the new entity must have answered in the last minute "
        "before the other gates judge it; the step waits for them (up to wait_seconds).")


class Rollout(Spec):
    """Traffic steps for the endpoint's new served entity (the one entity the workspace does
    not serve yet): each step sends it a share of the traffic, holds, and checks the gates;
    the last step (100) applies the stack's config. A failed gate puts the previous routes
    back and fails the apply."""

    steps: list[int] = Field(
        min_length=1, description="Percentages of traffic for the new entity, increasing, "
        "the last one 100 (e.g. [10, 50, 100]).")
    hold_seconds: float = Field(
        300, ge=0, description="How long each step runs before its gates are checked.")
    wait_seconds: float = Field(
        600, gt=0, description="How long a step waits for gates.min_requests requests "
        "after its hold before it fails.")
    gates: RolloutGates = Field(default_factory=RolloutGates,
                                description="What each step must show.")

    @model_validator(mode="after")
    def _steps_climb_to_all(self) -> Rollout:
        if any(not 1 <= step <= 100 for step in self.steps):
            raise ValueError(f"steps are percentages from 1 to 100, got {self.steps}")
        if any(b <= a for a, b in zip(self.steps, self.steps[1:], strict=False)):
            raise ValueError(f"steps must increase, got {self.steps}")
        if self.steps[-1] != 100:
            raise ValueError(f"the last step must be 100 (all traffic on the new entity), "
                             f"got {self.steps[-1]}")
        return self
