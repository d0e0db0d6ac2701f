"""Targets: where a stack is applied (workspace, state backend) and what they override.

The target named `local` always exists and is the embedded local workspace. Any other target
without `workspace:` uses databricks-sdk unified auth from the environment.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from provisioner.specs.base import Spec

LOCAL = "local"
STATE_WORKSPACE_PREFIX = "workspace:"
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}"
"""Stack and target names: they name state files, locks and folders, so no separators."""
_NAME_RE = re.compile(NAME_PATTERN)
_UNSAFE_PATH_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")


def bad_name(name: str) -> str | None:
    """Why `name` cannot name a stack or target, or None."""
    if _NAME_RE.fullmatch(name):
        return None
    return ("may hold only letters, digits, '_' and '-' (starting with a letter or digit, "
            "at most 63 characters)")


class WorkspaceDecl(Spec):
    """databricks-sdk unified auth; every field optional (unset = environment / default)."""

    profile: str | None = Field(None, description="Profile in ~/.databrickscfg.")
    host: str | None = Field(None, description="Workspace URL.")
    auth_type: str | None = Field(None, description="Force an SDK auth type, e.g. pat, oauth-m2m.")


class TargetDecl(Spec):
    default: bool = Field(False, description="Use this target when none is named.")
    workspace: WorkspaceDecl | None = Field(
        None, description="Where to apply; unset means the embedded local workspace for "
        "`local` and environment auth for any other target.")
    state: str = Field("local", description="`local` (beside the stack) or `workspace:/path`.")
    variables: dict[str, Any] = Field(default_factory=dict,
                                      description="Variable values for this target.")
    resources: dict[str, dict[str, dict[str, Any]]] = Field(
        default_factory=dict, description="Resource fields merged over the base resources.")

    @field_validator("state")
    @classmethod
    def _state_backend(cls, value: str) -> str:
        if value == "local":
            return value
        path = value.removeprefix(STATE_WORKSPACE_PREFIX)
        if not value.startswith(STATE_WORKSPACE_PREFIX) or not path.startswith("/"):
            raise ValueError("state must be `local` or `workspace:/absolute/path`")
        segments = path.split("/")[1:]
        if (_UNSAFE_PATH_CHARS.search(path) or not all(segments)
                or any(s in (".", "..") for s in segments)):
            raise ValueError("a state path may not hold empty, '.' or '..' segments, "
                             "backslashes or control characters")
        return value


def merge(base: Any, override: Any) -> Any:
    """Deep-merge mappings; any other value (lists included) is replaced, as in Asset Bundles."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    return override
