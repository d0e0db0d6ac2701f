"""Commands that talk to a workspace: plan, apply, destroy, force-unlock."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from provisioner.cli.formats import FORMATS, errors_as, print_plan
from provisioner.cli.options import (
    DEFAULT_PARALLELISM,
    PARALLELISM,
    load_head,
    load_stack,
    lock_timeout_option,
    stack_options,
    target_options,
    waiting_for_lock,
)
from provisioner.cli.output import err, out


@dataclass(frozen=True)
class RunOptions:
    parallelism: int = DEFAULT_PARALLELISM
    only: tuple[str, ...] = ()
    lock_timeout: float = 0.0
    timeouts: tuple[tuple[str, float], ...] = ()
    auto_approve: bool = False
    fmt: str = "text"
    """How apply reports: `text` (a live view or plain lines), `json` (event lines)."""


def _timeout(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
             ) -> tuple[tuple[str, float], ...]:
    """KIND=SECONDS: a kind of the registry (or `delete`) and a positive number."""
    import difflib
    import math

    from provisioner.kinds.registry import all_kinds

    kinds = [*all_kinds(), "delete"]
    parsed = []
    for value in values:
        kind, sep, text = value.partition("=")
        try:
            seconds = float(text)
        except ValueError:
            seconds = math.nan
        if not sep or not kind or not 0 < seconds < math.inf:
            raise click.BadParameter(f"'{value}' is not KIND=SECONDS (seconds a positive "
                                     "number)", ctx, param)
        if kind not in kinds:
            close = difflib.get_close_matches(kind, kinds, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"one of: {', '.join(kinds)}"
            raise click.BadParameter(f"no kind '{kind}' ({hint})", ctx, param)
        parsed.append((kind, seconds))
    return tuple(parsed)


def engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--parallelism, --only, --lock-timeout; the command receives them as `run: RunOptions`."""

    @PARALLELISM
    @click.option("--only", multiple=True, metavar="ADDRESS",
                  help="Limit to these addresses (KIND.KEY) and what they depend on "
                       "(repeatable).")
    @lock_timeout_option
    @functools.wraps(command)
    def wrapper(*args: Any, parallelism: int, only: tuple[str, ...], lock_timeout: float,
                timeouts: tuple = (), auto_approve: bool = False, apply_format: str = "text",
                **kwargs: Any) -> Any:
        run = RunOptions(parallelism, only, lock_timeout, timeouts, auto_approve, apply_format)
        return command(*args, run=run, **kwargs)

    return wrapper


def apply_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--auto-approve, --timeout and --format, for the commands that change the workspace."""

    @click.option("--auto-approve", is_flag=True, help="Apply without asking (for CI).")
    @click.option("--format", "apply_format", type=click.Choice(("text", "json")),
                  default="text",
                  help="json: one event per line on stdout (schemas/events.schema.json); "
                       "needs --auto-approve or a saved plan.")
    @click.option("--timeout", "timeouts", multiple=True, metavar="KIND=SECONDS",
                  callback=_timeout,
                  help="Readiness timeout for a kind, e.g. vector_search_indexes=7200 "
                       "(`delete` for deletions).")
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return command(*args, **kwargs)

    return wrapper


REFRESH_ONLY = click.option(
    "--refresh-only", is_flag=True,
    help="Only record in the state what changed outside the stack (fields moved, resources "
         "gone); change nothing in the workspace.")


@click.command()
@stack_options
@engine_options
@click.option("--out", "out_file", type=click.Path(dir_okay=False),
              help="Save the plan (JSON) for `provisioner apply PLANFILE`.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              help="markdown: a pull-request comment; github: workflow annotations too.")
@click.option("--artifact-name", metavar="NAME",
              help="Where reviewers find the whole plan, named in a cut markdown comment "
                   "(default: the --out file's name, else plan.json).")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 with no changes, 2 with changes, 1 on error.")
@click.option("--destroy", is_flag=True, help="Plan the destruction of every resource.")
@REFRESH_ONLY
def plan(path, target, cli_vars, var_files, run: RunOptions, out_file, fmt, artifact_name,
         detailed_exitcode, destroy, refresh_only) -> None:
    """Show, field by field, what apply would change."""
    from provisioner.cli.session import open_session
    from provisioner.engine.planning import make_plan, make_refresh

    if refresh_only and (destroy or run.only):
        raise click.UsageError("--refresh-only takes neither --destroy nor --only")
    with errors_as(fmt, "provisioner plan"):
        stack = load_stack(path, target, cli_vars, var_files)
        with open_session(stack, parallelism=run.parallelism) as session:
            planned = (make_refresh(session, parallelism=run.parallelism)[0] if refresh_only
                       else make_plan(session, parallelism=run.parallelism, destroy=destroy,
                                      only=run.only))
    document = planned.plan.to_document()
    artifact = artifact_name or (Path(out_file).name if out_file else "plan.json")
    print_plan(document, fmt, artifact=artifact)
    if out_file:
        Path(out_file).write_text(json.dumps(document, indent=2) + "\n")
        err(f"Saved the plan to {out_file}; apply it with: provisioner apply {out_file}")
    if detailed_exitcode and planned.plan.has_changes:
        raise click.exceptions.Exit(2)


@click.command()
@stack_options
@engine_options
@apply_options
@REFRESH_ONLY
def apply(path, target, cli_vars, var_files, run: RunOptions, refresh_only) -> None:
    """Make the workspace match the stack (PATH), or apply a saved plan (PLANFILE)."""
    if Path(path).suffix == ".json" and not Path(path).is_dir():
        if refresh_only:
            raise click.UsageError("a saved plan applies as it was planned: plan it with "
                                   "--refresh-only instead")
        _apply_saved(path, target, cli_vars, var_files, run)
    elif refresh_only:
        _refresh(load_stack(path, target, cli_vars, var_files), run)
    else:
        _run(load_stack(path, target, cli_vars, var_files), run, destroy=False)


@click.command()
@stack_options
@engine_options
@apply_options
def destroy(path, target, cli_vars, var_files, run: RunOptions) -> None:
    """Delete every resource of the stack, in reverse dependency order."""
    _run(load_stack(path, target, cli_vars, var_files), run, destroy=True)


def _run(stack, run: RunOptions, *, destroy: bool) -> None:
    from provisioner.cli.session import open_session
    from provisioner.engine.planning import make_plan

    _confirmable(run)
    with open_session(stack, parallelism=run.parallelism) as session, \
            session.store.locked("destroy" if destroy else "apply", run.lock_timeout,
                                 waiting_for_lock):
        planned = make_plan(session, parallelism=run.parallelism, destroy=destroy,
                            only=run.only)
        if run.fmt == "text":
            print_plan(planned.plan.to_document(), "text")
        _execute(session, planned, run, _asking("Apply these changes?", run))


def _confirmable(run: RunOptions) -> None:
    """Refuse to run where nobody can confirm, unless told not to ask."""
    if not run.auto_approve and run.fmt == "json":
        raise click.UsageError("--format json needs --auto-approve (or a saved plan): there "
                               "is no one to confirm with")
    if not run.auto_approve and not sys.stdin.isatty():
        raise click.UsageError("no terminal to confirm on: pass --auto-approve to apply "
                               "without confirmation")


def _asking(question: str, run: RunOptions) -> Callable[[Any], bool]:
    """The engine's confirmation: the prompt, unless --auto-approve."""
    return lambda plan: run.auto_approve or click.confirm(question, err=True)


def _apply_saved(plan_file, target, cli_vars, var_files, run: RunOptions) -> None:
    """Apply exactly a reviewed plan, from any folder; refuse if the workspace or state moved
    since. --var supplies only what the plan holds by hash (see `engine.saved`)."""
    from provisioner.cli.session import open_session
    from provisioner.engine.runs import approved
    from provisioner.engine.saved import instructions, planned_stack, read_plan

    saved = read_plan(plan_file)
    if target and target != saved.target:
        raise click.UsageError(f"{plan_file} is a plan for target '{saved.target}', "
                               f"not '{target}'")
    if run.only:
        raise click.UsageError("--only does not apply to a saved plan: plan with --only")
    if saved.operation == "refresh-only":
        _refresh_saved(saved, plan_file, run)
        return
    with open_session(planned_stack(saved), parallelism=run.parallelism) as session, \
            session.store.locked("apply", run.lock_timeout, waiting_for_lock):
        planned = instructions(session, saved, plan_file, parallelism=run.parallelism,
                               cli_vars=cli_vars, var_files=var_files)
        _execute(session, planned, run, approved)  # reviewed: applied without asking
    if not saved.has_changes and run.fmt == "text":
        out("No changes. The workspace matches the stack.")


def _refresh(stack, run: RunOptions) -> None:
    """apply --refresh-only: plan the refresh, confirm, record it in the state."""
    from provisioner.cli.session import open_session
    from provisioner.engine import runs
    from provisioner.engine.planning import make_refresh

    _confirmable(run)
    with open_session(stack, parallelism=run.parallelism) as session, \
            session.store.locked("refresh", run.lock_timeout, waiting_for_lock):
        planned, live = make_refresh(session, parallelism=run.parallelism)
        if run.fmt == "text":
            print_plan(planned.plan.to_document(), "text")
            if not planned.plan.has_changes:
                return
        try:
            recorded = runs.refresh(session, planned.plan, live,
                                    confirm=_asking("Record these in the state?", run))
        except runs.Declined:
            raise click.exceptions.Abort() from None
    _refreshed(planned.plan, recorded, run)


def _refresh_saved(saved, plan_file, run: RunOptions) -> None:
    from provisioner.cli.session import open_session
    from provisioner.engine import runs
    from provisioner.engine.saved import planned_stack, read_again

    with open_session(planned_stack(saved), parallelism=run.parallelism) as session, \
            session.store.locked("refresh", run.lock_timeout, waiting_for_lock):
        live = read_again(session, saved, plan_file, parallelism=run.parallelism)
        recorded = runs.refresh(session, saved, live, confirm=runs.approved)
    _refreshed(saved, recorded, run)


def _refreshed(plan, recorded: int, run: RunOptions) -> None:
    """Say what a refresh recorded: a line of text, or the JSON stream's plan, notes and
    summary."""
    from provisioner.apply import events
    from provisioner.render.events_json import JsonEvents

    message = (f"Refresh complete: {recorded} recorded in the state; the workspace is "
               "unchanged.")
    if run.fmt == "text":
        out(message)
        return
    stream = JsonEvents(out)
    stream.plan(plan.to_document())
    stream(events.Note(message))
    stream.summary(events.Summary(finished=recorded))


def _execute(session, planned, run: RunOptions, confirm) -> None:
    """Run the engine on `planned`, reporting its events as `run.fmt` says; exit 1 when
    anything failed, abort when the confirmation says no."""
    from provisioner.apply.events import Summary
    from provisioner.cli import interrupts
    from provisioner.engine import runs
    from provisioner.render.progress import LiveProgress, PlainProgress

    summary = Summary()
    plan = planned.plan
    verb, command = ("Destroy", "destroy") if plan.operation == "destroy" else ("Apply", "apply")

    def apply(emit) -> dict[str, BaseException]:
        return runs.apply(session, planned, confirm=confirm, emit=emit,
                          parallelism=run.parallelism, timeouts=dict(run.timeouts),
                          stop=interrupts.STOP)

    try:
        if run.fmt == "json":
            failures = _execute_json(plan, apply, summary)
        elif not plan.has_changes:
            apply(summary)  # records what is settled; nothing to report
            return
        elif sys.stderr.isatty():
            with LiveProgress() as view:
                failures = apply(lambda e: (summary(e), view(e)))
        else:
            plain = PlainProgress(err)
            failures = apply(lambda e: (summary(e), plain(e)))
    except runs.Declined:
        raise click.exceptions.Abort() from None  # nothing was written before this answer
    except KeyboardInterrupt:
        if run.fmt == "text":
            out(f"{verb} interrupted: {summary.finished} done; run {command} again to "
                "finish.")
        raise
    if run.fmt == "text":
        out(f"{verb} {'complete' if summary.ok else 'FAILED'}: {summary.finished} done, "
            f"{summary.failed} failed, {summary.skipped} skipped.")
    if failures:
        raise click.exceptions.Exit(1)


def _execute_json(plan, apply, summary) -> dict[str, BaseException]:
    """The event stream on stdout: the plan line, every event, the summary line (also after
    an interrupt, so a reader always learns how it ended)."""
    from provisioner.render.events_json import JsonEvents

    stream = JsonEvents(out)
    stream.plan(plan.to_document())
    try:
        return apply(lambda e: (summary(e), stream(e)))
    finally:
        stream.summary(summary)


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(("text", "json", "markdown")),
              default="text", help="markdown: a pull-request comment.")
def show(plan_file, fmt) -> None:
    """Render a saved plan as `plan` printed it, without the stack or the workspace."""
    from provisioner.engine.saved import read_plan
    from provisioner.render.plan_text import origin

    document = read_plan(plan_file).to_document()
    if fmt == "text":
        out(origin(document))
    print_plan(document, fmt, artifact=Path(plan_file).name)


@click.command("force-unlock")
@click.argument("lock_id")
@target_options
def force_unlock(lock_id, path, target) -> None:
    """Remove a lock left by a run that died (check first that none is running)."""
    from provisioner.cli.session import open_session

    stack = load_head(path, target)
    with open_session(stack, parallelism=1) as session:
        holder = session.store.force_unlock(lock_id)
    out(f"Removed the lock {holder.describe()}.")
