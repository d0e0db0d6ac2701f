"""Log one model version with MLflow into a target's Unity Catalog, with the target's own auth.

MLflow resolves credentials from a registry URI (`databricks-uc://<profile>`, else the
environment) and uploads files with a `WorkspaceClient()` of its own: neither knows a target
whose host and token come from the stack, nor keeps two targets of one process apart. So the
model is saved to a temporary folder (`save_model`: no tracking server, no run) and handed to
MLflow's `UcModelRegistryStore` built here, whose credentials come from the SDK `Config` the
session already has (PAT, OAuth, profile alike: `Config.authenticate()` gives the header) and
whose Files API uploads go through the session's own SDK client. The calls it makes are those
of unity-catalog-models.md §1 steps 6–10: create the version (PENDING_REGISTRATION, tagged
with its content), upload its files, finalize it (READY). Importing this module imports MLflow.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.errors import ApiError
from provisioner.workspace.registry import missing_extra

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from provisioner.workspace.registry import LogRequest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # it would report to the workspace
try:
    import mlflow.langchain
    from mlflow.entities.model_registry import ModelVersionTag
    from mlflow.exceptions import MlflowException
    from mlflow.models import Model, ModelSignature
    from mlflow.store._unity_catalog.registry.rest_store import UcModelRegistryStore
    from mlflow.store.artifact.cloud_artifact_repo import CloudArtifactRepository
    from mlflow.store.artifact.databricks_sdk_models_artifact_repo import (
        DatabricksSDKModelsArtifactRepository,
    )
    from mlflow.utils._unity_catalog_utils import (
        is_databricks_sdk_models_artifact_repository_enabled,
    )
    from mlflow.utils.rest_utils import MlflowHostCreds
except ImportError:
    raise missing_extra() from None


def log(client: WorkspaceClient, request: LogRequest, *, tags: dict[str, str]) -> str:
    """Save, register and upload one version; returns its number."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="provisioner-model-") as folder:
        path = Path(folder) / "model"
        try:
            mlflow.langchain.save_model(
                lc_model=str(request.code), path=str(path),
                mlflow_model=Model(resources=[]),  # no dependency detection over the network
                signature=(ModelSignature.from_dict(request.signature)
                           if request.signature else None),
                input_example=request.input_example,
                model_config=str(request.config[0]) if request.config else None,
                code_paths=[str(p) for p in request.config[1:]] or None,
                pip_requirements=(list(request.requirements)
                                  if request.requirements is not None else None))
            created = TargetStore(client).create_model_version(
                request.name, source=str(path), local_model_path=str(path),
                tags=[ModelVersionTag(k, v) for k, v in tags.items()])
        except MlflowException as exc:
            raise ApiError(f"registry: {exc.message}", code=exc.error_code) from None
    return str(created.version)


class TargetStore(UcModelRegistryStore):
    """MLflow's Unity Catalog store, speaking to the session's workspace with its auth."""

    def __init__(self, client: WorkspaceClient):
        super().__init__(store_uri="databricks-uc", tracking_uri="databricks-uc")
        self._client = client
        self.get_host_creds = self._credentials

    def _credentials(self) -> MlflowHostCreds:
        """Fresh on every call, as the SDK's own requests are (an OAuth token may renew)."""
        config = self._client.config
        scheme, _, credential = config.authenticate().get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return MlflowHostCreds(config.host, token=credential)
        if scheme.lower() == "basic":
            return MlflowHostCreds(config.host, username=config.username,
                                   password=config.password)
        raise ApiError(f"cannot log a model version with auth type {config.auth_type!r}: "
                       "it gives no bearer token or basic credentials")

    def _get_workspace_id(self, headers: Any) -> None:
        """No run is logged, so there is no source workspace to name (MLflow would warn)."""
        return None

    def _get_artifact_repo(self, model_version: Any, model_name: str | None = None,
                           storage_location: str | None = None) -> Any:
        name = model_name or model_version.name
        if is_databricks_sdk_models_artifact_repository_enabled(self.get_host_creds()):
            return FilesApiRepository(self._client, name, model_version.version)
        return super()._get_artifact_repo(model_version, model_name, storage_location)


class FilesApiRepository(DatabricksSDKModelsArtifactRepository):
    """MLflow's Files API repository (`/Models/c/s/m/v`) on the session's SDK client instead
    of a `WorkspaceClient()` built from the environment."""

    def __init__(self, client: WorkspaceClient, model_name: str, version: str):
        self.model_name, self.model_version = model_name, version
        self.model_base_path = f"/Models/{model_name.replace('.', '/')}/{version}"
        self.client = client
        CloudArtifactRepository.__init__(self, self.model_base_path)
