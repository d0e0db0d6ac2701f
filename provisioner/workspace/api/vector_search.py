"""Vector search REST calls (reference: vector-search.md §1–2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provisioner.workspace.rest import call, get_or_none

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

ENDPOINTS = "/api/2.0/vector-search/endpoints"
INDEXES = "/api/2.0/vector-search/indexes"


def get_endpoint(client: WorkspaceClient, name: str) -> dict[str, Any] | None:
    return get_or_none(client, f"{ENDPOINTS}/{name}")


def create_endpoint(client: WorkspaceClient, body: dict[str, Any]) -> dict[str, Any]:
    return call(client, "POST", ENDPOINTS, body=body)


def delete_endpoint(client: WorkspaceClient, name: str) -> None:
    call(client, "DELETE", f"{ENDPOINTS}/{name}")


def patch_endpoint(client: WorkspaceClient, name: str, target_qps: int | None
                   ) -> dict[str, Any]:
    return call(client, "PATCH", f"{ENDPOINTS}/{name}", body={"target_qps": target_qps})


def update_budget_policy(client: WorkspaceClient, name: str, policy_id: str | None) -> None:
    call(client, "PATCH", f"{ENDPOINTS}/{name}/budget-policy",
         body={"budget_policy_id": policy_id})


def update_tags(client: WorkspaceClient, name: str, tags: list[dict[str, Any]]) -> None:
    call(client, "PATCH", f"{ENDPOINTS}/{name}/tags", body={"custom_tags": tags})


def list_endpoints(client: WorkspaceClient) -> list[dict[str, Any]]:
    """Every vector search endpoint, following pages."""
    return _pages(client, ENDPOINTS, "endpoints", {})


def list_indexes(client: WorkspaceClient, endpoint: str) -> list[dict[str, Any]]:
    """Every index of an endpoint, following pages."""
    return _pages(client, INDEXES, "vector_indexes", {"endpoint_name": endpoint})


def _pages(client: WorkspaceClient, path: str, items: str, query: dict[str, Any]
           ) -> list[dict[str, Any]]:
    """A list API's items across pages (`next_page_token` is "" or absent on the last)."""
    found: list[dict[str, Any]] = []
    token = None
    while True:
        paging = {"page_token": token} if token else {}
        page = call(client, "GET", path, query={**query, **paging})
        found += page.get(items, [])
        token = page.get("next_page_token")
        if not token:
            return found


def get_index(client: WorkspaceClient, name: str) -> dict[str, Any] | None:
    return get_or_none(client, f"{INDEXES}/{name}")


def create_index(client: WorkspaceClient, body: dict[str, Any]) -> dict[str, Any]:
    return call(client, "POST", INDEXES, body=body)


def delete_index(client: WorkspaceClient, name: str) -> None:
    call(client, "DELETE", f"{INDEXES}/{name}")


def get_permissions(client: WorkspaceClient, endpoint_id: str) -> dict[str, Any]:
    return call(client, "GET", f"/api/2.0/permissions/vector-search-endpoints/{endpoint_id}")


def set_permissions(client: WorkspaceClient, endpoint_id: str,
                    access_control_list: list[dict[str, Any]]) -> dict[str, Any]:
    return call(client, "PUT", f"/api/2.0/permissions/vector-search-endpoints/{endpoint_id}",
                body={"access_control_list": access_control_list})
