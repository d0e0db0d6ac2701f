"""`provisioner state list|show|rm|mv` and `refresh`: read and tend the state document."""

from __future__ import annotations

import dataclasses
import json

import click

from provisioner.cli.options import (
    PARALLELISM,
    load_head,
    lock_timeout_option,
    target_options,
    waiting_for_lock,
)
from provisioner.cli.output import out
from provisioner.render.safe import visible


@click.group()
def state() -> None:
    """Inspect or edit the recorded state of a stack's target."""


@state.command("list")
@target_options
def list_(path, target) -> None:
    """List the addresses the state records, with their names and ids."""
    with _session(path, target) as session:
        for address, resource in session.store.load().resources.items():
            out(f"{address}\t{visible(resource.name)}\t{visible(resource.id or '')}")


@state.command()
@click.argument("address")
@target_options
def show(address, path, target) -> None:
    """Print what the state records for ADDRESS (sensitive values are hashes)."""
    with _session(path, target) as session:
        resource = _find(session.store.load(), address)
    out(json.dumps({"address": address, **resource.to_dict()}, indent=2))


@state.command()
@click.argument("address")
@target_options
@lock_timeout_option
def rm(address, path, target, lock_timeout) -> None:
    """Forget ADDRESS without touching the workspace (the next plan adopts it by name)."""
    with _session(path, target) as session, \
            session.store.locked("state rm", lock_timeout, waiting_for_lock):
        _find(session.store.load(), address)
        session.store.record(address, None)
    out(f"Removed {address} from the state; the workspace is unchanged.")


@state.command()
@click.argument("source")
@click.argument("destination")
@target_options
@lock_timeout_option
def mv(source, destination, path, target, lock_timeout) -> None:
    """Record the resource at SOURCE under DESTINATION (a renamed key, like `terraform state
    mv`); the workspace is unchanged. A `moved:` block in the stack does the same in review."""
    with _session(path, target) as session, \
            session.store.locked("state mv", lock_timeout, waiting_for_lock):
        current = session.store.load()
        _find(current, source)
        _check_destination(current, source, destination)
        session.store.move(source, destination)
    out(f"Moved {source} to {destination}; the workspace is unchanged.")


def _check_destination(current, source: str, destination: str) -> None:
    """DESTINATION is a free address of a kind that names the same kind of object."""
    from provisioner.diagnostics import did_you_mean, error
    from provisioner.errors import UserError
    from provisioner.kinds.registry import all_kinds, handler_for

    try:
        address = _address(destination)
    except ValueError as exc:
        raise UserError([error(str(exc))]) from None
    if address.kind not in all_kinds():
        raise UserError([error(f"no kind '{address.kind}'",
                               hint=did_you_mean(address.kind, all_kinds()))])
    if destination in current.resources:
        raise UserError([error(f"the state already has {destination}",
                               hint=f"`provisioner state rm {destination}` first if it is "
                                    "stale")])
    was = handler_for(current.resources[source].kind).provides
    if handler_for(address.kind).provides != was:
        raise UserError([error(f"cannot move {source} to {destination}: a {was} cannot "
                               f"become a {handler_for(address.kind).provides}")])


@click.command()
@target_options
@PARALLELISM
@lock_timeout_option
def refresh(path, target, parallelism, lock_timeout) -> None:
    """Record live ids and outputs in the state without changing the workspace."""
    from provisioner.plan.planner import Subject, foreign, read_live

    with _session(path, target, parallelism) as session, \
            session.store.locked("refresh", lock_timeout, waiting_for_lock):
        current = session.store.load()
        subjects = [Subject(_address(a), r.name) for a, r in current.resources.items()]
        live = read_live(session.client, subjects, parallelism)
        for subject in subjects:
            found = live[subject.address]
            remembered = current.resources[str(subject.address)]
            if found is None:
                session.store.record(str(subject.address), None)
                out(f"{subject.address}: gone from the workspace; removed from the state")
            elif foreign(remembered, found):
                out(f"{subject.address}: '{found.name}' was re-created outside this stack "
                    f"(id {found.id}; ours was {remembered.id}): not ours, left as recorded")
            else:
                session.store.record(str(subject.address), dataclasses.replace(
                    remembered, id=found.id, outputs={**found.outputs, "name": found.name}))
                out(f"{subject.address}: refreshed")


def _session(path, target, parallelism: int = 1):
    from provisioner.cli.session import open_session

    return open_session(load_head(path, target), parallelism=parallelism)


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
