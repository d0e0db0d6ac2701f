"""Workspace files through the SDK: services/workspace_files.py and the multipart reader in
protocol.py (reference: secrets-workspace.md §2).
"""

from __future__ import annotations

import base64

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import (
    BadRequest,
    DatabricksError,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
)
from databricks.sdk.service.workspace import ExportFormat, ImportFormat, Language, ObjectType

STATE = "/Shared/.provisioner/rag/state.json"


def test_upload_and_download_round_trip_exact_bytes(w: WorkspaceClient) -> None:
    """secrets-workspace.md §2 and §3 (state backend): mkdirs, then multipart
    `upload(format=AUTO, overwrite=True)`; `download()` (direct_download) gives the bytes back."""
    payload = b'{"serial": 1}\r\n\x00\xff--boundary-like\r\n\r\n'
    w.workspace.mkdirs("/Shared/.provisioner/rag")
    w.workspace.upload(STATE, payload, format=ImportFormat.AUTO, overwrite=True)
    assert w.workspace.download(STATE).read() == payload
    w.workspace.upload(STATE, b"v2", format=ImportFormat.AUTO, overwrite=True)
    assert w.workspace.download(STATE).read() == b"v2"
    info = w.workspace.get_status(STATE)
    assert (info.object_type, info.path, info.size) == (ObjectType.FILE, STATE, 2)
    assert info.object_id and info.resource_id == str(info.object_id)
    assert info.created_at <= info.modified_at


def test_create_if_absent_is_a_lock(w: WorkspaceClient) -> None:
    """secrets-workspace.md §2.2 and §3 (lock): overwrite=false on an existing file is
    RESOURCE_ALREADY_EXISTS; a missing parent folder is 404; delete releases the lock."""
    lock = "/Shared/state.lock"
    w.workspace.upload(lock, b"owner-1", format=ImportFormat.AUTO)
    with pytest.raises(ResourceAlreadyExists):
        w.workspace.upload(lock, b"owner-2", format=ImportFormat.AUTO)
    assert w.workspace.download(lock).read() == b"owner-1"
    w.workspace.delete(lock)
    w.workspace.upload(lock, b"owner-2", format=ImportFormat.AUTO)
    with pytest.raises(ResourceDoesNotExist, match="parent folder"):
        w.workspace.upload("/Shared/missing/state.lock", b"x", format=ImportFormat.AUTO)


def test_json_import_and_export(w: WorkspaceClient) -> None:
    """secrets-workspace.md §2: JSON import with base64 content; export answers
    {content, file_type}; `/Workspace/...` names the same object, echoed as asked."""
    content = base64.b64encode(b"hello").decode()
    w.workspace.import_("/Shared/a.txt", content=content, format=ImportFormat.AUTO)
    exported = w.workspace.export("/Workspace/Shared/a.txt", format=ExportFormat.SOURCE)
    assert base64.b64decode(exported.content) == b"hello"
    assert w.workspace.get_status("/Workspace/Shared/a.txt").path == "/Workspace/Shared/a.txt"
    assert w.workspace.get_status("/Shared/a.txt").path == "/Shared/a.txt"
    with pytest.raises(ResourceDoesNotExist, match=r"Path \(/Shared/b.txt\) doesn't exist"):
        w.workspace.export("/Shared/b.txt")


def test_auto_format_makes_notebooks_of_notebook_sources(w: WorkspaceClient) -> None:
    """secrets-workspace.md §2.1: under AUTO a `.py` starting with the notebook header becomes a
    NOTEBOOK without its extension; any other file stays a FILE."""
    w.workspace.upload("/Shared/nb.py", b"# Databricks notebook source\nprint(1)\n",
                       format=ImportFormat.AUTO)
    w.workspace.upload("/Shared/plain.py", b"print(1)\n", format=ImportFormat.AUTO)
    notebook = w.workspace.get_status("/Shared/nb")
    assert (notebook.object_type, notebook.language) == (ObjectType.NOTEBOOK, Language.PYTHON)
    assert notebook.size is None
    assert w.workspace.get_status("/Shared/plain.py").object_type == ObjectType.FILE
    with pytest.raises(ResourceDoesNotExist):
        w.workspace.get_status("/Shared/nb.py")


def test_upload_without_format_needs_a_language(w: WorkspaceClient) -> None:
    """secrets-workspace.md §2.1-§2.2: the API default is SOURCE, which needs a language for a
    single file: 400 INVALID_PARAMETER_VALUE, which `upload()` rewrites into its hint."""
    with pytest.raises(DatabricksError, match="Perhaps you forgot to specify the `format="):
        w.workspace.upload("/Shared/state.json", b"{}")


def test_folders_list_and_delete(w: WorkspaceClient) -> None:
    """secrets-workspace.md §2.2: mkdirs is an idempotent mkdir -p (a file on the way is an
    error); list answers {objects} (`{}` when empty); a non-empty folder needs recursive."""
    w.workspace.mkdirs("/Shared/a/b")
    w.workspace.mkdirs("/Shared/a/b")
    assert w.api_client.do("GET", "/api/2.0/workspace/list", query={"path": "/Shared/a/b"}) == {}
    w.workspace.upload("/Shared/a/b/f.json", b"{}", format=ImportFormat.AUTO)
    with pytest.raises(ResourceAlreadyExists):
        w.workspace.mkdirs("/Shared/a/b/f.json/c")
    assert [o.path for o in w.workspace.list("/Shared/a")] == ["/Shared/a/b"]
    assert [o.path for o in w.workspace.list("/Shared/a", recursive=True)] == [
        "/Shared/a/b/f.json"]
    with pytest.raises(DatabricksError) as not_empty:
        w.workspace.delete("/Shared/a")
    assert not_empty.value.error_code == "DIRECTORY_NOT_EMPTY"
    w.workspace.delete("/Shared/a", recursive=True)
    with pytest.raises(ResourceDoesNotExist):
        w.workspace.get_status("/Shared/a/b/f.json")
    assert w.workspace.get_status("/Shared").object_type == ObjectType.DIRECTORY


def test_files_over_10_mb_are_refused(w: WorkspaceClient) -> None:
    """secrets-workspace.md §2.2: content over 10 MB is 400 MAX_NOTEBOOK_SIZE_EXCEEDED."""
    with pytest.raises(BadRequest) as too_big:
        w.workspace.upload("/Shared/big.bin", b"x" * (10 * 1024 * 1024 + 1),
                           format=ImportFormat.AUTO)
    assert too_big.value.error_code == "MAX_NOTEBOOK_SIZE_EXCEEDED"
