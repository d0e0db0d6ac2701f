"""A model version's files through the Files API: `/api/2.0/fs/files/Models/c/s/m/v/<path>`.

MLflow's `DatabricksSDKModelsArtifactRepository` uploads with `w.files.upload(...,
overwrite=True)` — one `PUT` per file below 50 MiB — and downloads with `GET`
(unity-catalog-models.md §1). Files are written under the workspace folder
(`model_registry.files_of`), only while the version is PENDING_REGISTRATION: a READY version
is immutable.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from provisioner.local.model_registry import PENDING, files_of, get_version
from provisioner.local.protocol import ApiError, Context, Request, Response, Routes

routes = Routes()

BASE = "/api/2.0/fs/files/Models/{path...}"


@routes.put(BASE)
def upload(ctx: Context, req: Request) -> dict:
    name, version, relative = _split(req.params["path"])
    with ctx.store.read() as tx:
        record = get_version(tx, name, version)
    if record["status"] != PENDING:
        raise ApiError(403, "PERMISSION_DENIED", f"Model version {name}/{version} is "
                       f"{record['status']}: its files can no longer be written.")
    target = files_of(ctx.directory, record["full_name"], record["version"]) / relative
    if target.exists() and req.arg("overwrite", "false") != "true":
        raise ApiError.already_exists(f"The file /Models/{req.params['path']} already exists.")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(req.body)
    return {}


@routes.get(BASE)
def download(ctx: Context, req: Request) -> Response:
    name, version, relative = _split(req.params["path"])
    with ctx.store.read() as tx:
        record = get_version(tx, name, version)
    target = files_of(ctx.directory, record["full_name"], record["version"]) / relative
    if not target.is_file():
        raise ApiError(404, "NOT_FOUND", f"The file /Models/{req.params['path']} does not exist.")
    return Response(raw=target.read_bytes(), content_type="application/octet-stream")


def _split(path: str) -> tuple[str, str, PurePosixPath]:
    """`c/s/m/v/rel/path` as (c.s.m, v, rel/path); nothing may climb out of the version."""
    parts = path.split("/")
    relative = PurePosixPath(*parts[4:]) if len(parts) > 4 else None
    if relative is None or any(p in ("", ".", "..") for p in parts):
        raise ApiError.invalid(f"Invalid path /Models/{path}: expected "
                               "/Models/<catalog>/<schema>/<model>/<version>/<file>.")
    return ".".join(parts[:3]), parts[3], relative
