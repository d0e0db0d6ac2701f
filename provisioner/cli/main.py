"""`provisioner` entry point: the command group, and errors turned into exit codes."""

from __future__ import annotations

import os
import sys

import click

from provisioner import __version__
from provisioner.cli.output import err
from provisioner.cli.stack_commands import graph, schema, validate

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="provisioner")
def cli() -> None:
    """Declarative, GitOps-first provisioner for the Databricks AI stack."""


cli.add_command(validate)
cli.add_command(graph)
cli.add_command(schema)


def _add_local() -> None:
    from provisioner.cli.local import local

    cli.add_command(local)


_add_local()


def main() -> None:
    """Run the CLI; user errors print diagnostics and exit 1, never a traceback."""
    from provisioner.errors import ProvisionerError, UserError

    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except click.exceptions.Abort:
        err("Aborted.")
        sys.exit(EXIT_ERROR)
    except UserError as exc:
        from provisioner.render.diagnostics import text

        err(text(exc.diagnostics))
        sys.exit(EXIT_ERROR)
    except ProvisionerError as exc:
        err(f"error: {exc}")
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        err("Interrupted.")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("PROVISIONER_DEBUG"):
            raise
        err(f"internal error: {type(exc).__name__}: {exc}\n"
            "  hint: this is a bug in provisioner; rerun with PROVISIONER_DEBUG=1 and report it")
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK)
