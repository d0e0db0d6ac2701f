"""SQL warehouse REST calls (databricks-sdk `WarehousesAPI`; paths under /api/2.0/sql)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provisioner.workspace.rest import call, get_or_none

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

WAREHOUSES = "/api/2.0/sql/warehouses"
PERMISSIONS = "/api/2.0/permissions/warehouses"


def list_warehouses(client: WorkspaceClient) -> list[dict[str, Any]]:
    """Every warehouse, following pages (`next_page_token` is absent or "" on the last)."""
    found: list[dict[str, Any]] = []
    query: dict[str, Any] = {}
    while True:
        page = call(client, "GET", WAREHOUSES, query=query)
        found += page.get("warehouses", [])
        token = page.get("next_page_token")
        if not token:
            return found
        query = {"page_token": token}


def get_warehouse(client: WorkspaceClient, warehouse_id: str) -> dict[str, Any] | None:
    return get_or_none(client, f"{WAREHOUSES}/{warehouse_id}")


def create_warehouse(client: WorkspaceClient, body: dict[str, Any]) -> dict[str, Any]:
    return call(client, "POST", WAREHOUSES, body=body)


def edit_warehouse(client: WorkspaceClient, warehouse_id: str, body: dict[str, Any]) -> None:
    call(client, "POST", f"{WAREHOUSES}/{warehouse_id}/edit", body=body)


def delete_warehouse(client: WorkspaceClient, warehouse_id: str) -> None:
    call(client, "DELETE", f"{WAREHOUSES}/{warehouse_id}")


def get_permissions(client: WorkspaceClient, warehouse_id: str) -> dict[str, Any]:
    return call(client, "GET", f"{PERMISSIONS}/{warehouse_id}")


def set_permissions(client: WorkspaceClient, warehouse_id: str,
                    access_control_list: list[dict[str, Any]]) -> dict[str, Any]:
    return call(client, "PUT", f"{PERMISSIONS}/{warehouse_id}",
                body={"access_control_list": access_control_list})
