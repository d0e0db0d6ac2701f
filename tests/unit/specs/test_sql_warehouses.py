"""`sql_warehouses`: the create/edit body, tags as the API nests them, the API's own limits."""

from __future__ import annotations

import pytest

from provisioner.specs.sql_warehouses import SqlWarehouseSpec

from .helpers import errors


def test_create_body_is_the_api_request():
    spec = SqlWarehouseSpec.model_validate({
        "cluster_size": "Small", "max_num_clusters": "2", "auto_stop_mins": 0,
        "tags": {"custom_tags": {"team": "bi"}}, "channel": {"name": "CHANNEL_NAME_PREVIEW"},
        "permissions": [{"group_name": "users", "level": "CAN_USE"}],
    }).with_default_name("bi")
    assert spec.create_body() == {
        "name": "bi", "cluster_size": "Small", "max_num_clusters": 2, "auto_stop_mins": 0,
        "tags": {"custom_tags": [{"key": "team", "value": "bi"}]},
        "channel": {"name": "CHANNEL_NAME_PREVIEW"}}


def test_tags_as_list_or_map_are_equal():
    as_map = SqlWarehouseSpec.model_validate(
        {"cluster_size": "Small", "tags": {"custom_tags": {"a": "1"}}})
    as_list = SqlWarehouseSpec.model_validate(
        {"cluster_size": "Small", "tags": {"custom_tags": [{"key": "a", "value": "1"}]}})
    assert as_map == as_list


@pytest.mark.parametrize(("fields", "message"), [
    ({}, "cluster_size: Field required"),
    ({"cluster_size": "Huge"}, "cluster_size: Input should be '2X-Small'"),
    ({"cluster_size": "Small", "auto_stop_mins": 5}, "auto_stop_mins must be 0 or at least 10"),
    ({"cluster_size": "Small", "min_num_clusters": 3, "max_num_clusters": 2},
     "max_num_clusters must be at least min_num_clusters"),
    ({"cluster_size": "Small", "max_num_clusters": 41}, "max_num_clusters: Input should be"),
    ({"cluster_size": "Small", "enable_serverless_compute": True, "warehouse_type": "CLASSIC"},
     "serverless compute needs warehouse_type PRO"),
    ({"cluster_size": "Small", "channel": {"dbsql_version": "2024.1"}},
     "channel.dbsql_version goes with channel.name CHANNEL_NAME_CUSTOM"),
    ({"cluster_size": "Small", "name": "x" * 100}, "name: must be 1 to 99 characters"),
    ({"cluster_size": "Small", "permissions": [{"group_name": "g", "level": "CAN_QUERY"}]},
     "permissions.0.level: Input should be"),
])
def test_refuses_what_the_api_refuses(fields, message):
    assert message in errors(SqlWarehouseSpec, fields)


def test_serverless_may_stop_sooner():
    spec = SqlWarehouseSpec(cluster_size="Small", enable_serverless_compute=True,
                            auto_stop_mins=5)
    assert spec.auto_stop_mins == 5
