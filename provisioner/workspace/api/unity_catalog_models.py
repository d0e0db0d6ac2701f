"""Unity Catalog's model registry over REST, one function per call (unity-catalog-models.md §2).

Reads use the MLflow Unity Catalog routes (`/api/2.0/mlflow/unity-catalog/*`) where only they
carry what we compare (model and version tags), and the catalog API (`/api/2.1/unity-catalog`)
for what only it has (owner, grants: securable type FUNCTION). Both go through the SDK's API
client, so every target's own auth applies and no MLflow import is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from provisioner.errors import ApiError
from provisioner.workspace.errors import is_not_found
from provisioner.workspace.rest import call

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

MLFLOW_UC = "/api/2.0/mlflow/unity-catalog"
MODELS = "/api/2.1/unity-catalog/models"
GRANTS = "/api/2.1/unity-catalog/permissions/FUNCTION"
SEARCH_PAGE = 1000


def _path(name: str) -> str:
    return quote(name, safe="")


def get_model(client: WorkspaceClient, name: str) -> dict[str, Any] | None:
    """`{name, description, tags[], aliases[]}`, or None when there is no such model."""
    try:
        found = call(client, "GET", f"{MLFLOW_UC}/registered-models/get", query={"name": name})
    except ApiError as exc:
        if is_not_found(exc):
            return None
        raise
    return found.get("registered_model") or {}


def model_info(client: WorkspaceClient, name: str) -> dict[str, Any]:
    """The catalog's view of the model: `owner`, `comment`, `storage_location`."""
    return call(client, "GET", f"{MODELS}/{_path(name)}")


def version_numbers(client: WorkspaceClient, name: str) -> list[str]:
    """Every version of `name` (search results carry no tags: read them with `get_version`)."""
    numbers, token = [], None
    while True:
        query = {"filter": f"name='{name}'", "max_results": SEARCH_PAGE}
        if token:
            query["page_token"] = token
        page = call(client, "GET", f"{MLFLOW_UC}/model-versions/search", query=query)
        numbers += [str(v["version"]) for v in page.get("model_versions", [])]
        token = page.get("next_page_token")
        if not token:
            return sorted(numbers, key=int)


def get_version(client: WorkspaceClient, name: str, version: str) -> dict[str, Any] | None:
    """`{version, status, tags[], aliases[]}`, or None when it is gone."""
    try:
        found = call(client, "GET", f"{MLFLOW_UC}/model-versions/get",
                     query={"name": name, "version": version})
    except ApiError as exc:
        if is_not_found(exc):
            return None
        raise
    return found.get("model_version") or {}


def create_model(client: WorkspaceClient, name: str, description: str | None) -> None:
    body: dict[str, Any] = {"name": name}
    if description:
        body["description"] = description
    call(client, "POST", f"{MLFLOW_UC}/registered-models/create", body=body)


def set_description(client: WorkspaceClient, name: str, description: str) -> None:
    call(client, "PATCH", f"{MLFLOW_UC}/registered-models/update",
         body={"name": name, "description": description})


def set_owner(client: WorkspaceClient, name: str, owner: str) -> None:
    call(client, "PATCH", f"{MODELS}/{_path(name)}", body={"owner": owner})


def set_tag(client: WorkspaceClient, name: str, key: str, value: str) -> None:
    call(client, "POST", f"{MLFLOW_UC}/registered-models/set-tag",
         body={"name": name, "key": key, "value": value})


def delete_tag(client: WorkspaceClient, name: str, key: str) -> None:
    call(client, "DELETE", f"{MLFLOW_UC}/registered-models/delete-tag",
         body={"name": name, "key": key})


def set_alias(client: WorkspaceClient, name: str, alias: str, version: str) -> None:
    call(client, "POST", f"{MLFLOW_UC}/registered-models/alias",
         body={"name": name, "alias": alias, "version": version})


def delete_alias(client: WorkspaceClient, name: str, alias: str) -> None:
    call(client, "DELETE", f"{MLFLOW_UC}/registered-models/alias",
         body={"name": name, "alias": alias})


def delete_version(client: WorkspaceClient, name: str, version: str) -> None:
    call(client, "DELETE", f"{MLFLOW_UC}/model-versions/delete",
         body={"name": name, "version": version})


def delete_model(client: WorkspaceClient, name: str) -> None:
    call(client, "DELETE", f"{MLFLOW_UC}/registered-models/delete", body={"name": name})


def get_grants(client: WorkspaceClient, name: str) -> list[dict[str, Any]]:
    """`[{principal, privileges[]}]` granted on the model itself."""
    found = call(client, "GET", f"{GRANTS}/{_path(name)}")
    return found.get("privilege_assignments", [])


def update_grants(client: WorkspaceClient, name: str, changes: list[dict[str, Any]]) -> None:
    """`changes`: `[{principal, add[], remove[]}]`, the PATCH the grants API takes."""
    call(client, "PATCH", f"{GRANTS}/{_path(name)}", body={"changes": changes})
