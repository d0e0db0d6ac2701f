"""Model versions a workspace knows without logging a model, for tests that serve a version but
are not about logging one."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def register_model_version(w: WorkspaceClient, name: str, version: int) -> None:
    """Register versions 1..`version` of `name` over the Unity Catalog routes MLflow calls
    (unity-catalog-models.md §1 steps 6, 8, 10: create the model, the version, finalize)."""
    from databricks.sdk.errors import ResourceAlreadyExists

    uc = "/api/2.0/mlflow/unity-catalog"
    with contextlib.suppress(ResourceAlreadyExists):
        w.api_client.do("POST", f"{uc}/registered-models/create", body={"name": name})
    found = w.api_client.do("GET", f"{uc}/model-versions/search",
                            query={"filter": f"name='{name}'"}).get("model_versions", [])
    for _ in range(version - len(found)):
        created = w.api_client.do("POST", f"{uc}/model-versions/create",
                                  body={"name": name, "source": "/tmp/model"})
        w.api_client.do("POST", f"{uc}/model-versions/finalize",
                        body={"name": name, "version": created["model_version"]["version"]})
