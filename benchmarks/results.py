"""What a scenario reports: a figure, the reference it is compared with in the same run, the
ratio between them, and the target that ratio must meet."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Target:
    """`ratio <= value` or `ratio >= value`. CI fails only when a ratio misses by `margin`
    times the target: the machine is shared and noisy, but a speed-up lost is a regression
    worth failing CI for. Deterministic figures such as call counts get a margin of 1."""

    op: Literal["<=", ">="]
    value: float
    margin: float = 1.25
    gate: bool = True
    """False: reported, never failing CI (a ratio to an absolute time, e.g. start-up)."""

    def met(self, ratio: float) -> bool:
        return ratio <= self.value if self.op == "<=" else ratio >= self.value

    def badly_missed(self, ratio: float) -> bool:
        if not self.gate:
            return False
        if self.op == "<=":
            return ratio > self.value * self.margin
        return ratio < self.value / self.margin

    def __str__(self) -> str:
        return f"{'≤' if self.op == '<=' else '≥'} {_number(self.value)}"


@dataclass(frozen=True)
class Row:
    scenario: str
    case: str
    figure: str
    reference: str
    ratio: float
    unit: str = "×"
    target: Target | None = None
    note: str = ""
    data: dict[str, Any] | None = None
    """Raw numbers (seconds, calls, MB) for the JSON file and the chart."""

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.ratio)

    @property
    def badly_missed(self) -> bool:
        return self.target is not None and self.target.badly_missed(self.ratio)

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["target"] = None if self.target is None else {
            **asdict(self.target), "text": str(self.target)}
        found["met"] = self.met
        return found


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.2f}"
