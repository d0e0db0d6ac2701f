"""Which referenced secrets exist: what preflight asks the workspace about secrets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provisioner.addresses import SecretReference
from provisioner.errors import ApiError
from provisioner.workspace.api import secrets
from provisioner.workspace.errors import is_not_found

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def missing_secrets(client: WorkspaceClient, wanted: list[SecretReference]
                    ) -> list[SecretReference]:
    """List each used scope's keys once; never read a secret's value. A scope that does not
    exist answers RESOURCE_DOES_NOT_EXIST (SDK 0.156 `SecretsAPI.list_secrets`), so the
    scopes are not listed first: one round trip per scope, not two in a row."""
    keys: dict[str, set[str]] = {}
    for scope in sorted({s.scope for s in wanted}):
        try:
            keys[scope] = set(secrets.list_keys(client, scope))
        except ApiError as exc:
            if not is_not_found(exc):
                raise
            keys[scope] = set()
    return [s for s in wanted if s.key not in keys[s.scope]]


def create_placeholders(client: WorkspaceClient, missing: list[SecretReference]) -> None:
    for scope in sorted({s.scope for s in missing}):
        if scope not in secrets.list_scopes(client):
            secrets.create_scope(client, scope)
    for secret in missing:
        secrets.put(client, secret.scope, secret.key, f"placeholder-for-{secret.key}")
