"""Diagnostics as text (`file:line:col: error: ...`), JSON, or GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from provisioner.diagnostics import Diagnostic, Span
from provisioner.render import github as github_annotations
from provisioner.render.safe import visible


def text(diagnostics: Sequence[Diagnostic]) -> str:
    """One `file:line:col: error: ...` line each (and a hint line); what the stack supplied
    (file names, keys, values in messages) cannot start a line or send escapes."""
    return "\n".join(_shown(d).format() for d in diagnostics)


def _shown(d: Diagnostic) -> Diagnostic:
    span = d.span and Span(visible(d.span.file), d.span.line, d.span.column)
    return replace(d, summary=visible(d.summary), hint=d.hint and visible(d.hint), span=span)


def as_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps({"diagnostics": [d.to_dict() for d in diagnostics]}, indent=2)


def github(diagnostics: Sequence[Diagnostic]) -> str:
    """`::error file=F,line=L,col=C::message` lines that GitHub shows on the diff."""
    return "\n".join(github_annotations.diagnostic(d.to_dict()) for d in diagnostics)


FORMATS = {"text": text, "json": as_json, "github": github}
