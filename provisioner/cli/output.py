"""All printing goes through here, so commands never mix styled text into data."""

from __future__ import annotations

import click


def out(text: str = "") -> None:
    click.echo(text)


def err(text: str) -> None:
    click.echo(text, err=True)
