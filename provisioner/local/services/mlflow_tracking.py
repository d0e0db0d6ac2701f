"""MLflow tracking (`/api/2.0/mlflow/...`, `/api/3.0/mlflow/...`): experiments, runs, metrics,
params, tags, traces, served by MLflow's own tracking server handlers over a SQLite store in
the workspace folder (`<dir>/mlflow/tracking.db`), and run and trace artifacts through the
Files API paths MLflow's Databricks artifact repository writes to.

MLflow is imported on the first such request only: the emulator starts without the `models`
extra and answers these routes with a clear 501 then. What Databricks does and MLflow's
server does not is done here, around MLflow's handlers: experiment names are absolute
workspace paths whose folder exists (`/Workspace` stripped), Databricks' own experiment tags
are added, a deleted experiment frees its name, artifacts live under
`dbfs:/databricks/mlflow-tracking/<experiment>/<run>/artifacts` (the real service's layout,
which makes MLflow's client use the Files API at
`/WorkspaceInternal/Mlflow/Artifacts/<experiment>/Runs/<run>/...`).
"""

from __future__ import annotations

import json
import posixpath
import threading
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlencode

from provisioner.local.protocol import ApiError, Context, Request, Response, Routes
from provisioner.local.services import workspace_files
from provisioner.local.services.common import PERMISSIONS, permissions_key

routes = Routes()

EXPERIMENTS = "mlflow_experiment"
"""Experiments as the workspace knows them (id -> name), for permissions and `local status`;
MLflow's store holds everything else."""
ARTIFACT_ROOT = "dbfs:/databricks/mlflow-tracking"
FILES_ROOT = "WorkspaceInternal/Mlflow/Artifacts"
INSTALL_HINT = ("MLflow tracking in the local workspace needs the models extra: "
                "pip install 'provisioner[models]'")
_DIRECTORY_MIME = "application/octet-stream"


class _TrackingServer:
    """MLflow's Flask handlers for the `MlflowService` routes, over one folder's store."""

    def __init__(self, directory: Path):
        try:
            from flask import Flask
            from mlflow.protos.service_pb2 import MlflowService
            from mlflow.server import handlers
        except ImportError:
            raise ApiError(501, "NOT_IMPLEMENTED", INSTALL_HINT) from None
        folder = directory / "mlflow"
        folder.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{(folder / 'tracking.db').resolve()}"
        self.store = handlers._tracking_store_registry.get_store(uri, ARTIFACT_ROOT)
        self.handlers = handlers
        self._without_default_experiment()
        self.app = Flask("provisioner-local-mlflow")
        for path, view, methods in handlers.get_service_endpoints(MlflowService,
                                                                  handlers.get_handler):
            self.app.add_url_rule(path, f"{methods[0]} {path}", view, methods=methods)

    def _without_default_experiment(self) -> None:
        """MLflow's store makes experiment 0, "Default"; a Databricks workspace has none (every
        experiment is a workspace path), so it is put in the trash."""
        default = self.store.get_experiment(self.store.DEFAULT_EXPERIMENT_ID)
        if default.lifecycle_stage == "active":
            self.store.delete_experiment(default.experiment_id)
            self.move_to_trash(default.experiment_id)

    def move_to_trash(self, experiment_id: str) -> None:
        from mlflow.store.tracking.dbmodels.models import SqlExperiment

        with _MLFLOW_GLOBALS, self.store.ManagedSessionMaker(read_only=False) as session:
            experiment = session.get(SqlExperiment, int(experiment_id))
            experiment.name = f"{experiment.name} (deleted {experiment_id})"

    def call(self, req: Request, body: bytes | None = None) -> Response:
        """One request through MLflow's handlers; errors keep MLflow's (Databricks') envelope,
        and what MLflow answers as an HTML page (no such route, a body it cannot parse) gets
        that envelope too."""
        if body is None and req.method in ("POST", "PATCH"):
            req.json()  # a body that is not a JSON object is MALFORMED_REQUEST, as elsewhere
        with _MLFLOW_GLOBALS:  # the handlers read one module-level store
            self.handlers._tracking_store = self.store
            answer = self.app.test_client().open(
                req.path, method=req.method, query_string=urlencode(
                    [(k, v) for k, vs in req.query.items() for v in vs]),
                data=req.body if body is None else body,
                content_type=req.content_type or "application/json")
        if answer.status_code in (404, 405) and not answer.is_json:  # no such MLflow route
            raise ApiError(404, "ENDPOINT_NOT_FOUND",
                           f"No API found for '{req.method} {req.path}'")
        if answer.status_code >= 400 and not answer.is_json:
            raise ApiError(400, "MALFORMED_REQUEST", "Could not parse request object.")
        return Response(raw=answer.get_data(), status=answer.status_code,
                        content_type=answer.content_type or "application/json")


_MLFLOW_GLOBALS = threading.Lock()
_SERVERS: dict[Path, _TrackingServer] = {}
_SERVERS_LOCK = threading.Lock()


def _server(ctx: Context) -> _TrackingServer:
    key = ctx.directory.resolve()
    with _SERVERS_LOCK:
        if key not in _SERVERS:
            _SERVERS[key] = _TrackingServer(key)
        return _SERVERS[key]


def _forward(ctx: Context, req: Request) -> Response:
    return _server(ctx).call(req)


@routes.post("/api/2.0/mlflow/experiments/create")
def create_experiment(ctx: Context, req: Request) -> Response:
    body = req.json()
    name = _workspace_path(ctx, body.get("name"))
    owner = [{"key": "mlflow.ownerEmail", "value": ctx.settings.user},
             {"key": "mlflow.experimentType", "value": "MLFLOW_EXPERIMENT"},
             {"key": "mlflow.experiment.sourceName", "value": name}]
    body = {**body, "name": name, "tags": [*(body.get("tags") or []), *owner]}
    answer = _server(ctx).call(req, json.dumps(body).encode())
    if answer.status == 200:
        experiment_id = json.loads(answer.raw)["experiment_id"]
        with ctx.store.write() as tx:
            tx.put(EXPERIMENTS, experiment_id, {"id": experiment_id, "name": name},
                   ref=experiment_id)
    return answer


@routes.post("/api/2.0/mlflow/experiments/update")
def rename_experiment(ctx: Context, req: Request) -> Response:
    body = req.json()
    if body.get("new_name"):
        body["new_name"] = _workspace_path(ctx, body["new_name"])
    server = _server(ctx)
    answer = server.call(req, json.dumps(body).encode())
    if answer.status == 200 and body.get("new_name"):
        experiment_id = str(body.get("experiment_id"))
        with ctx.store.write() as tx:
            tx.put(EXPERIMENTS, experiment_id, {"id": experiment_id, "name": body["new_name"]},
                   ref=experiment_id)
        server.call(_json_request("/api/2.0/mlflow/experiments/set-experiment-tag", {
            "experiment_id": experiment_id, "key": "mlflow.experiment.sourceName",
            "value": body["new_name"]}))
    return answer


@routes.post("/api/2.0/mlflow/experiments/delete")
def delete_experiment(ctx: Context, req: Request) -> Response:
    """Deleted experiments go to the workspace's trash, which frees their path at once;
    MLflow would keep the name taken, so the deleted experiment is renamed (its id is never
    reused, as it would be if it were removed from the store)."""
    server = _server(ctx)
    answer = server.call(req)
    if answer.status == 200:
        experiment_id = str(req.json().get("experiment_id"))
        server.move_to_trash(experiment_id)
        with ctx.store.write() as tx:
            tx.delete(EXPERIMENTS, experiment_id)
            tx.delete(PERMISSIONS, permissions_key("experiments", experiment_id))
    return answer


@routes.post("/api/2.0/mlflow/experiments/search")
def search_experiments(ctx: Context, req: Request) -> Response:
    """Databricks answers up to 1,000 experiments a page when `max_results` is left out (the
    SDK leaves it out); MLflow's server would refuse the missing value as 0."""
    body = req.json()
    body.setdefault("max_results", 1000)
    return _server(ctx).call(req, json.dumps(body).encode())


def _json_request(path: str, body: dict[str, Any]) -> Request:
    return Request("POST", path, {}, {}, "application/json", json.dumps(body).encode())


def _workspace_path(ctx: Context, name: Any) -> str:
    """Databricks experiment names are workspace paths whose folder exists."""
    if not isinstance(name, str) or not name.strip():
        raise ApiError.invalid("Missing required field: name")
    path = name.removeprefix("/Workspace") if name.startswith("/Workspace/") else name
    if not path.startswith("/") or path.endswith("/") or "//" in path:
        raise ApiError.invalid(f"Got an invalid experiment name '{name}': experiment names must "
                               "be absolute paths in the workspace, e.g. /Users/<you>/<name>.")
    parent = posixpath.dirname(path)
    with ctx.store.read() as tx:
        folder = tx.get(workspace_files.KIND, parent)
    if folder is None or folder.get("object_type") != "DIRECTORY":
        raise ApiError.not_found(f"Parent directory {parent} does not exist.")
    return path


def _add_mlflow_routes() -> None:
    """Every other tracking path goes to MLflow's handlers (after the routes above)."""
    for version in ("2.0", "3.0"):
        for method in ("GET", "POST", "PATCH", "DELETE"):
            routes.add(method, f"/api/{version}/mlflow/{{path...}}")(_forward)


_add_mlflow_routes()


# Run and trace artifacts: the Files API under /WorkspaceInternal/Mlflow/Artifacts, which is
# where MLflow's DatabricksRunArtifactRepository puts `dbfs:/databricks/mlflow-tracking/...`.

def _artifact_file(ctx: Context, path: str) -> Path:
    parts = PurePosixPath(path).parts
    if not parts or any(p in ("..", ".") for p in parts):
        raise ApiError.invalid(f"Invalid path /{FILES_ROOT}/{path}.")
    return ctx.directory / "mlflow" / "artifacts" / Path(*parts)


@routes.put(f"/api/2.0/fs/files/{FILES_ROOT}/{{path...}}")
def upload_artifact(ctx: Context, req: Request) -> dict:
    target = _artifact_file(ctx, req.params["path"])
    if target.exists() and req.arg("overwrite", "false") != "true":
        raise ApiError.already_exists(f"The file /{FILES_ROOT}/{req.params['path']} already "
                                      "exists.")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(req.body)
    return {}


@routes.get(f"/api/2.0/fs/files/{FILES_ROOT}/{{path...}}")
def download_artifact(ctx: Context, req: Request) -> Response:
    target = _artifact_file(ctx, req.params["path"])
    if not target.is_file():
        raise ApiError(404, "NOT_FOUND", f"The file /{FILES_ROOT}/{req.params['path']} does "
                                         "not exist.")
    return Response(raw=target.read_bytes(), content_type=_DIRECTORY_MIME,
                    headers={"last-modified": _http_date(target)})


@routes.add("HEAD", f"/api/2.0/fs/directories/{FILES_ROOT}/{{path...}}")
def directory_metadata(ctx: Context, req: Request) -> Response:
    if not _artifact_file(ctx, req.params["path"]).is_dir():
        raise ApiError(404, "NOT_FOUND", f"The directory /{FILES_ROOT}/{req.params['path']} "
                                         "does not exist.")
    return Response(raw=b"")


@routes.get(f"/api/2.0/fs/directories/{FILES_ROOT}/{{path...}}")
def list_directory(ctx: Context, req: Request) -> dict:
    folder = _artifact_file(ctx, req.params["path"])
    if not folder.is_dir():
        raise ApiError(404, "NOT_FOUND", f"The directory /{FILES_ROOT}/{req.params['path']} "
                                         "does not exist.")
    base = f"/{FILES_ROOT}/{req.params['path'].rstrip('/')}"
    return {"contents": [
        {"path": f"{base}/{child.name}", "name": child.name, "is_directory": child.is_dir(),
         **({} if child.is_dir() else {"file_size": child.stat().st_size,
                                        "last_modified": int(child.stat().st_mtime * 1000)})}
        for child in sorted(folder.iterdir())]}


def _http_date(path: Path) -> str:
    from email.utils import formatdate

    return formatdate(path.stat().st_mtime, usegmt=True)
