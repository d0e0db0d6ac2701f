"""Opening a session on a target: the client, the state store, and — for the `local` target —
the embedded local workspace it starts and stops (`engine.session.Session` holds them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.engine.session import PlannedStack, Session
from provisioner.stack.model import Stack
from provisioner.state.store import StateStore

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

LOCAL_TOKEN = "local"
LOCAL_SETTINGS_ENV = "PROVISIONER_LOCAL_SETTINGS"
LOCK_LEASE_ENV = "PROVISIONER_LOCK_LEASE"
"""Seconds a workspace-files lock outlives its holder's last renewal (default 60)."""
"""JSON settings for the embedded local workspace (delays, faults): for tests and benchmarks."""
GITIGNORE = "# Written by provisioner: state, locks and the local workspace.\n*\n"


PROVISIONER_DIR_ENV = "PROVISIONER_DIR"


def stack_home(stack_root: Path, stack_name: str) -> Path:
    """Where the tool keeps a stack's files: `.provisioner/` beside stack.yaml, or, with
    $PROVISIONER_DIR set, its subfolder named after the stack (a name the loader allows only
    as a plain folder name), so that stacks sharing it keep their state and local workspaces
    apart."""
    shared = os.environ.get(PROVISIONER_DIR_ENV)
    return Path(shared) / stack_name if shared else stack_root / ".provisioner"


def provisioner_dir(stack: Stack | PlannedStack) -> Path:
    """The stack's folder of state and local workspace (created); it ignores itself in git.
    `.provisioner/` beside stack.yaml is refused when it, or what it holds, is a link (a stack
    folder from a pull request could point it anywhere)."""
    directory = stack_home(stack.root, stack.name)
    if not os.environ.get(PROVISIONER_DIR_ENV):
        _refuse_links(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        ignore = directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text(GITIGNORE)
    except OSError as exc:
        from provisioner.diagnostics import error
        from provisioner.errors import UserError

        raise UserError([error(f"cannot write {exc.filename or directory}: {exc.strerror}",
                               hint="make the stack's folder writable, or point "
                                    "PROVISIONER_DIR at a folder that is")]) from None
    return directory


def _refuse_links(directory: Path) -> None:
    """A stack folder comes from a pull request, links included: state and locks are never
    written through a link it put in `.provisioner/` (to a file outside, such as a shell
    profile). `.provisioner/local` may be a link: its files have fixed names, and stacks that
    share one local workspace link it. $PROVISIONER_DIR, set by the operator, is trusted."""
    from provisioner.diagnostics import error
    from provisioner.errors import UserError

    state = directory / "state"
    entries = [directory, state, directory / ".gitignore"]
    entries += list(state.iterdir()) if state.is_dir() and not state.is_symlink() else []
    linked = [p for p in entries if p.is_symlink()]
    if linked:
        raise UserError([error(f"{linked[0]} is a link: provisioner does not write state or "
                               "the local workspace through links a stack folder holds",
                               hint="remove it, or set PROVISIONER_DIR to a folder of yours")])


def open_session(stack: Stack | PlannedStack, *, parallelism: int) -> Session:
    from provisioner.workspace.client import WorkspaceAuth, connect

    directory = provisioner_dir(stack)
    local = None
    if stack.target.is_local:
        from provisioner.local import LocalWorkspace
        from provisioner.workspace.client import mark_ephemeral

        local = LocalWorkspace(directory / "local", settings=_local_settings())
        # auth_type: the environment's DATABRICKS_* credentials are another workspace's (a CI
        # runner holds a real one's), and must not join the local token.
        auth = WorkspaceAuth(host=local.start(), token=LOCAL_TOKEN, auth_type="pat")
        mark_ephemeral(auth.host)
    else:
        from provisioner.cli.options import allowed_hosts
        from provisioner.workspace import hosts

        workspace = stack.target.workspace
        hosts.check(workspace and workspace.host, workspace and workspace.profile,
                    target=stack.target.name, allowed=allowed_hosts())
        auth = WorkspaceAuth(host=workspace and workspace.host,
                             profile=workspace and workspace.profile,
                             auth_type=workspace and workspace.auth_type)
    try:
        client = connect(auth, parallelism=parallelism)
        store = StateStore(_backend(stack, directory, client), stack.name, stack.target.name)
    except BaseException:
        if local is not None:
            local.stop()
        raise
    return Session(stack, client, store, local)


def _local_settings() -> Any:
    """The embedded workspace's settings from $PROVISIONER_LOCAL_SETTINGS, if set."""
    from pydantic import ValidationError

    from provisioner.diagnostics import error
    from provisioner.errors import UserError
    from provisioner.local import Settings

    configured = os.environ.get(LOCAL_SETTINGS_ENV)
    if not configured:
        return None
    try:
        return Settings.model_validate_json(configured)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'the value'}: {e['msg']}"
            for e in exc.errors())
        raise UserError([error(f"{LOCAL_SETTINGS_ENV} is not valid: {problems}",
                               hint='a JSON object of local workspace knobs, e.g. '
                                    '{"latency_ms": 50} (see docs/local-workspace.md)')]) from None


def _backend(stack: Stack | PlannedStack, directory: Path, client: WorkspaceClient):
    from provisioner.stack.targets import STATE_WORKSPACE_PREFIX
    from provisioner.state.local import LocalBackend

    if stack.target.state.startswith(STATE_WORKSPACE_PREFIX):
        from provisioner.state.workspace_files import WorkspaceFilesBackend

        lease = os.environ.get(LOCK_LEASE_ENV)
        return WorkspaceFilesBackend(client, stack.target.state[len(STATE_WORKSPACE_PREFIX):],
                                     stack.target.name,
                                     **({"lease_seconds": _seconds(lease)} if lease else {}))
    return LocalBackend(directory / "state", stack.target.name)


def _seconds(text: str) -> float:
    from provisioner.diagnostics import error
    from provisioner.errors import UserError

    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 86400:
        raise UserError([error(f"{LOCK_LEASE_ENV} must be a number of seconds between 0 and "
                               "86400")])
    return seconds
