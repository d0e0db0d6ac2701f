"""Who the workspace says we are: `GET /api/2.0/preview/scim/v2/Me` (SDK `current_user.me`)."""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING

from provisioner.workspace.rest import call

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

_KNOWN: weakref.WeakKeyDictionary[WorkspaceClient, str] = weakref.WeakKeyDictionary()
"""One answer per client: the principal a client authenticates as never changes."""
_ASKING = threading.Lock()
"""Held while asking: the reads of a plan ask at once, and one call answers them all."""


def user_name(client: WorkspaceClient) -> str:
    """The caller's `userName`: an email for a user, the application id for a service
    principal (as the Databricks CLI's `iamutil.IsServicePrincipalName` tells them apart)."""
    with _ASKING:
        if client not in _KNOWN:
            _KNOWN[client] = call(client, "GET", "/api/2.0/preview/scim/v2/Me")["userName"]
        return _KNOWN[client]
