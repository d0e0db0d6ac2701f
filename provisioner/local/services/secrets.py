"""Secret scopes and secret keys (secrets-workspace.md §1).

Values are checked and then discarded: no API this emulator serves returns them, and a
plaintext key written to `workspace.db` would be one more place a secret could leak from.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from provisioner.local.protocol import ApiError, Context, Request, Routes
from provisioner.local.services.common import check_name, one_of, require
from provisioner.local.store import Tx

routes = Routes()

SCOPES = "secret_scope"
SECRETS = "secret"
BASE = "/api/2.0/secrets"
MAX_VALUE_BYTES = 128 * 1024
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")


@routes.post(BASE + "/scopes/create")
def create_scope(ctx: Context, req: Request) -> dict:
    body = req.json()
    scope = check_name(require(body, "scope"), "scope", _NAME)
    backend = one_of(body.get("scope_backend_type", "DATABRICKS"), "scope_backend_type",
                     ("DATABRICKS", "AZURE_KEYVAULT"))
    record: dict[str, Any] = {"name": scope, "backend_type": backend}
    if body.get("backend_azure_keyvault"):
        record["keyvault_metadata"] = body["backend_azure_keyvault"]
    with ctx.store.write() as tx:
        if tx.get(SCOPES, scope) is not None:
            raise ApiError.already_exists(f"Scope {scope} already exists!", status=400)
        tx.put(SCOPES, scope, record)
    return {}


@routes.get(BASE + "/scopes/list")
def list_scopes(ctx: Context, req: Request) -> dict:
    with ctx.store.read() as tx:
        scopes = tx.list(SCOPES)
    return {"scopes": scopes} if scopes else {}


@routes.post(BASE + "/scopes/delete")
def delete_scope(ctx: Context, req: Request) -> dict:
    scope = require(req.json(), "scope")
    with ctx.store.write() as tx:
        _scope(tx, scope)
        tx.delete(SCOPES, scope)
        tx.delete_all(SECRETS, ref=scope)
    return {}


@routes.post(BASE + "/put")
def put_secret(ctx: Context, req: Request) -> dict:
    body = req.json()
    scope, key = require(body, "scope"), check_name(require(body, "key"), "key", _NAME)
    given = [f for f in ("string_value", "bytes_value") if f in body]
    if len(given) != 1:
        raise ApiError.invalid("Set exactly one of string_value and bytes_value.")
    if _size(body, given[0]) > MAX_VALUE_BYTES:
        raise ApiError.invalid(f"A secret value is at most {MAX_VALUE_BYTES} bytes.")
    with ctx.store.write() as tx:
        _scope(tx, scope)
        tx.put(SECRETS, f"{scope}/{key}", {"key": key, "last_updated_timestamp": ctx.ms},
               ref=scope)
    return {}


@routes.get(BASE + "/list")
def list_secrets(ctx: Context, req: Request) -> dict:
    scope = req.arg("scope", "")
    with ctx.store.read() as tx:
        _scope(tx, scope)
        secrets = tx.list(SECRETS, ref=scope)
    return {"secrets": secrets} if secrets else {}


@routes.post(BASE + "/delete")
def delete_secret(ctx: Context, req: Request) -> dict:
    body = req.json()
    scope, key = require(body, "scope"), require(body, "key")
    with ctx.store.write() as tx:
        _scope(tx, scope)
        if not tx.delete(SECRETS, f"{scope}/{key}"):
            raise ApiError.not_found(f"Secret does not exist with scope: {scope} and key: {key}")
    return {}


def _scope(tx: Tx, scope: str) -> dict[str, Any]:
    record = tx.get(SCOPES, scope)
    if record is None:
        raise ApiError.not_found(f"Scope {scope} does not exist!")
    return record


def _size(body: dict[str, Any], field: str) -> int:
    if field == "string_value":
        return len(str(body[field]).encode())
    try:
        return len(base64.b64decode(body[field], validate=True))
    except (binascii.Error, TypeError) as e:
        raise ApiError.invalid("bytes_value must be base64-encoded.") from e
