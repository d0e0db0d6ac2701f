"""Diagnostics as text (`file:line:col: error: ...`), JSON, or GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence

from provisioner.diagnostics import Diagnostic
from provisioner.render import github as github_annotations


def text(diagnostics: Sequence[Diagnostic]) -> str:
    return "\n".join(d.format() for d in diagnostics)


def as_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps({"diagnostics": [d.to_dict() for d in diagnostics]}, indent=2)


def github(diagnostics: Sequence[Diagnostic]) -> str:
    """`::error file=F,line=L,col=C::message` lines that GitHub shows on the diff."""
    return "\n".join(github_annotations.diagnostic(d.to_dict()) for d in diagnostics)


FORMATS = {"text": text, "json": as_json, "github": github}
