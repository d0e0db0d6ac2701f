"""An endpoint's health per served entity, read from its metrics route's Prometheus text.

The route's gauges count the last minute (`request_count_total`, `request_4xx_count_total`,
`request_5xx_count_total`) and `request_latency_ms` is a histogram (Databricks: "Track and
export serving endpoint health metrics"); `prometheus_client` parses the exposition format.
Samples labelled `served_entity_name` belong to that entity; a workspace whose samples carry
no entity label reports the endpoint as a whole, which then stands for every entity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ENTITY_LABEL = "served_entity_name"


@dataclass(frozen=True, slots=True)
class Health:
    """One served entity's last minute."""

    requests: float = 0.0
    errors_4xx: float = 0.0
    errors_5xx: float = 0.0
    buckets: tuple[tuple[float, float], ...] = ()
    """(upper bound in ms, requests at or under it), cumulative, ascending, +Inf last."""

    @property
    def error_rate(self) -> float:
        """Share of requests answered 4xx or 5xx; 0 without requests."""
        return (self.errors_4xx + self.errors_5xx) / self.requests if self.requests else 0.0

    def latency_ms(self, percentile: float) -> float | None:
        """The bucket bound under which `percentile` % of requests fell (the histogram's
        resolution: a bound, never a guess between bounds); None without requests."""
        total = self.buckets[-1][1] if self.buckets else 0.0
        if not total:
            return None
        wanted = total * percentile / 100
        return next(bound for bound, count in self.buckets if count >= wanted)


def parse(text: str) -> dict[str | None, Health]:
    """Health by served entity name (None: samples without an entity label)."""
    from prometheus_client.parser import text_string_to_metric_families

    counts: dict[str | None, dict[str, float]] = {}
    buckets: dict[str | None, list[tuple[float, float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            entity = sample.labels.get(ENTITY_LABEL)
            if sample.name == "request_latency_ms_bucket":
                bound = sample.labels.get("le", "+Inf")
                buckets.setdefault(entity, []).append(
                    (math.inf if bound == "+Inf" else float(bound), sample.value))
            elif sample.name in ("request_count_total", "request_4xx_count_total",
                                 "request_5xx_count_total"):
                totals = counts.setdefault(entity, {})
                totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return {entity: Health(
        requests=counts.get(entity, {}).get("request_count_total", 0.0),
        errors_4xx=counts.get(entity, {}).get("request_4xx_count_total", 0.0),
        errors_5xx=counts.get(entity, {}).get("request_5xx_count_total", 0.0),
        buckets=tuple(sorted(buckets.get(entity, ()))))
        for entity in counts.keys() | buckets.keys()}


def entity_health(text: str, entity: str) -> Health:
    """`entity`'s health; the endpoint's own when the workspace does not split by entity."""
    found = parse(text)
    if any(key is not None for key in found):
        return found.get(entity, Health())
    return found.get(None, Health())
