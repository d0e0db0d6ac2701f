"""`provisioner state list|show|rm` and `refresh`: read and tend the state document."""

from __future__ import annotations

import dataclasses
import json

import click

from provisioner.cli.options import load_stack, stack_options
from provisioner.cli.output import out
from provisioner.render.safe import visible


@click.group()
def state() -> None:
    """Inspect or edit the recorded state of a stack's target."""


@state.command("list")
@stack_options
def list_(path, target, cli_vars, var_files) -> None:
    """List the addresses the state records."""
    with _session(path, target, cli_vars, var_files) as session:
        for address, resource in session.store.load().resources.items():
            out(f"{address}\t{visible(resource.name)}\t{visible(resource.id or '')}")


@state.command()
@click.argument("address")
@stack_options
def show(address, path, target, cli_vars, var_files) -> None:
    """Print what the state records for ADDRESS (sensitive values are hashes)."""
    with _session(path, target, cli_vars, var_files) as session:
        resource = _find(session.store.load(), address)
    out(json.dumps({"address": address, **resource.to_dict()}, indent=2))


@state.command()
@click.argument("address")
@stack_options
@click.option("--lock-timeout", default=0.0, type=float)
def rm(address, path, target, cli_vars, var_files, lock_timeout) -> None:
    """Forget ADDRESS without touching the workspace (the next plan adopts it by name)."""
    with _session(path, target, cli_vars, var_files) as session, \
            session.store.locked("state rm", lock_timeout):
        _find(session.store.load(), address)
        session.store.record(address, None)
    out(f"Removed {address} from the state; the workspace is unchanged.")


@click.command()
@stack_options
@click.option("--parallelism", default=16, type=click.IntRange(1, 256))
@click.option("--lock-timeout", default=0.0, type=float)
def refresh(path, target, cli_vars, var_files, parallelism, lock_timeout) -> None:
    """Record live ids and outputs in the state without changing the workspace."""
    from provisioner.plan.planner import Subject, read_live

    with _session(path, target, cli_vars, var_files, parallelism) as session, \
            session.store.locked("refresh", lock_timeout):
        current = session.store.load()
        subjects = [Subject(_address(a), r.name) for a, r in current.resources.items()]
        live = read_live(session.client, subjects, parallelism)
        for subject in subjects:
            found = live[subject.address]
            remembered = current.resources[str(subject.address)]
            if found is None:
                session.store.record(str(subject.address), None)
                out(f"{subject.address}: gone from the workspace; removed from the state")
            else:
                session.store.record(str(subject.address), dataclasses.replace(
                    remembered, id=found.id, outputs={**found.outputs, "name": found.name}))
                out(f"{subject.address}: refreshed")


def _session(path, target, cli_vars, var_files, parallelism: int = 1):
    from provisioner.cli.session import open_session

    return open_session(load_stack(path, target, cli_vars, var_files), parallelism=parallelism)


def _address(text: str):
    from provisioner.addresses import Address

    return Address.parse(text)


def _find(current, address: str):
    from provisioner.diagnostics import did_you_mean, error
    from provisioner.errors import UserError

    if address not in current.resources:
        raise UserError([error(f"the state has no resource '{address}'",
                               hint=did_you_mean(address, current.resources))])
    return current.resources[address]
