"""SQL warehouses through the SDK's `WarehousesAPI`: services/sql_warehouses.py.

Sources: databricks-sdk 0.156 `service/sql.py` (GetWarehouseResponse docstrings: defaults,
ranges, states), terraform-provider-databricks `sql/resource_sql_endpoint.go` (defaults
auto_stop_mins 120, enable_photon, COST_OPTIMIZED, CHANNEL_NAME_CURRENT), databricks/cli
`libs/testserver/sql_warehouses.go` (edit changes only the fields sent; min_num_clusters 1,
CLASSIC by default).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceAlreadyExists
from databricks.sdk.service import sql

from provisioner.local import LocalWorkspace


def test_create_fills_the_services_defaults(w: WorkspaceClient) -> None:
    created = w.warehouses.create_and_wait(name="bi", cluster_size="2X-Small")
    assert created.state == sql.State.RUNNING
    assert (created.auto_stop_mins, created.min_num_clusters, created.max_num_clusters) == \
        (120, 1, 1)
    assert created.enable_photon is True and created.enable_serverless_compute is False
    assert created.warehouse_type == sql.GetWarehouseResponseWarehouseType.CLASSIC
    assert created.spot_instance_policy == sql.SpotInstancePolicy.COST_OPTIMIZED
    assert created.channel.name == sql.ChannelName.CHANNEL_NAME_CURRENT
    assert created.creator_name == "local-user@localhost"


def test_connection_details_point_at_this_workspace(workspace: LocalWorkspace,
                                                    w: WorkspaceClient) -> None:
    """odbc_params and jdbc_url: what SQL connectors are given (http path /sql/1.0/...)."""
    wh = w.warehouses.create_and_wait(name="bi", cluster_size="Small")
    port = int(workspace.url.rsplit(":", 1)[1])
    assert wh.odbc_params.as_dict() == {"hostname": "127.0.0.1", "port": port,
                                        "protocol": "http",
                                        "path": f"/sql/1.0/warehouses/{wh.id}"}
    assert f"httpPath=/sql/1.0/warehouses/{wh.id};" in wh.jdbc_url


def test_starting_then_running(workspace: LocalWorkspace, w: WorkspaceClient) -> None:
    workspace.configure(sql_warehouse_start_seconds=0.3)
    wait = w.warehouses.create(name="bi", cluster_size="Small")
    assert w.warehouses.get(wait.id).state == sql.State.STARTING
    assert wait.result(timeout=timedelta(seconds=10)).state == sql.State.RUNNING


def test_serverless_is_pro(w: WorkspaceClient) -> None:
    wh = w.warehouses.create_and_wait(name="sls", cluster_size="Small",
                                      enable_serverless_compute=True, auto_stop_mins=5)
    assert wh.warehouse_type == sql.GetWarehouseResponseWarehouseType.PRO
    with pytest.raises(InvalidParameterValue, match="requires warehouse_type PRO"):
        w.warehouses.create(name="x", cluster_size="Small", enable_serverless_compute=True,
                            warehouse_type=sql.CreateWarehouseRequestWarehouseType.CLASSIC)


@pytest.mark.parametrize(("fields", "message"), [
    ({}, "Missing required field: cluster_size"),
    ({"cluster_size": "Huge"}, "Invalid cluster_size"),
    ({"cluster_size": "Small", "auto_stop_mins": 5}, "auto_stop_mins must be 0 or >= 10"),
    ({"cluster_size": "Small", "min_num_clusters": 3, "max_num_clusters": 2},
     "max_num_clusters must be >= min_num_clusters"),
    ({"cluster_size": "Small", "max_num_clusters": 41}, "Invalid max_num_clusters"),
])
def test_refuses_what_the_api_documents_as_invalid(w: WorkspaceClient, fields, message):
    with pytest.raises(InvalidParameterValue, match=message):
        w.api_client.do("POST", "/api/2.0/sql/warehouses", body={"name": "bad", **fields})


def test_names_are_unique(w: WorkspaceClient) -> None:
    w.warehouses.create_and_wait(name="bi", cluster_size="Small")
    with pytest.raises(ResourceAlreadyExists):
        w.warehouses.create(name="bi", cluster_size="Small")


def test_edit_changes_only_the_fields_sent(w: WorkspaceClient) -> None:
    wh = w.warehouses.create_and_wait(
        name="bi", cluster_size="Small", auto_stop_mins=30,
        tags=sql.EndpointTags(custom_tags=[sql.EndpointTagPair(key="team", value="a")]))
    edited = w.warehouses.edit_and_wait(wh.id, cluster_size="Medium")
    assert (edited.cluster_size, edited.auto_stop_mins) == ("Medium", 30)
    assert edited.tags.custom_tags[0].value == "a"


def test_stop_and_start(w: WorkspaceClient) -> None:
    wh = w.warehouses.create_and_wait(name="bi", cluster_size="Small")
    assert w.warehouses.stop_and_wait(wh.id).state == sql.State.STOPPED
    edited = w.warehouses.edit(wh.id, cluster_size="Large")  # a stopped warehouse stays so
    assert w.warehouses.get(edited.id).state == sql.State.STOPPED
    assert w.warehouses.start_and_wait(wh.id).state == sql.State.RUNNING


def test_list_and_delete(w: WorkspaceClient) -> None:
    ids = [w.warehouses.create_and_wait(name=n, cluster_size="Small").id for n in ("b", "a")]
    assert [e.name for e in w.warehouses.list()] == ["a", "b"]
    w.warehouses.delete(ids[0])
    with pytest.raises(NotFound):
        w.warehouses.get(ids[0])
    assert [e.name for e in w.warehouses.list()] == ["a"]


def test_permissions(w: WorkspaceClient) -> None:
    wh = w.warehouses.create_and_wait(name="bi", cluster_size="Small")
    w.warehouses.set_permissions(wh.id, access_control_list=[sql.WarehouseAccessControlRequest(
        group_name="users", permission_level=sql.WarehousePermissionLevel.CAN_USE)])
    acl = w.warehouses.get_permissions(wh.id).access_control_list
    assert [(a.group_name, a.all_permissions[0].permission_level.value) for a in acl] == \
        [("users", "CAN_USE")]
    w.warehouses.delete(wh.id)
    with pytest.raises(NotFound):
        w.warehouses.get_permissions(wh.id)
