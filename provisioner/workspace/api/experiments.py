"""MLflow experiment REST calls (MLflow's REST API as Databricks serves it, /api/2.0/mlflow)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provisioner.workspace.rest import call, get_or_none

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

EXPERIMENTS = "/api/2.0/mlflow/experiments"
PERMISSIONS = "/api/2.0/permissions/experiments"


def get_by_name(client: WorkspaceClient, name: str) -> dict[str, Any] | None:
    found = get_or_none(client, f"{EXPERIMENTS}/get-by-name", query={"experiment_name": name})
    return found["experiment"] if found else None


def search(client: WorkspaceClient) -> list[dict[str, Any]]:
    """Every active experiment, following pages."""
    found: list[dict[str, Any]] = []
    body: dict[str, Any] = {"max_results": 1000}
    while True:
        page = call(client, "POST", f"{EXPERIMENTS}/search", body=body)
        found += page.get("experiments", [])
        if not page.get("next_page_token"):
            return found
        body = {**body, "page_token": page["next_page_token"]}


def create(client: WorkspaceClient, body: dict[str, Any]) -> str:
    return call(client, "POST", f"{EXPERIMENTS}/create", body=body)["experiment_id"]


def delete(client: WorkspaceClient, experiment_id: str) -> None:
    call(client, "POST", f"{EXPERIMENTS}/delete", body={"experiment_id": experiment_id})


def set_tag(client: WorkspaceClient, experiment_id: str, key: str, value: str) -> None:
    call(client, "POST", f"{EXPERIMENTS}/set-experiment-tag",
         body={"experiment_id": experiment_id, "key": key, "value": value})


def delete_tag(client: WorkspaceClient, experiment_id: str, key: str) -> None:
    call(client, "POST", f"{EXPERIMENTS}/delete-experiment-tag",
         body={"experiment_id": experiment_id, "key": key})


def get_permissions(client: WorkspaceClient, experiment_id: str) -> dict[str, Any]:
    return call(client, "GET", f"{PERMISSIONS}/{experiment_id}")


def set_permissions(client: WorkspaceClient, experiment_id: str,
                    access_control_list: list[dict[str, Any]]) -> dict[str, Any]:
    return call(client, "PUT", f"{PERMISSIONS}/{experiment_id}",
                body={"access_control_list": access_control_list})
