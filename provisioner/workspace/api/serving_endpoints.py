"""Serving endpoints REST calls (reference: serving-endpoints.md §1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provisioner.workspace.rest import call, get_or_none

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

BASE = "/api/2.0/serving-endpoints"


def get(client: WorkspaceClient, name: str) -> dict[str, Any] | None:
    return get_or_none(client, f"{BASE}/{name}")


def create(client: WorkspaceClient, body: dict[str, Any]) -> dict[str, Any]:
    return call(client, "POST", BASE, body=body)


def update_config(client: WorkspaceClient, name: str, config: dict[str, Any]) -> dict[str, Any]:
    return call(client, "PUT", f"{BASE}/{name}/config", body=config)


def patch_tags(client: WorkspaceClient, name: str, add: list[dict[str, str]],
               delete: list[str]) -> dict[str, Any]:
    body = {k: v for k, v in (("add_tags", add), ("delete_tags", delete)) if v}
    return call(client, "PATCH", f"{BASE}/{name}/tags", body=body)


def put_ai_gateway(client: WorkspaceClient, name: str, gateway: dict[str, Any]
                   ) -> dict[str, Any]:
    return call(client, "PUT", f"{BASE}/{name}/ai-gateway", body=gateway)


def patch_notifications(client: WorkspaceClient, name: str, notifications: dict[str, Any]
                        ) -> dict[str, Any]:
    return call(client, "PATCH", f"{BASE}/{name}/notifications",
                body={"email_notifications": notifications})


def patch_telemetry_config(client: WorkspaceClient, name: str,
                           telemetry: dict[str, Any] | None) -> dict[str, Any]:
    """Sets the telemetry config; none removes it (SDK `patch_telemetry_config`)."""
    body = {"telemetry_config": telemetry} if telemetry else {}
    return call(client, "PATCH", f"{BASE}/{name}/telemetry-config", body=body)


def put_rate_limits(client: WorkspaceClient, name: str, limits: list[dict[str, Any]]
                    ) -> dict[str, Any]:
    """The deprecated top-level rate limits (SDK `put`; AI gateway rate limits replace them)."""
    return call(client, "PUT", f"{BASE}/{name}/rate-limits", body={"rate_limits": limits})


def delete(client: WorkspaceClient, name: str) -> None:
    call(client, "DELETE", f"{BASE}/{name}")


def get_permissions(client: WorkspaceClient, endpoint_id: str) -> dict[str, Any]:
    return call(client, "GET", f"/api/2.0/permissions/serving-endpoints/{endpoint_id}")


def set_permissions(client: WorkspaceClient, endpoint_id: str,
                    access_control_list: list[dict[str, Any]]) -> dict[str, Any]:
    return call(client, "PUT", f"/api/2.0/permissions/serving-endpoints/{endpoint_id}",
                body={"access_control_list": access_control_list})


def list_all(client: WorkspaceClient) -> list[dict[str, Any]]:
    """Summaries of every endpoint (the API does not paginate)."""
    return call(client, "GET", BASE).get("endpoints", [])


def export_metrics(client: WorkspaceClient, name: str) -> str:
    """The endpoint's health metrics as Prometheus text (SDK `export_metrics`: the typed call
    is the one that asks for `text/plain` and hands back the raw body)."""
    from provisioner.workspace.errors import translate

    try:
        contents = client.serving_endpoints.export_metrics(name).contents
    except Exception as exc:  # noqa: BLE001 - every failure becomes an ApiError
        raise translate(exc) from exc
    return contents.read().decode() if contents is not None else ""
