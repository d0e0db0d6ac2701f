"""Per-served-entity health of the invocations an endpoint answered, on the metrics route.

`GET /api/2.0/serving-endpoints/{name}/metrics` answers Prometheus text exposition (SDK 0.156
`export_metrics` sends `Accept: text/plain` and returns the raw body). The families are the
ones Databricks documents for serving endpoint health ("Track and export serving endpoint
health metrics"): `request_count_total`, `request_4xx_count_total` and
`request_5xx_count_total` are gauges over the last minute despite their suffix, and
`request_latency_ms` is a histogram; each sample carries a millisecond timestamp. The
`served_entity_name` label splits them by entity (serving-endpoints.md §1: per-entity labels
are unverified against a real workspace).
The route itself is served with the invocations (`invocations.metrics`).

Samples are kept in the store, so every server on one folder sees the same invocations.
"""

from __future__ import annotations

from provisioner.local.store import Tx

KIND = "serving_metrics"
WINDOW_SECONDS = 60.0
"""The gauges count the last minute, as the service's do."""
LATENCY_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
                      120000, 300000, 600000)
"""Upper bounds of the latency histogram: observed exports run from 5 ms to 600000 ms."""
_GAUGES = (
    ("request_count_total", "Number of requests during the last minute.", lambda s: True),
    ("request_4xx_count_total", "Number of 4xx errors during the last minute.",
     lambda s: 400 <= s < 500),
    ("request_5xx_count_total", "Number of 5xx errors during the last minute.",
     lambda s: s >= 500),
)


def record(tx: Tx, endpoint: str, entity: str, status: int, latency_ms: float,
           now: float) -> None:
    """One invocation answered by `entity`; samples older than the window are dropped."""
    key = f"{endpoint}/{entity}"
    kept = [s for s in (tx.get(KIND, key) or {}).get("samples", [])
            if s[0] > now - WINDOW_SECONDS]
    tx.put(KIND, key, {"samples": [*kept, [now, status, round(latency_ms, 3)]]}, ref=endpoint)


def forget(tx: Tx, endpoint: str) -> None:
    """A deleted endpoint's metrics go with it."""
    tx.delete_all(KIND, ref=endpoint)


def exposition(tx: Tx, endpoint: str, entities: list[str], now: float) -> str:
    """The Prometheus text of `entities` (those the endpoint serves now)."""
    stamp = int(now * 1000)
    recent = {e: [s for s in (tx.get(KIND, f"{endpoint}/{e}") or {}).get("samples", [])
                  if s[0] > now - WINDOW_SECONDS] for e in entities}
    lines = []
    for name, help_text, counted in _GAUGES:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        lines += [f"{name}{{{_label(e)}}} {float(sum(1 for s in recent[e] if counted(s[1])))} "
                  f"{stamp}" for e in entities]
    lines += ["# HELP request_latency_ms Round-trip latency of requests in milliseconds.",
              "# TYPE request_latency_ms histogram"]
    for entity in entities:
        latencies = [s[2] for s in recent[entity]]
        for bound in LATENCY_BUCKETS_MS:
            within = sum(1 for ms in latencies if ms <= bound)
            lines.append(f'request_latency_ms_bucket{{{_label(entity)},le="{float(bound)}"}} '
                         f"{float(within)} {stamp}")
        lines.append(f'request_latency_ms_bucket{{{_label(entity)},le="+Inf"}} '
                     f"{float(len(latencies))} {stamp}")
        lines.append(f"request_latency_ms_count{{{_label(entity)}}} {float(len(latencies))} "
                     f"{stamp}")
        lines.append(f"request_latency_ms_sum{{{_label(entity)}}} {float(sum(latencies))} "
                     f"{stamp}")
    return "\n".join(lines) + "\n"


def _label(entity: str) -> str:
    escaped = entity.replace("\\", "\\\\").replace('"', '\\"')
    return f'served_entity_name="{escaped}"'
