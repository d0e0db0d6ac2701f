"""MLflow tracking against the local workspace as a Databricks client uses it: tracking URI
`databricks`, only DATABRICKS_HOST and DATABRICKS_TOKEN set (services/mlflow_tracking.py).

Sources: MLflow 3.17's `DatabricksTracingRestStore` and `DatabricksRunArtifactRepository`
(run and trace artifacts through the Files API under /WorkspaceInternal/Mlflow/Artifacts),
databricks/cli `libs/testserver/experiments.go` (the service's own experiment tags, artifact
location `dbfs:/databricks/mlflow-tracking/<id>`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceAlreadyExists

from provisioner.local import LocalWorkspace

mlflow = pytest.importorskip("mlflow", reason="needs the provisioner[models] extra")

USER_HOME = "/Users/local-user@localhost"


@pytest.fixture
def w(workspace: LocalWorkspace, connect) -> WorkspaceClient:
    """The first tracking call imports MLflow and creates its tables: seconds, not ten."""
    return connect(workspace.url, http_timeout_seconds=120, retry_timeout_seconds=120)


@pytest.fixture
def tracking(workspace: LocalWorkspace, monkeypatch) -> LocalWorkspace:
    monkeypatch.setenv("DATABRICKS_HOST", workspace.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", "any")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "databricks")
    mlflow.set_tracking_uri("databricks")
    yield workspace
    mlflow.set_tracking_uri(None)


def test_runs_metrics_params_tags_and_artifacts(tracking: LocalWorkspace, tmp_path: Path):
    experiment = mlflow.set_experiment(f"{USER_HOME}/demo")
    assert experiment.artifact_location == \
        f"dbfs:/databricks/mlflow-tracking/{experiment.experiment_id}"
    assert experiment.tags["mlflow.ownerEmail"] == "local-user@localhost"
    (tmp_path / "notes.txt").write_text("hello")
    with mlflow.start_run() as run:
        mlflow.log_metric("accuracy", 0.9, step=1)
        mlflow.log_param("k", "4")
        mlflow.set_tag("stage", "dev")
        mlflow.log_artifact(str(tmp_path / "notes.txt"))
    client = mlflow.MlflowClient()
    data = client.get_run(run.info.run_id).data
    assert (data.metrics, data.params, data.tags["stage"]) == ({"accuracy": 0.9}, {"k": "4"},
                                                               "dev")
    assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["notes.txt"]
    downloaded = client.download_artifacts(run.info.run_id, "notes.txt", str(tmp_path / "d"))
    assert Path(downloaded).read_text() == "hello"
    uploads = [r["path"] for r in tracking.request_log() if r["method"] == "PUT"]
    assert uploads == [f"/api/2.0/fs/files/WorkspaceInternal/Mlflow/Artifacts/"
                       f"{experiment.experiment_id}/Runs/{run.info.run_id}/artifacts/notes.txt"]


def test_traces_are_logged_and_read_back(tracking: LocalWorkspace):
    experiment = mlflow.set_experiment(f"{USER_HOME}/traced")

    @mlflow.trace
    def answer(question: str) -> str:
        return question.upper()

    answer("why?")
    mlflow.flush_trace_async_logging()
    traces = mlflow.search_traces(locations=[experiment.experiment_id], return_type="list")
    assert [span.name for span in traces[0].data.spans] == ["answer"]
    assert traces[0].data.spans[0].outputs == "WHY?"


@pytest.mark.parametrize(("name", "error", "message"), [
    ("demo", InvalidParameterValue, "must be absolute paths"),
    ("/Users/nobody@example.com/demo", NotFound, "Parent directory /Users/nobody"),
])
def test_names_are_workspace_paths_in_existing_folders(w: WorkspaceClient, name, error,
                                                       message):
    with pytest.raises(error, match=message):
        w.experiments.create_experiment(name)


def test_workspace_prefix_is_stripped_and_names_are_unique(w: WorkspaceClient):
    created = w.experiments.create_experiment(f"/Workspace{USER_HOME}/x")
    assert w.experiments.get_experiment(created.experiment_id).experiment.name == \
        f"{USER_HOME}/x"
    with pytest.raises(ResourceAlreadyExists):
        w.experiments.create_experiment(f"{USER_HOME}/x")


def test_a_deleted_experiment_frees_its_name(w: WorkspaceClient):
    first = w.experiments.create_experiment("/Shared/again").experiment_id
    w.experiments.delete_experiment(first)
    second = w.experiments.create_experiment("/Shared/again").experiment_id
    assert second != first
    with pytest.raises(NotFound):
        w.experiments.get_permissions(first)


def test_experiment_permissions(w: WorkspaceClient):
    from databricks.sdk.service import ml

    experiment_id = w.experiments.create_experiment("/Shared/acl").experiment_id
    w.experiments.set_permissions(experiment_id, access_control_list=[
        ml.ExperimentAccessControlRequest(group_name="users",
                                          permission_level=ml.ExperimentPermissionLevel.CAN_READ)])
    acl = w.experiments.get_permissions(experiment_id).access_control_list
    assert [(a.group_name, a.all_permissions[0].permission_level.value) for a in acl] == \
        [("users", "CAN_READ")]


def test_without_mlflow_the_routes_answer_an_install_hint(tmp_path: Path):
    """MLflow is optional: the emulator starts without it and says what to install."""
    probe = f"""
import sys
sys.modules["mlflow"] = None  # as if the models extra were not installed
from pathlib import Path
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from provisioner.local import LocalWorkspace
with LocalWorkspace(Path({str(tmp_path)!r})) as ws:
    w = WorkspaceClient(config=Config(host=ws.url, token="x", retry_timeout_seconds=5))
    try:
        w.experiments.get_by_name("/Shared/x")
    except Exception as e:
        print(type(e).__name__, e)
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "pip install 'provisioner[models]'" in result.stdout


def test_search_lists_the_workspaces_experiments_only(w: WorkspaceClient):
    """The SDK leaves max_results out (Databricks then answers up to 1,000); MLflow's own
    "Default" experiment is not a workspace path, and a workspace has none."""
    w.experiments.create_experiment("/Shared/listed")
    assert [e.name for e in w.experiments.search_experiments()] == ["/Shared/listed"]
