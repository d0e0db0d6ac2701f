"""Stack variables: declarations, the sources of their values, and the precedence among them.

Precedence, lowest first: the declaration's `default`, the target's `variables:`,
`PROVISIONER_VAR_<name>` environment variables, `--var-file` files (in order), `--var k=v`
options (in order). Values from the environment and `--var` are text, converted by the
declared type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import Field

from provisioner.diagnostics import Diagnostic, Span, did_you_mean, error
from provisioner.specs.base import Spec
from provisioner.stack.nodes import kind_of

ENV_PREFIX = "PROVISIONER_VAR_"
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CREDENTIAL_NAMES = re.compile(
    r"^(DATABRICKS_|ARM_|AZURE_|GOOGLE_|AWS_|ACTIONS_)|TOKEN|SECRET|PASSW|CREDENTIAL|"
    r"PRIVATE_KEY|JWT", re.IGNORECASE)
"""Names a stack may not read even when it lists them: where databricks-sdk, cloud SDKs and
CI runners keep the credentials a pull-request job holds (`GITHUB_TOKEN`, `CI_JOB_TOKEN`,
`CI_JOB_JWT`, ...; a stack could otherwise print them into the plan comment). CI metadata
(`GITHUB_SHA`, `CI_COMMIT_SHA`) stays readable, for tags. Model API keys (`OPENAI_API_KEY`)
stay readable for `*_plaintext` fields: pipelines export them only to jobs that run reviewed
stacks (docs/security.md)."""
ENV_HINT = ("pass values as variables (`--var`, PROVISIONER_VAR_<name>) and keys as "
            "{{secrets/<scope>/<key>}} references")
VariableType = Literal["string", "number", "bool", "list", "map"]
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "number": (int, float), "bool": (bool,), "list": (list,), "map": (dict,),
}


class VariableDecl(Spec):
    """A declared variable: `variables: {catalog: {default: main, description: ...}}`."""

    description: str | None = Field(None, description="What the variable is for.")
    type: VariableType | None = Field(
        None, description="string, number, bool, list or map; inferred from the default if unset."
    )
    default: Any = Field(None, description="Value used when no other source sets one.")
    required: bool = Field(False, description="Fail when no source sets a value.")

    @property
    def resolved_type(self) -> str:
        if self.type:
            return self.type
        for name, types in _PYTHON_TYPES.items():
            if isinstance(self.default, types) and not (name == "number"
                                                         and isinstance(self.default, bool)):
                return name
        return "string"


@dataclass(frozen=True, slots=True)
class Assignment:
    """One value for one variable, and where it came from (for error messages)."""

    name: str
    value: Any
    source: str
    span: Span | None = None
    from_text: bool = False


def parse_cli_var(text: str) -> tuple[str, str]:
    """`--var k=v` -> (k, v); raises ValueError naming the problem (never the value)."""
    name, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"'{name}' is not of the form NAME=VALUE")
    if not name.strip():
        raise ValueError("a value without a NAME is not of the form NAME=VALUE")
    return name.strip(), value


def unreadable_env(name: str) -> str | None:
    """Why a stack may not list `name` under `env:`, or None."""
    if not ENV_NAME.fullmatch(name):
        return f"{name!r} is not an environment variable name"
    if CREDENTIAL_NAMES.search(name):
        return f"'{name}' may hold a credential: stacks cannot read it"
    return None


def from_environment(environ: Mapping[str, str]) -> list[Assignment]:
    return [Assignment(k[len(ENV_PREFIX):], v, f"environment variable {k}", from_text=True)
            for k, v in sorted(environ.items()) if k.startswith(ENV_PREFIX)]


def resolve(
    declared: Mapping[str, tuple[VariableDecl, Span]],
    assignments: list[Assignment],
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Apply assignments in precedence order (lowest first) and check every variable."""
    defaults = [Assignment(name, decl.default, "its default", span)
                for name, (decl, span) in declared.items() if decl.default is not None]
    values: dict[str, Any] = {}
    diagnostics: list[Diagnostic] = []
    for item in [*defaults, *assignments]:
        if item.name not in declared:
            if item.source.startswith("environment"):
                continue  # CI environments export variables for many stacks at once
            diagnostics.append(error(
                f"variable '{item.name}' is not declared (set by {item.source})", item.span,
                hint=did_you_mean(item.name, declared) or "declare it under `variables:`",
            ))
            continue
        decl, decl_span = declared[item.name]
        value, problem = _convert(item.value, decl.resolved_type, item.from_text)
        if problem:
            diagnostics.append(error(
                f"variable '{item.name}' from {item.source}: {problem}", item.span or decl_span))
            continue
        values[item.name] = value
    for name, (decl, span) in declared.items():
        if name not in values and decl.required:
            diagnostics.append(error(
                f"variable '{name}' is required but has no value", span,
                hint=f"set it with --var {name}=VALUE, {ENV_PREFIX}{name}, or a target",
            ))  # an optional one with no value stays undefined: using it is an error
    return values, diagnostics


def _convert(value: Any, kind: str, from_text: bool) -> tuple[Any, str | None]:
    """The value as its declared type, or a problem that names the types, never the value
    (a variable may carry a key: the errors end up in CI logs and PR comments)."""
    written = value
    if from_text and kind != "string":
        try:
            value = yaml.safe_load(value) if kind != "map" else json.loads(value)
        except (yaml.YAMLError, json.JSONDecodeError, RecursionError):
            return written, f"the text given is not a valid {kind}"
    if kind == "string" and isinstance(value, int | float | bool):
        return str(value), None
    wrong_bool = kind == "number" and isinstance(value, bool)
    if wrong_bool or not isinstance(value, _PYTHON_TYPES[kind]):
        if from_text:
            return written, f"the text given is not a valid {kind}"
        return value, f"expected a {kind}, got a {kind_of(value)}"
    return value, None
