"""Reading an endpoint's health from Prometheus text: per entity, or the endpoint's totals
when samples name no entity; latency percentiles as histogram bucket bounds."""

from __future__ import annotations

from provisioner.workspace.serving_metrics import entity_health

LABELLED = """\
# TYPE request_count_total gauge
request_count_total{served_entity_name="a"} 40.0 1700000000000
request_count_total{served_entity_name="b"} 10.0 1700000000000
# TYPE request_5xx_count_total gauge
request_5xx_count_total{served_entity_name="b"} 3.0 1700000000000
# TYPE request_latency_ms histogram
request_latency_ms_bucket{served_entity_name="b",le="50.0"} 5.0 1700000000000
request_latency_ms_bucket{served_entity_name="b",le="250.0"} 9.0 1700000000000
request_latency_ms_bucket{served_entity_name="b",le="+Inf"} 10.0 1700000000000
request_latency_ms_count{served_entity_name="b"} 10.0 1700000000000
request_latency_ms_sum{served_entity_name="b"} 900.0 1700000000000
"""
# As observed on real workspaces (request counters of the last minute, no labels).
UNLABELLED = """\
# TYPE request_count_total gauge
request_count_total 8.0
# TYPE request_4xx_count_total gauge
request_4xx_count_total 2.0
"""


def test_each_entity_reads_its_own_samples():
    b = entity_health(LABELLED, "b")
    assert (b.requests, b.errors_5xx, b.error_rate) == (10, 3, 0.3)
    assert (b.latency_ms(50), b.latency_ms(90), b.latency_ms(99)) == (50, 250, float("inf"))
    assert entity_health(LABELLED, "a").latency_ms(99) is None
    assert entity_health(LABELLED, "c").requests == 0


def test_samples_without_an_entity_stand_for_every_entity():
    health = entity_health(UNLABELLED, "any")
    assert (health.requests, health.errors_4xx, health.error_rate) == (8, 2, 0.25)
