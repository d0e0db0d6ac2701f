"""The configs a rollout sends: the new entity's share, the previous routes scaled to the rest
(adding up to 100), and the previous config for a rollback."""

from __future__ import annotations

import pytest

from provisioner.kinds.serving_endpoints import default_entity_name
from provisioner.kinds.serving_rollout import rollout_of

LIVE = {"name": "chat",
        "served_entities": [{"name": "a", "entity_name": "m.s.a", "entity_version": "1",
                             "state": {"deployment": "DEPLOYMENT_READY"}, "creator": "me"},
                            {"name": "b", "entity_name": "m.s.b", "entity_version": "3"}],
        "traffic_config": {"routes": [
            {"served_entity_name": "a", "served_model_name": "a", "traffic_percentage": 70},
            {"served_entity_name": "b", "served_model_name": "b", "traffic_percentage": 30}]}}
DESIRED = {"name": "chat", "rollout": {"steps": [25, 100]},
           "served_entities": [{"entity_name": "m.s.a", "entity_version": "2"}]}


def routes(config: dict) -> dict[str, int]:
    return {r["served_entity_name"]: r["traffic_percentage"]
            for r in config["traffic_config"]["routes"]}


@pytest.mark.parametrize(("percentage", "expected"), [
    (25, {"a": 53, "b": 22, "a-2": 25}), (1, {"a": 69, "b": 30, "a-2": 1}),
    (99, {"a": 1, "b": 0, "a-2": 99})])
def test_a_step_scales_the_previous_routes_to_make_room(percentage, expected):
    steps = rollout_of(DESIRED, LIVE, None, default_entity_name)
    config = steps.config_at(percentage)
    assert routes(config) == expected and sum(expected.values()) == 100
    assert [e["name"] for e in config["served_entities"]] == ["a", "b", "a-2"]
    assert "state" not in config["served_entities"][0]  # what GET adds is never sent back


def test_the_rollback_is_the_previous_config_and_a_record_resumes_from_it():
    steps = rollout_of(DESIRED, LIVE, None, default_entity_name)
    assert routes(steps.previous_config()) == {"a": 70, "b": 30}
    mixed = {**LIVE, "served_entities": [*LIVE["served_entities"],
                                         {"name": "a-2", "entity_name": "m.s.a"}]}
    resumed = rollout_of(DESIRED, mixed, steps.record(25), default_entity_name)
    assert resumed.name == "a-2" and routes(resumed.previous_config()) == {"a": 70, "b": 30}


def test_nothing_to_roll_out_without_a_rollout_or_a_single_new_entity():
    assert rollout_of({**DESIRED, "rollout": None}, LIVE, None, default_entity_name) is None
    both = {**DESIRED, "served_entities": [{"entity_name": "m.s.c", "entity_version": "1"},
                                           {"entity_name": "m.s.d", "entity_version": "1"}]}
    assert rollout_of(both, LIVE, None, default_entity_name) is None
