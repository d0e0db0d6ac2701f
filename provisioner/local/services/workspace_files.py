"""Workspace objects: import, export, get-status, mkdirs, list, delete (secrets-workspace.md §2).

Enough of the Workspace API for remote state and lock files: files and source notebooks.
`/Workspace/x` and `/x` name the same object; answers echo the spelling asked for.
Archive formats (DBC, HTML, JUPYTER, R_MARKDOWN) are not emulated.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from typing import Any

from provisioner.local.protocol import ApiError, Context, Request, Response, Routes
from provisioner.local.services.common import numeric_id, one_of, require
from provisioner.local.store import Tx

routes = Routes()

KIND = "workspace_object"
BASE = "/api/2.0/workspace"
MAX_BYTES = 10 * 1024 * 1024
_FORMATS = ("AUTO", "SOURCE", "RAW")
# What makes a source file a notebook under AUTO: its extension and first line.
_NOTEBOOKS = {".py": ("PYTHON", "# Databricks notebook source"),
              ".sql": ("SQL", "-- Databricks notebook source"),
              ".scala": ("SCALA", "// Databricks notebook source"),
              ".r": ("R", "# Databricks notebook source")}
_EXTENSIONS = {language: ext[1:] for ext, (language, _) in _NOTEBOOKS.items()}
_ROOT = {"path": "/", "object_type": "DIRECTORY", "object_id": 0, "resource_id": "0"}


def seed(tx: Tx, user: str) -> None:
    """The folders every workspace has."""
    for path in ("/Shared", "/Users", f"/Users/{user}"):
        _put_directory(tx, path)


@routes.post(BASE + "/import")
def import_(ctx: Context, req: Request) -> dict:
    """JSON with base64 `content`, or multipart/form-data as the SDK's `upload()` sends."""
    if req.content_type.startswith("multipart/form-data"):
        form = req.form()
        content = form.pop("content", b"")
        fields: dict[str, Any] = {k: v.decode() for k, v in form.items()}
        overwrite = fields.get("overwrite", "false").lower() == "true"
    else:
        fields = req.json()
        content = _decode(fields.get("content", ""))
        overwrite = fields.get("overwrite") is True
    requested = require(fields, "path")
    object_type, path, language = _classify(_canonical(requested), fields, content)
    if len(content) > MAX_BYTES:
        raise ApiError(400, "MAX_NOTEBOOK_SIZE_EXCEEDED",
                       f"File size imported is ({len(content)} bytes), exceeded max size "
                       f"({MAX_BYTES} bytes)")
    with ctx.store.write() as tx:
        parent = posixpath.dirname(path)
        if not _is_directory(tx, parent):
            raise ApiError.not_found(f"The parent folder ({parent}) does not exist.")
        existing = _find(tx, path)
        if existing and (existing["object_type"] == "DIRECTORY" or not overwrite):
            # 409 for files, 400 for notebooks and folders (secrets-workspace.md §2.2).
            status = 409 if existing["object_type"] == "FILE" else 400
            raise ApiError.already_exists(f"{requested} already exists.", status=status)
        record = {"path": path, "object_type": object_type,
                  "object_id": existing["object_id"] if existing else numeric_id(),
                  "created_at": existing["created_at"] if existing else ctx.ms,
                  "modified_at": ctx.ms, "size": len(content)}
        record["resource_id"] = str(record["object_id"])
        if language:
            record["language"] = language
        tx.put(KIND, path, record, ref=parent, data=content)
    return {}


@routes.get(BASE + "/export")
def export(ctx: Context, req: Request) -> Response | dict:
    """`direct_download=true` answers the raw bytes, as `w.workspace.download()` expects."""
    requested = req.arg("path", "")
    one_of(req.arg("format", "SOURCE"), "format", _FORMATS)
    path = _canonical(requested)
    with ctx.store.read() as tx:
        record = _get(tx, path, requested)
        content = tx.data(KIND, path) or b""
    if record["object_type"] == "DIRECTORY":
        raise ApiError.invalid("Exporting a folder is not supported by the local workspace.")
    if req.arg("direct_download", "false").lower() == "true":
        return Response(raw=content, content_type="application/octet-stream")
    file_type = _EXTENSIONS.get(record.get("language", ""), posixpath.splitext(path)[1][1:])
    return {"content": base64.b64encode(content).decode(), "file_type": file_type}


@routes.get(BASE + "/get-status")
def get_status(ctx: Context, req: Request) -> dict:
    requested = req.arg("path", "")
    with ctx.store.read() as tx:
        return _info(_get(tx, _canonical(requested), requested), requested)


@routes.post(BASE + "/mkdirs")
def mkdirs(ctx: Context, req: Request) -> dict:
    """`mkdir -p`: existing folders are fine, a file on the way is not."""
    path = _canonical(require(req.json(), "path"))
    with ctx.store.write() as tx:
        for ancestor in _lineage(path):
            existing = tx.get(KIND, ancestor)
            if existing is None:
                _put_directory(tx, ancestor)
            elif existing["object_type"] != "DIRECTORY":
                raise ApiError.already_exists(
                    f"Cannot create directory {path}: {ancestor} is a {existing['object_type']}.",
                    status=400,
                )
    return {}


@routes.get(BASE + "/list")
def list_(ctx: Context, req: Request) -> dict:
    requested = req.arg("path", "")
    path = _canonical(requested)
    with ctx.store.read() as tx:
        record = _get(tx, path, requested)
        children = tx.list(KIND, ref=path) if record["object_type"] == "DIRECTORY" else [record]
    return {"objects": [_info(c, requested) for c in children]} if children else {}


@routes.post(BASE + "/delete")
def delete(ctx: Context, req: Request) -> dict:
    body = req.json()
    requested = require(body, "path")
    path = _canonical(requested)
    if path == "/":
        raise ApiError.invalid("The workspace root cannot be deleted.")
    with ctx.store.write() as tx:
        _get(tx, path, requested)
        below = path + "/"
        if tx.count(KIND, prefix=below) and body.get("recursive") is not True:
            raise ApiError(400, "DIRECTORY_NOT_EMPTY", f"Folder ({requested}) is not empty.")
        tx.delete_all(KIND, prefix=below)
        tx.delete(KIND, path)
    return {}


def _classify(path: str, fields: dict[str, Any], content: bytes) -> tuple[str, str, str | None]:
    """(object type, stored path, notebook language) for an import (secrets-workspace.md §2.1)."""
    import_format = one_of(fields.get("format") or "SOURCE", "format", _FORMATS)
    if import_format == "RAW":
        return "FILE", path, None
    if import_format == "SOURCE":
        language = one_of(fields.get("language"), "language", tuple(_EXTENSIONS))
        return "NOTEBOOK", path, language
    stem, extension = posixpath.splitext(path)
    language, header = _NOTEBOOKS.get(extension.lower(), (None, None))
    if header and content.lstrip().startswith(header.encode()):
        return "NOTEBOOK", stem, language  # a notebook loses its extension
    return "FILE", path, None


def _canonical(path: Any) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ApiError.invalid(f"Path ({path}) must be absolute.")
    path = posixpath.normpath(re.sub("/+", "/", path))
    return (path.removeprefix("/Workspace") or "/") if _mounted(path) else path


def _mounted(path: str) -> bool:
    return path == "/Workspace" or path.startswith("/Workspace/")


def _spelled(path: str, requested: str) -> str:
    """`path` in the spelling of the request: with the `/Workspace` prefix if it had one."""
    if not _mounted(re.sub("/+", "/", requested)):
        return path
    return "/Workspace" if path == "/" else "/Workspace" + path


def _find(tx: Tx, path: str) -> dict[str, Any] | None:
    return _ROOT if path == "/" else tx.get(KIND, path)


def _get(tx: Tx, path: str, requested: str) -> dict[str, Any]:
    if (record := _find(tx, path)) is None:
        raise ApiError.not_found(f"Path ({requested}) doesn't exist.")
    return record


def _info(record: dict[str, Any], requested: str) -> dict[str, Any]:
    """`ObjectInfo`: times and size for files only, language for notebooks only."""
    file_only = ("created_at", "modified_at", "size")
    out = {k: v for k, v in record.items() if record["object_type"] == "FILE" or k not in file_only}
    out["path"] = _spelled(record["path"], requested)
    return out


def _is_directory(tx: Tx, path: str) -> bool:
    record = _find(tx, path)
    return record is not None and record["object_type"] == "DIRECTORY"


def _lineage(path: str) -> list[str]:
    """`/a/b/c` → `/a`, `/a/b`, `/a/b/c`."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def _put_directory(tx: Tx, path: str) -> None:
    object_id = numeric_id()
    tx.put(KIND, path, {"path": path, "object_type": "DIRECTORY", "object_id": object_id,
                        "resource_id": str(object_id)}, ref=posixpath.dirname(path))


def _decode(content: Any) -> bytes:
    try:
        return base64.b64decode(content or "", validate=True)
    except (binascii.Error, TypeError) as e:
        raise ApiError.invalid("content must be base64-encoded.") from e
