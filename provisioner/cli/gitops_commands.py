"""GitOps commands: `drift` (what changed by hand), `generate` (stack YAML from a workspace)
and `import` (one existing resource into the state)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NoReturn

import click

from provisioner.cli.formats import FORMATS, errors_as, print_drift
from provisioner.cli.options import (
    PARALLELISM,
    load_stack,
    lock_timeout_option,
    stack_options,
    waiting_for_lock,
)
from provisioner.cli.output import err, out
from provisioner.kinds.base import DriftSeverity
from provisioner.render.safe import visible


@click.command()
@stack_options
@PARALLELISM
@click.option("--exit-code", is_flag=True,
              help="Exit 2 when drift is found, 0 when none, 1 on error.")
@click.option("--fail-on", type=click.Choice([str(s) for s in DriftSeverity]),
              default=str(DriftSeverity.COSMETIC), show_default=True,
              help="With --exit-code, count only findings at or above this severity "
                   "(cosmetic < config < breaking < deleted).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              help="json: schemas/drift.schema.json; markdown: a job summary or comment; "
                   "github: workflow annotations too.")
def drift(path, target, cli_vars, var_files, parallelism, exit_code, fail_on, fmt) -> None:
    """Compare the workspace with what was last applied. Reads only: takes no lock."""
    from provisioner.cli.session import open_session
    from provisioner.plan.drift import build_report, drift_subjects
    from provisioner.plan.planner import read_live

    with errors_as(fmt, "provisioner drift"):
        stack = load_stack(path, target, cli_vars, var_files)
        with open_session(stack, parallelism=parallelism) as session:
            state = session.store.load()
            live = read_live(session.client, drift_subjects(stack, state), parallelism)
        report = build_report(stack, state, live)
    print_drift(report.to_document(), fmt)
    if exit_code and report.counted(DriftSeverity(fail_on)):
        raise click.exceptions.Exit(2)


@click.command()
@stack_options
@PARALLELISM
@click.option("--kind", "kinds", multiple=True, metavar="KIND",
              help="Only this kind (repeatable); default: every kind that can be generated.")
@click.option("--name", "pattern", metavar="REGEX",
              help="Only resources whose name matches this regular expression.")
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False),
              help="Write the YAML to FILE (never over an existing one) instead of stdout.")
def generate(path, target, cli_vars, var_files, parallelism, kinds, pattern, out_file) -> None:
    """Write a stack of the target workspace's live resources, less those the stack at PATH
    already declares; applying it adopts them without changes."""
    kinds = _generated_kinds(kinds)
    regex = _regex(pattern)
    if out_file and Path(out_file).exists():
        _refuse(f"{out_file} exists", "choose another file, or remove it first")
    stack = _stack_or_new(path, target, cli_vars, var_files)
    text, count, notes = generated_yaml(stack, kinds, regex, parallelism, out_file)
    for note in notes:
        err(f"note: {visible(note)}")  # notes quote names read from the workspace
    if out_file:
        Path(out_file).parent.mkdir(parents=True, exist_ok=True)
        Path(out_file).write_text(text)
        err(f"Wrote {_resources(count)} to {out_file}.")
    else:
        out(text.rstrip("\n"))


def generated_yaml(stack, kinds: list[str], regex: re.Pattern[str] | None, parallelism: int,
                   out_file: str | None) -> tuple[str, int, tuple[str, ...]]:
    """The stack YAML of the target's live resources (of `kinds`, default every kind that
    can be generated) less the stack's own; with how many it holds and the notes."""
    from provisioner.cli.session import open_session
    from provisioner.plan.generate import generate as generate_stack
    from provisioner.plan.generate import to_yaml

    with open_session(stack, parallelism=parallelism) as session:
        found = _live_resources(session.client, kinds or _generated_kinds(()), regex,
                                parallelism)
    generated = generate_stack(stack, found)
    text = to_yaml(generated, schema=schema_reference(stack.root, out_file), header=[
        f"Written by `provisioner generate` from target '{stack.target.name}': "
        f"{_resources(generated.count)}.",
        "Applying this stack adopts them as they are; review sizes, access and tags first."])
    return text, generated.count, tuple(generated.notes)


@click.command("import")
@click.argument("address")
@click.argument("name")
@stack_options
@lock_timeout_option
def import_(address, name, path, target, cli_vars, var_files, lock_timeout) -> None:
    """Record the existing resource NAME in the state as ADDRESS, which the stack declares;
    the workspace is not changed, and the next plan compares it with the stack."""
    from provisioner.cli.session import open_session

    stack = load_stack(path, target, cli_vars, var_files)
    resource = _declared(stack, address)
    with open_session(stack, parallelism=1) as session, \
            session.store.locked("import", lock_timeout, waiting_for_lock):
        _import(session, resource, name)
    out(f"Imported {address} ({name}); `provisioner plan` now compares it with the stack.")


def _import(session, resource, name: str) -> None:
    """Read NAME live and record it, its last-applied document being the stack's."""
    from provisioner.addresses import Address
    from provisioner.apply.applier import applied
    from provisioner.kinds.registry import handler_for
    from provisioner.plan.planner import read_digests
    from provisioner.plan.resolve import is_resolved, resolve

    address = str(resource.address)
    handler = handler_for(resource.address.kind)
    state = session.store.load()
    if address in state.resources:
        _refuse(f"{address} is already in the state", f"`provisioner state rm {address}` "
                "first to import another resource in its place")
    outputs = {Address.parse(a): r.outputs for a, r in state.resources.items()}
    digests = read_digests(session.stack.root, handler.files(resource.spec))
    desired = resolve(handler.desired(resource.spec, digests), outputs)
    if not is_resolved(desired):
        _refuse(f"{address} refers to resources not applied yet", "apply or import them first")
    if desired.get("name") != name:
        _refuse(f"the stack names {address} '{desired.get('name')}', not '{name}'",
                f"set `name: {name}` on it in the stack, or import '{desired.get('name')}'")
    live = handler.read(session.client, name, desired)
    if live is None:
        _refuse(f"the workspace has no {resource.address.kind} named '{name}'")
    depends_on = tuple(sorted({str(d.address) for d in resource.dependencies}))
    session.store.record(address, applied(
        handler, live, desired, depends_on,
        prevent_destroy=resource.spec.lifecycle.prevent_destroy))


def _declared(stack, text: str):
    from provisioner.addresses import Address
    from provisioner.diagnostics import did_you_mean

    try:
        address = Address.parse(text)
    except ValueError as exc:
        _refuse(str(exc))
    if address not in stack.resources:
        _refuse(f"the stack declares no resource '{text}': import records a resource the "
                "stack describes", did_you_mean(text, [str(a) for a in stack.resources]))
    return stack.resources[address]


def _resources(count: int) -> str:
    return f"{count} resource{'' if count == 1 else 's'}"


def _stack_or_new(path, target, cli_vars, var_files):
    """The stack at PATH, or, where PATH holds none yet, the empty stack it will hold."""
    from provisioner.stack.loader import has_stack, new_stack

    if has_stack(path):
        return load_stack(path, target, cli_vars, var_files)
    if cli_vars or var_files:
        _refuse(f"--var and --var-file set variables of a stack, and '{path}' has none yet")
    return new_stack(path, target)


def _live_resources(client, kinds: list[str], regex: re.Pattern[str] | None,
                    parallelism: int) -> dict:
    """kind -> the live resources of that kind whose names match, read concurrently."""
    from provisioner.addresses import Address
    from provisioner.kinds.registry import handler_for
    from provisioner.plan.planner import Subject, read_live

    found = {}
    for kind in kinds:
        names = [n for n in handler_for(kind).list_names(client)
                 if regex is None or regex.search(n)]
        subjects = [Subject(Address(kind, str(i)), n) for i, n in enumerate(names)]
        found[kind] = [live for live in read_live(client, subjects, parallelism).values()
                       if live is not None]  # gone between the list and the read
    return found


def _generated_kinds(asked: tuple[str, ...]) -> list[str]:
    from provisioner.diagnostics import did_you_mean
    from provisioner.kinds.registry import HANDLERS

    generated = [k for k, h in HANDLERS.items() if h.generates]
    for kind in asked:
        if kind not in generated:
            _refuse(f"--kind: '{kind}' is not a kind generate writes (kinds: "
                    f"{', '.join(generated)})", did_you_mean(kind, generated))
    return [k for k in generated if not asked or k in asked]


def _regex(pattern: str | None) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        _refuse(f"--name: '{pattern}' is not a regular expression ({exc})")


def schema_reference(root: Path, out_file: str | None) -> str:
    """The committed stack schema, relative to where the YAML goes, when a `schemas/` folder
    above the stack has it; else the schema's published id."""
    import os

    from provisioner.stack.schema import SCHEMA_ID

    where = (Path(out_file).parent if out_file else root).resolve()
    for folder in (root.resolve(), *root.resolve().parents):
        schema = folder / "schemas" / "stack.schema.json"
        if schema.is_file():
            return os.path.relpath(schema, where)
    return SCHEMA_ID


def _refuse(summary: str, hint: str | None = None) -> NoReturn:
    from provisioner.diagnostics import error
    from provisioner.errors import UserError

    raise UserError([error(summary, hint=hint)])
