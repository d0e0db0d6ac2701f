"""`provisioner local serve|reset|status`: the local workspace outside of `plan` and `apply`."""

from __future__ import annotations

import ipaddress
import os
import shlex
from pathlib import Path

import click

from provisioner.cli.output import err, out

_DIR_HELP = ("The local workspace folder  [default: the one plan and apply use for the stack at "
             "PATH, in its .provisioner/ or $PROVISIONER_DIR/<stack>/]")


def _workspace_folder(path: str | None, directory: Path | None) -> Path:
    """--dir, else the folder the `local` target of the stack at PATH uses. Without PATH and
    without a stack in the current folder, `.provisioner/local` here (or
    $PROVISIONER_DIR/local): a workspace that no stack has used yet."""
    from provisioner.cli.session import PROVISIONER_DIR_ENV, stack_home
    from provisioner.stack.loader import STACK_FILE, Options, load

    if directory is not None:
        return directory
    if path is None and not Path(STACK_FILE).is_file():
        return Path(os.environ.get(PROVISIONER_DIR_ENV) or ".provisioner") / "local"
    stack = load(path or ".", Options())
    return stack_home(stack.root, stack.name) / "local"


def _stack_and_directory(command: click.Command) -> click.Command:
    command = click.option("--dir", "directory",
                           type=click.Path(file_okay=False, path_type=Path),
                           help=_DIR_HELP)(command)
    return click.argument("path", required=False, type=click.Path())(command)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _database(directory: Path) -> Path | None:
    from provisioner.local.workspace import DATABASE

    path = directory / DATABASE
    return path if path.is_file() else None


@click.group()
def local() -> None:
    """The local workspace: an embedded emulator of the Databricks APIs the provisioner uses."""


@local.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; loopback unless you say otherwise.")
@click.option("--port", default=0, type=click.IntRange(0, 65535),
              help="Port to listen on  [default: any free port]")
@_stack_and_directory
@click.option("--token", help="Accept only this bearer token  [default: accept any]")
@click.option("--tls", is_flag=True,
              help="Serve HTTPS with a self-signed certificate made in DIR/tls (for clients "
                   "that speak only HTTPS, such as the SQL connector); prints its path.")
def serve(host: str, port: int, path: str | None, directory: Path | None,
          token: str | None, tls: bool) -> None:
    """Serve the local workspace of the stack at PATH until Ctrl-C, for any Databricks
    client to use."""
    from provisioner.cli.interrupts import STOP
    from provisioner.local import LocalWorkspace

    directory = _workspace_folder(path, directory)
    workspace = LocalWorkspace(directory, token=token, tls=tls)
    try:
        url = workspace.start(host, port)
    except OSError as e:
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror or e}") from e
    except RuntimeError as e:  # --tls without a way to make a certificate
        raise click.ClickException(str(e)) from e
    if token is None and not _is_loopback(host):
        err(f"warning: {url} accepts any token from anyone who can reach {host}; "
            "pass --token to require one")
    out(f"Local workspace serving {directory} at {url}")
    out(f"export DATABRICKS_HOST={shlex.quote(url)}")
    out(f"export DATABRICKS_TOKEN={shlex.quote(token or 'local')}")
    if workspace.certificate is not None:  # requests, the SDK and MLflow trust it this way
        out(f"export REQUESTS_CA_BUNDLE={shlex.quote(str(workspace.certificate.resolve()))}")
    out("Press Ctrl-C to stop.")
    try:
        workspace.serve_forever()
    except KeyboardInterrupt:
        STOP.clear()  # Ctrl-C is how serving ends, not an interrupted command: exit 0
    finally:
        workspace.stop()
    out("Stopped.")


@local.command()
@_stack_and_directory
def reset(path: str | None, directory: Path | None) -> None:
    """Delete every resource of the local workspace of the stack at PATH."""
    from provisioner.local import LocalWorkspace

    directory = _workspace_folder(path, directory)
    if _database(directory) is None:
        out(f"No local workspace in {directory}; nothing to reset.")
        return
    LocalWorkspace(directory).reset()
    out(f"Local workspace in {directory} reset.")


@local.command()
@_stack_and_directory
def status(path: str | None, directory: Path | None) -> None:
    """Show what the local workspace of the stack at PATH holds."""
    from provisioner.local import LocalWorkspace

    directory = _workspace_folder(path, directory)
    if _database(directory) is None:
        out(f"No local workspace in {directory}.")
        return
    out(f"Local workspace in {directory}:")
    for kind, names in LocalWorkspace(directory).summary().items():
        listed = f": {', '.join(names)}" if names else ""
        out(f"  {kind.replace('_', ' ')} ({len(names)}){listed}")
