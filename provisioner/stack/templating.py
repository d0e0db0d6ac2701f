"""Render each YAML string on its own with Jinja2, in the sandbox of `sandbox.py`; secret
references pass through untouched. `literal` is the inverse: template source that renders to
a given text, whatever the text holds."""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from typing import Any

import jinja2

from provisioner.addresses import SECRET_RE
from provisioner.diagnostics import Diagnostic, did_you_mean, error
from provisioner.stack.sandbox import SandboxEnvironment

_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")
_TEMPLATE_RE = re.compile(r"\{[{%#]")
_ESCAPES = {"{": "{{ '{' }}", "\r": "{{ '\\r' }}"}
"""Template source for the characters Jinja would read: every `{` (so none can open a tag,
whatever follows it), and a carriage return (Jinja's lexer turns `\\r\\n` into `\\n`).
Neither holds any text of the value."""


def literal(text: str) -> str:
    """Template source that renders to exactly `text`: every `{` is written as an expression,
    so no content can end the escape (as `{% endraw %}` ends a raw block). Secret references
    stay as written (rendering leaves them untouched)."""
    if not needs_rendering(text):
        return text
    pieces, start = [], 0
    for match in SECRET_RE.finditer(text):
        pieces += [_escaped(text[start:match.start()]), match.group(0)]
        start = match.end()
    return "".join([*pieces, _escaped(text[start:])])


def _escaped(text: str) -> str:
    return "".join(_ESCAPES.get(char, char) for char in text)


def protect_secrets(source: str) -> str:
    """Template source with each secret reference written as text (it renders unchanged)."""
    return SECRET_RE.sub(lambda m: _escaped(m.group(0)), source)


def needs_rendering(text: str) -> bool:
    """Whether Jinja would read anything in `text` besides secret references."""
    return _TEMPLATE_RE.search(SECRET_RE.sub(" ", text)) is not None


class TargetName(str):
    """`{{ target }}` renders the target's name; `{{ target.name }}` too."""

    @property
    def name(self) -> str:
        return str(self)


class _Namespace(dict):
    """`var`: `var.x` is always the entry x (never a dict attribute such as `items`), and a
    missing entry names itself in the error, with `otherwise` as the fallback hint."""

    def __init__(self, name: str, values: Mapping[str, Any], otherwise: str):
        super().__init__(values)
        self.name = name
        self.otherwise = otherwise


class Environ:
    """`env`: only the variables the stack declares under `env:`. Not a mapping: it cannot
    be printed, iterated or serialized whole, so no template can dump the environment."""

    def __init__(self, values: Mapping[str, str], declared: Set[str]):
        self._values = dict(values)
        self.declared = frozenset(declared)

    def entry(self, name: str, undefined: type[jinja2.Undefined]) -> Any:
        if name in self._values:
            return self._values[name]
        if name in self.declared:
            return undefined(hint=f"env.{name}\x00it is not set in the environment; "
                                  f"`{{{{ env.{name} | default('...') }}}}` gives a fallback")
        return undefined(hint=f"\x01{name}\x00" + (
            did_you_mean(name, self.declared)
            or f"a stack reads only the environment variables it lists under `env:`; "
               f"add `env: [{name}]` to stack.yaml"))

    def __str__(self) -> str:
        return "env"

    __repr__ = __str__


class _Environment(SandboxEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, _Namespace | Environ):
            return self._entry(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, _Namespace | Environ):
            return self._entry(obj, str(argument))
        return super().getitem(obj, argument)

    def _entry(self, namespace: _Namespace | Environ, name: str) -> Any:
        if isinstance(namespace, Environ):
            return namespace.entry(name, self.undefined)
        if name in namespace:
            return namespace[name]
        hint = did_you_mean(name, namespace) or namespace.otherwise
        return self.undefined(hint=f"{namespace.name}.{name}\x00{hint}")


class Renderer:
    """A sandboxed environment with `var`, `target` and `env` in scope, strict about
    undefined; `environ` holds the declared environment variables that are set."""

    def __init__(self, variables: Mapping[str, Any], target: str, environ: Mapping[str, str],
                 declared_env: Set[str] | None = None):
        self._env = _Environment()
        self._scope = {
            "var": _Namespace("var", variables, "declare it under `variables:`"),
            "target": TargetName(target),
            "env": Environ(environ, set(environ) if declared_env is None else declared_env),
        }

    def render(self, value: str) -> tuple[str, Diagnostic | None]:
        """Render one string; on failure return it unchanged with a diagnostic (no span yet)."""
        if "{{" not in value and "{%" not in value and "{#" not in value:
            return value, None
        if not needs_rendering(value):
            return value, None  # only secret references: nothing for Jinja to do
        try:
            return self._env.render(protect_secrets(value), self._scope), None
        except jinja2.UndefinedError as exc:
            return value, self._undefined(str(exc.message))
        except jinja2.TemplateSyntaxError as exc:
            return value, error(f"template syntax error: {exc.message}")
        except RecursionError:
            return value, error("template error: nested too deeply")
        except Exception as exc:  # noqa: BLE001 - any template failure is the user's input
            return value, error(f"template error: {exc}")

    def _undefined(self, message: str) -> Diagnostic:
        if message.startswith("\x01") and "\x00" in message:
            name, hint = message[1:].split("\x00", 1)
            return error(f"environment variable '{name}' is not declared", hint=hint)
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
