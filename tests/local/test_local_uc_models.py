"""The Unity Catalog model registry of the local workspace, driven by stock MLflow (registry
`databricks-uc`, environment auth) and by databricks-sdk, as against a real workspace.

References: unity-catalog-models.md §1 (the calls `register_model` makes, the Files API upload
path), §2 (the catalog API's shapes), mlflow-models.md §2 (search results carry no tags).
"""

from __future__ import annotations

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import BadRequest, NotFound, PermissionDenied
from databricks.sdk.service.catalog import PermissionsChange, Privilege

pytestmark = pytest.mark.models
NAME = "main.default.echo"


@pytest.fixture
def mlflow_uc(workspace, monkeypatch, tmp_path):
    """Stock MLflow pointed at the local workspace the way a user would point it at theirs."""
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("DATABRICKS_HOST", workspace.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", "x")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)  # any local tracking store stays out of the repository
    previous = mlflow.get_registry_uri()
    mlflow.set_registry_uri("databricks-uc")
    yield mlflow
    mlflow.set_registry_uri(previous)


def saved_model(mlflow, folder) -> str:
    """A pyfunc model with the signature Unity Catalog requires, saved locally."""
    from mlflow.models import infer_signature

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    path = str(folder / "echo")
    mlflow.pyfunc.save_model(path, python_model=Echo(), pip_requirements=[],
                             signature=infer_signature(["hi"], ["hi"]))
    return path


def test_mlflow_registers_a_version_and_its_files_through_the_files_api(
        mlflow_uc, workspace, w: WorkspaceClient, tmp_path):
    version = mlflow_uc.register_model(saved_model(mlflow_uc, tmp_path), NAME)
    assert (version.name, str(version.version), version.status) == (NAME, "1", "READY")
    client = mlflow_uc.MlflowClient()
    client.set_registered_model_alias(NAME, "champion", "1")
    client.set_model_version_tag(NAME, "1", "team", "search")
    assert client.get_model_version_by_alias(NAME, "champion").version == "1"
    assert client.get_model_version(NAME, "1").tags == {"team": "search"}
    assert [v.version for v in client.search_model_versions(f"name='{NAME}'")] == ["1"]
    found = w.api_client.do("GET", "/api/2.0/mlflow/unity-catalog/model-versions/search",
                            query={"filter": f"name='{NAME}'"})["model_versions"]
    assert "tags" not in found[0] and "aliases" not in found[0]  # as in Unity Catalog
    uploaded = w.files.download("/Models/main/default/echo/1/MLmodel").contents.read()
    assert b"python_function" in uploaded
    paths = [r["path"] for r in workspace.request_log()]
    assert "/api/2.0/mlflow/unity-catalog/model-versions/finalize" in paths


def test_the_sdk_reads_the_same_registry(mlflow_uc, w: WorkspaceClient, tmp_path):
    mlflow_uc.register_model(saved_model(mlflow_uc, tmp_path), NAME)
    w.registered_models.set_alias(NAME, "champion", 1)
    model = w.registered_models.get(NAME, include_aliases=True)
    assert (model.full_name, model.owner) == (NAME, "local-user@localhost")
    assert [(a.alias_name, a.version_num) for a in model.aliases] == [("champion", 1)]
    versions = list(w.model_versions.list(NAME))
    assert [(v.version, v.status.value) for v in versions] == [(1, "READY")]
    assert w.model_versions.get_by_alias(NAME, "champion").version == 1
    w.grants.update("FUNCTION", NAME, changes=[
        PermissionsChange(principal="serving-sp", add=[Privilege.EXECUTE])])
    granted = w.grants.get("FUNCTION", NAME).privilege_assignments
    assert [(g.principal, g.privileges) for g in granted] == [("serving-sp", [Privilege.EXECUTE])]
    w.registered_models.update(NAME, owner="ml-admins")
    assert w.registered_models.get(NAME).owner == "ml-admins"
    w.registered_models.delete(NAME)  # with its versions, as Unity Catalog does
    with pytest.raises(NotFound):
        w.model_versions.get(NAME, 1)


def test_what_unity_catalog_refuses(w: WorkspaceClient):
    uc = "/api/2.0/mlflow/unity-catalog"
    with pytest.raises(BadRequest, match="all three levels"):
        w.api_client.do("POST", f"{uc}/registered-models/create", body={"name": "default.m"})
    w.api_client.do("POST", f"{uc}/registered-models/create", body={"name": NAME.upper()})
    assert w.registered_models.get(NAME).full_name == NAME  # stored lower case
    created = w.api_client.do("POST", f"{uc}/model-versions/create",
                              body={"name": NAME, "source": "/tmp/m"})["model_version"]
    assert created["status"] == "PENDING_REGISTRATION"
    w.api_client.do("POST", f"{uc}/model-versions/finalize", body={"name": NAME, "version": "1"})
    with pytest.raises(BadRequest):  # finalized once
        w.api_client.do("POST", f"{uc}/model-versions/finalize",
                        body={"name": NAME, "version": "1"})
    with pytest.raises(PermissionDenied):  # a READY version's files are immutable
        w.api_client.do("PUT", "/api/2.0/fs/files/Models/main/default/echo/1/MLmodel",
                        query={"overwrite": "true"}, data=b"x")
    with pytest.raises(BadRequest, match="one filter"):
        w.api_client.do("GET", f"{uc}/model-versions/search", query={"filter": "tags.a='b'"})
