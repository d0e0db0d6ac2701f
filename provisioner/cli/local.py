"""`provisioner local serve|reset|status`: the local workspace outside of `plan` and `apply`."""

from __future__ import annotations

import ipaddress
import os
import shlex
from pathlib import Path

import click

from provisioner.cli.output import err, out

_DIR_HELP = "The local workspace folder  [default: ./.provisioner/local, or $PROVISIONER_DIR/local]"


def _default_directory() -> Path:
    return Path(os.environ.get("PROVISIONER_DIR") or ".provisioner") / "local"


def _directory_option(command: click.Command) -> click.Command:
    return click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
                        help=_DIR_HELP)(command)


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
@_directory_option
@click.option("--token", help="Accept only this bearer token  [default: accept any]")
@click.option("--tls", is_flag=True,
              help="Serve HTTPS with a self-signed certificate made in DIR/tls (for clients "
                   "that speak only HTTPS, such as the SQL connector); prints its path.")
def serve(host: str, port: int, directory: Path | None, token: str | None, tls: bool) -> None:
    """Serve the local workspace until Ctrl-C, for any Databricks client to use."""
    from provisioner.local import LocalWorkspace

    directory = directory or _default_directory()
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
        pass
    finally:
        workspace.stop()
    out("Stopped.")


@local.command()
@_directory_option
def reset(directory: Path | None) -> None:
    """Delete every resource of the local workspace."""
    from provisioner.local import LocalWorkspace

    directory = directory or _default_directory()
    if _database(directory) is None:
        out(f"No local workspace in {directory}; nothing to reset.")
        return
    LocalWorkspace(directory).reset()
    out(f"Local workspace in {directory} reset.")


@local.command()
@_directory_option
def status(directory: Path | None) -> None:
    """Show what the local workspace holds."""
    from provisioner.local import LocalWorkspace

    directory = directory or _default_directory()
    if _database(directory) is None:
        out(f"No local workspace in {directory}.")
        return
    out(f"Local workspace in {directory}:")
    for kind, names in LocalWorkspace(directory).summary().items():
        listed = f": {', '.join(names)}" if names else ""
        out(f"  {kind.replace('_', ' ')} ({len(names)}){listed}")
