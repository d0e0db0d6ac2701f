"""How plan and drift documents, and the errors that stop them, print in each `--format`."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

import click

from provisioner.cli.output import err, out

FORMATS = ("text", "json", "markdown", "github")


def print_plan(document: dict[str, Any], fmt: str, *, artifact: str = "plan.json") -> None:
    from provisioner.render import github, plan_markdown, plan_text

    if fmt == "json":
        out(json.dumps(document, indent=2))
    elif fmt == "markdown":
        out(plan_markdown.render(document, artifact=artifact))
    else:
        out(plan_text.render(document, color=fmt == "text" and sys.stdout.isatty()))
        if fmt == "github" and (annotations := github.plan(document)):
            out(annotations)


def print_drift(document: dict[str, Any], fmt: str) -> None:
    from provisioner.render import drift_markdown, drift_text, github

    if fmt == "json":
        out(json.dumps(document, indent=2))
    elif fmt == "markdown":
        out(drift_markdown.render(document))
    else:
        out(drift_text.render(document))
        if fmt == "github" and (annotations := github.drift(document)):
            out(annotations)


@contextlib.contextmanager
def errors_as(fmt: str, title: str) -> Iterator[None]:
    """Errors on stdout too, where CI reads the output: as annotations (`github`), a comment
    (`markdown`) or a document (`json`: `{"command", "ok": false, "diagnostics"}`, the
    diagnostics shaped as `validate --format json` prints them); as text on stderr. The
    text format leaves them to the usual handler."""
    from provisioner.errors import ProvisionerError, UserError

    try:
        yield
    except ProvisionerError as exc:
        if fmt == "text":
            raise
        from provisioner.diagnostics import error
        from provisioner.render import diagnostics, markdown

        found = exc.diagnostics if isinstance(exc, UserError) else [error(str(exc))]
        err(diagnostics.text(found))
        if fmt == "json":
            out(json.dumps({"command": title, "ok": False,
                            "diagnostics": [d.to_dict() for d in found]}, indent=2))
        else:
            out(diagnostics.github(found) if fmt == "github"
                else markdown.failure(title, [diagnostics.text(found)]))
        raise click.exceptions.Exit(1) from None
