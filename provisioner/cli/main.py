"""`provisioner` entry point: the command group, and errors turned into exit codes."""

from __future__ import annotations

import gc
import os
import sys

import click

from provisioner import __version__
from provisioner.cli.engine_commands import apply, destroy, force_unlock, plan, show
from provisioner.cli.gitops_commands import drift, generate, import_
from provisioner.cli.init_command import init
from provisioner.cli.local import local
from provisioner.cli.output import err
from provisioner.cli.reference_docs import reference_docs
from provisioner.cli.stack_commands import graph, schema, validate
from provisioner.cli.state_commands import refresh, state

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="provisioner")
def cli() -> None:
    """Declarative, GitOps-first provisioner for the Databricks AI stack."""


for command in (init, validate, plan, show, apply, destroy, drift, refresh, import_, generate,
                state, force_unlock, graph, schema, local, reference_docs):
    cli.add_command(command)


def _show(exc: click.ClickException) -> None:
    """A command-line mistake spelled as every other error (`error:`, then a `hint:`), where
    click would print its own `Error:`."""
    from provisioner.diagnostics import error
    from provisioner.render.diagnostics import text

    hint = None
    if isinstance(exc, click.UsageError) and exc.ctx is not None:
        err(exc.ctx.get_usage())
        hint = f"`{exc.ctx.command_path} --help` lists its arguments and options"
    err(text([error(exc.format_message(), hint=hint)]))


YOUNG_GENERATION = 10_000
"""Allocations between two collections of the youngest generation (Python's default: 700). A
plan builds hundreds of thousands of JSON containers that form no cycles: at the default the
collector ran 450 times in a 1,000-resource plan, 0.3 s of its 3.3 s; at this it runs 105
times (0.1 s), and the peak RSS is the same."""


def main() -> None:
    from provisioner.cli import interrupts

    # pydantic scans every installed distribution's entry points for plugins when it builds
    # its first validator: 70-100 ms of start-up among 140 packages (CI runners hold more).
    # Nothing is meant to observe the specs, so the scan is skipped unless the user said.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    interrupts.install()
    gc.set_threshold(YOUNG_GENERATION, *gc.get_threshold()[1:])
    code = run(sys.argv[1:])
    gc.freeze()  # exit without the interpreter's last walk of every object left (0.3 s → 0.06 s)
    sys.exit(code)


def run(argv: list[str]) -> int:
    """Run one command and return its exit code; user errors print diagnostics, never a
    traceback. Tests call this in-process."""
    from provisioner.cli.interrupts import STOP
    from provisioner.errors import ProvisionerError, UserError

    STOP.clear()
    try:
        code = cli.main(argv, prog_name="provisioner", standalone_mode=False)
    except click.ClickException as exc:
        _show(exc)
        return EXIT_ERROR
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):  # click: Ctrl-C → Abort
            err("Interrupted.")
            return EXIT_INTERRUPTED
        err("Aborted.")
        return EXIT_ERROR
    except UserError as exc:
        from provisioner.render.diagnostics import text

        err(text(exc.diagnostics))
        return EXIT_ERROR
    except ProvisionerError as exc:
        from provisioner.diagnostics import error
        from provisioner.render.diagnostics import text

        err(text([error(str(exc))]))  # escaped: the message may quote a stack or a workspace
        return EXIT_ERROR
    except KeyboardInterrupt:
        err("Interrupted.")
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("PROVISIONER_DEBUG"):
            raise
        from provisioner.render.safe import visible

        err(f"internal error: {type(exc).__name__}: {visible(str(exc))}\n"
            "  hint: this is a bug in provisioner; rerun with PROVISIONER_DEBUG=1 and report it")
        return EXIT_ERROR
    if STOP.is_set():  # interrupted, though the KeyboardInterrupt itself was lost
        err("Interrupted.")
        return EXIT_INTERRUPTED
    return code if isinstance(code, int) else EXIT_OK
