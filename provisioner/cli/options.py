"""Options shared by the commands that load a stack."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

DEFAULT_PARALLELISM = 64
"""The most requests in flight at once: a command starts there and halves it on a 429
(`workspace/concurrency.py`), so the ceiling can be wide without hammering a busy workspace."""
PARALLELISM_HELP = ("Most concurrent workspace requests; fewer while the workspace answers "
                    "429 (rate limited).")
PARALLELISM = click.option("--parallelism", default=DEFAULT_PARALLELISM, show_default=True,
                           type=click.IntRange(1, 256), help=PARALLELISM_HELP)
PATH = click.argument("path", default=".", type=click.Path())
TARGET = click.option("-t", "--target",
                      help="Target to use (default: the default target or `local`).")


def target_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """PATH and --target, for the commands that tend the state: variables change no name or
    location they use, so they take none."""
    return PATH(TARGET(command))


def lock_timeout_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--lock-timeout", default=0.0, type=float, show_default=True,
                        help="Seconds to wait for a lock held by another run (saying so); "
                             "0: fail at once.")(command)


def waiting_for_lock(holder: Any, seconds: float) -> None:
    """Said once when a command has to wait for the state lock: a wait is never silent."""
    from provisioner.cli.output import err

    err(f"Waiting up to {seconds:g} s for the state lock, {holder.describe()}...")


def load_head(path: str, target: str | None):
    """The stack's name, folder and target only (raises UserError with diagnostics)."""
    from provisioner.stack.loader import load_head as load

    return load(path, target)


def stack_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """PATH, --target, --var, --var-file."""

    @PATH
    @TARGET
    @click.option("--var", "cli_vars", multiple=True, metavar="NAME=VALUE",
                  help="Set a variable (repeatable; highest precedence).")
    @click.option("--var-file", "var_files", multiple=True, type=click.Path(),
                  help="YAML file of NAME: VALUE variable settings (repeatable).")
    @click.option("--allow-host", multiple=True, metavar="URL", expose_value=False,
                  callback=_remember_allowed_hosts,
                  help="Let a target's `host`/`profile` lead to URL although the environment's "
                       "credentials are for another host (repeatable; docs/security.md).")
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return command(*args, **kwargs)

    return wrapper


_ALLOWED_HOSTS = "provisioner.allowed_hosts"


def _remember_allowed_hosts(ctx: click.Context, _: click.Parameter, hosts: tuple[str, ...]
                            ) -> None:
    """Kept on the click context for `allowed_hosts()`: the check happens where the session
    connects, not in every command."""
    ctx.meta[_ALLOWED_HOSTS] = hosts


def allowed_hosts() -> tuple[str, ...]:
    """Hosts given with --allow-host to the running command (none outside a command)."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_ALLOWED_HOSTS, ()) if ctx is not None else ()


def load_stack(path: str, target: str | None, cli_vars: tuple[str, ...],
               var_files: tuple[str, ...]):
    """Load the stack the options describe (raises UserError with diagnostics)."""
    from provisioner.stack.loader import Options, load

    return load(path, Options(target=target, cli_vars=cli_vars, var_files=var_files))
