"""Render each YAML string on its own with Jinja2; secret references pass through untouched."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jinja2

from provisioner.addresses import SECRET_RE
from provisioner.diagnostics import Diagnostic, did_you_mean, error

_PLACEHOLDER = "\x00secret{}\x00"
_PLACEHOLDER_RE = re.compile("\x00secret(\\d+)\x00")
_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")
_TEMPLATE_RE = re.compile(r"\{[{%#]")


class TargetName(str):
    """`{{ target }}` renders the target's name; `{{ target.name }}` too."""

    @property
    def name(self) -> str:
        return str(self)


class _Namespace(dict):
    """`var` or `env`: `var.x` is always the entry x (never a dict attribute such as `items`),
    and a missing entry names itself in the error, with `otherwise` as the fallback hint."""

    def __init__(self, name: str, values: Mapping[str, Any], otherwise: str):
        super().__init__(values)
        self.name = name
        self.otherwise = otherwise


class _Environment(jinja2.Environment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, _Namespace):
            return self._entry(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, _Namespace):
            return self._entry(obj, str(argument))
        return super().getitem(obj, argument)

    def _entry(self, namespace: _Namespace, name: str) -> Any:
        if name in namespace:
            return namespace[name]
        hint = did_you_mean(name, namespace) or namespace.otherwise
        return self.undefined(hint=f"{namespace.name}.{name}\x00{hint}")


class Renderer:
    """A Jinja2 environment with `var`, `target` and `env` in scope, strict about undefined."""

    def __init__(self, variables: Mapping[str, Any], target: str, environ: Mapping[str, str]):
        self._env = _Environment(
            undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
        )
        self._templates: dict[str, jinja2.Template] = {}
        self._scope = {
            "var": _Namespace("var", variables, "declare it under `variables:`"),
            "target": TargetName(target),
            "env": _Namespace("env", environ, "it is not set in the environment; "
                              "`{{ env.NAME | default('...') }}` gives a fallback"),
        }

    def render(self, value: str) -> tuple[str, Diagnostic | None]:
        """Render one string; on failure return it unchanged with a diagnostic (no span yet)."""
        if "{{" not in value and "{%" not in value and "{#" not in value:
            return value, None
        secrets: list[str] = []

        def protect(match: re.Match[str]) -> str:
            secrets.append(match.group(0))
            return _PLACEHOLDER.format(len(secrets) - 1)

        protected = SECRET_RE.sub(protect, value)
        if not _TEMPLATE_RE.search(protected):
            return value, None  # only secret references: nothing for Jinja to do
        try:
            rendered = self._template(protected).render(self._scope)
        except jinja2.UndefinedError as exc:
            return value, self._undefined(str(exc.message))
        except jinja2.TemplateSyntaxError as exc:
            return value, error(f"template syntax error: {exc.message}")
        except Exception as exc:  # noqa: BLE001 - any template failure is the user's input
            return value, error(f"template error: {exc}")
        return _PLACEHOLDER_RE.sub(lambda m: secrets[int(m.group(1))], rendered), None

    def _template(self, source: str) -> jinja2.Template:
        """Compiled once per distinct string: large stacks repeat the same templates, and
        compiling costs far more than rendering."""
        template = self._templates.get(source)
        if template is None:
            template = self._templates[source] = self._env.from_string(source)
        return template

    def _undefined(self, message: str) -> Diagnostic:
        if "\x00" in message:
            name, hint = message.split("\x00", 1)
            return error(f"undefined template value '{name}'", hint=hint or None)
        undefined = _UNDEFINED_NAME.search(message)
        if undefined:
            name = undefined.group(1)
            return error(f"undefined template name '{name}'",
                         hint=did_you_mean(name, self._scope)
                         or "templates can use `var`, `target` and `env`")
        return error(f"template error: {message}")


def render_tree(value: Any, renderer: Renderer, path: tuple = ()
                ) -> tuple[Any, list[tuple[tuple, Diagnostic]]]:
    """Render every string in a value tree; diagnostics come with the path of their string."""
    problems: list[tuple[tuple, Diagnostic]] = []

    def walk(node: Any, here: tuple) -> Any:
        if isinstance(node, str):
            rendered, problem = renderer.render(node)
            if problem:
                problems.append((here, problem))
            return rendered
        if isinstance(node, dict):
            return {k: walk(v, (*here, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, (*here, i)) for i, v in enumerate(node)]
        return node

    return walk(value, path), problems
