"""The Jinja sandbox stack templates run in: stack files are untrusted (they arrive in pull
requests), so a template may compute text from its values and nothing else.

Stricter than `jinja2.sandbox.ImmutableSandboxedEnvironment`, whose attribute rules it keeps:
- only the filters and globals of docs/stack-language.md, and calls only to those and to a few
  read-only str/dict methods (`cycler`, `lipsum`, `self`, `.format` reach nothing);
- statements are `if`, `for`, `set x = ...` and `with`: no macros, blocks, includes or
  imports (no recursion, nothing read from disk);
- budgets per string: loop iterations, the size of every value built and of the output, and
  CPU time (also summed over a whole stack load). Operators and filters that could build a
  huge value in one step (`*`, `**`, `~`, `replace`, `join`) check the size before building.
"""

from __future__ import annotations

import functools
import math
import operator
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.filters import FILTERS, make_attrgetter
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

MAX_VALUE = 100_000
"""Characters (or items) of the output of one string, and of any value built on the way."""
MAX_ITERATIONS = 10_000
"""Loop iterations (and `range` items) in one string, all loops together."""
MAX_SECONDS = 1.0
"""CPU seconds one string may take to render."""
MAX_STACK_SECONDS = 10.0
"""CPU seconds all the strings of one stack load may take together."""
MAX_POWER_BITS = 4096
"""`a ** b` may not make an integer longer than this."""

FILTER_NAMES = (
    "abs", "capitalize", "count", "d", "default", "dictsort", "first", "float", "int", "items",
    "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr",
    "replace", "reverse", "round", "select", "selectattr", "sort", "string", "sum", "title",
    "tojson", "trim", "truncate", "unique", "upper", "urlencode",
)
"""The documented filters; Jinja's others (format, center, indent, wordwrap, random, attr,
...) are absent: they format, pad, or are not deterministic."""
STR_METHODS = frozenset({
    "lower", "upper", "title", "capitalize", "strip", "lstrip", "rstrip", "split", "rsplit",
    "splitlines", "startswith", "endswith", "removeprefix", "removesuffix",
})
DICT_METHODS = frozenset({"items", "keys", "values", "get"})
"""Read-only methods a template may call: none builds more than it is given."""
STATEMENTS = (nodes.Output, nodes.TemplateData, nodes.If, nodes.For, nodes.Assign, nodes.With)
_STATEMENT_WORDS = {nodes.Macro: "macro", nodes.CallBlock: "call", nodes.FilterBlock: "filter",
                    nodes.AssignBlock: "set ... endset", nodes.Block: "block",
                    nodes.Extends: "extends", nodes.Include: "include", nodes.Import: "import",
                    nodes.FromImport: "from ... import", nodes.Scope: "scope"}
_LOOP = "__loop_budget"
_CONCAT = "__concat_budget"


class LimitExceeded(SecurityError):
    """A template went over one of the budgets above."""


class _Budget:
    """What one string has used so far; the stack's CPU total lives in the environment."""

    def __init__(self, stack_seconds_left: float):
        self.started = time.thread_time()
        self.deadline = self.started + min(MAX_SECONDS, stack_seconds_left)
        self.iterations = 0
        self.stack_limited = stack_seconds_left < MAX_SECONDS

    def tick(self, iterations: int = 0) -> None:
        self.iterations += iterations
        if self.iterations > MAX_ITERATIONS:
            raise LimitExceeded(f"loops ran more than {MAX_ITERATIONS} iterations")
        if time.thread_time() > self.deadline:
            raise LimitExceeded(
                f"the stack's templates took more than {MAX_STACK_SECONDS:g}s of CPU in all"
                if self.stack_limited else f"took more than {MAX_SECONDS:g}s of CPU")


_current = threading.local()


def _budget() -> _Budget:
    budget = getattr(_current, "budget", None)
    if budget is None:  # only reachable from outside a render (never from a stack)
        raise SecurityError("templates run only through SandboxEnvironment.render")
    return budget


def _checked(value: Any) -> Any:
    """`value` if it is within MAX_VALUE characters or items (and time is left)."""
    _budget().tick()
    if isinstance(value, str | bytes | list | tuple | dict | set) and len(value) > MAX_VALUE:
        raise LimitExceeded(f"a value of {len(value)} characters or items is larger than "
                            f"{MAX_VALUE}")
    return value


def _guarded(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps Jinja's pass_context/pass_environment marker
    def run(*args: Any, **kwargs: Any) -> Any:
        _budget().tick()
        return _checked(function(*args, **kwargs))

    return run


@jinja2.pass_environment
def _join(environment: jinja2.Environment, value: Iterable[Any], d: str = "",
          attribute: str | int | None = None) -> str:
    if attribute is not None:
        value = map(make_attrgetter(environment, attribute), value)
    parts = [str(item) for item in value]  # a value within MAX_VALUE items
    _checked_size(sum(map(len, parts)) + len(str(d)) * max(len(parts) - 1, 0))
    return str(d).join(parts)


def _replace(s: Any, old: str, new: str, count: int | None = None) -> str:
    s, old, new = str(s), str(old), str(new)
    times = s.count(old) if old else len(s) + 1
    if count is not None:
        times = min(times, count)
    _checked_size(len(s) + times * (len(new) - len(old)))
    return s.replace(old, new, -1 if count is None else count)


def _checked_size(size: int) -> None:
    if size > MAX_VALUE:
        raise LimitExceeded(f"a value of {size} characters would be larger than {MAX_VALUE}")


def _range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_ITERATIONS:
        raise LimitExceeded(f"range of {len(numbers)} items is more than {MAX_ITERATIONS}")
    return numbers


def _loop(iterable: Iterable[Any]) -> Iterator[Any]:
    """Every `for` iterates through this: each iteration counts against the budget."""
    budget = _budget()
    for item in iterable:
        budget.tick(1)
        yield item


def _concat(parts: list[Any]) -> str:
    texts = [str(part) for part in parts]
    _checked_size(sum(map(len, texts)))
    return "".join(texts)


def _multiply(left: Any, right: Any) -> Any:
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(times, int):
            _checked_size(len(sequence) * max(times, 0))
    return operator.mul(left, right)


def _power(left: Any, right: Any) -> Any:
    if (isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0
            and right * math.log2(abs(left)) > MAX_POWER_BITS):
        raise LimitExceeded(f"{left} ** {right} is larger than {MAX_POWER_BITS} bits")
    return operator.pow(left, right)


def _modulo(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        raise SecurityError("`%` string formatting is not available; use `~` to join text")
    return operator.mod(left, right)


def _add(left: Any, right: Any) -> Any:
    if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
        _checked_size(len(left) + len(right))
    return operator.add(left, right)


_BINOPS = {"*": _multiply, "**": _power, "%": _modulo, "+": _add}


class _Budgeted(NodeTransformer):
    """Refuses statements outside STATEMENTS, routes loops and `~` through the budget."""

    def generic_visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> nodes.Node:
        if isinstance(node, nodes.Stmt) and not isinstance(node, STATEMENTS):
            word = _STATEMENT_WORDS.get(type(node), type(node).__name__.lower())
            raise jinja2.TemplateSyntaxError(
                f"`{{% {word} %}}` is not available in stack templates", node.lineno)
        return super().generic_visit(node, *args, **kwargs)

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, _LOOP, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), _CONCAT, [], [], None,
                            None, lineno=node.lineno)


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    """Renders one string at a time under the budgets; see the module's docstring."""

    intercepted_binops = frozenset(_BINOPS)

    def __init__(self) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=False,
                         keep_trailing_newline=True, optimized=False)
        self.filters = {name: _guarded(FILTERS[name]) for name in FILTER_NAMES}
        self.filters.update({"join": _guarded(_join), "replace": _guarded(_replace),
                             _LOOP: _loop, _CONCAT: _concat})
        self.globals = {"range": _range}
        self._allowed_calls = {id(f) for f in self.globals.values()}
        self.stack_seconds = 0.0
        self._compiled: dict[str, jinja2.Template] = {}

    def render(self, source: str, scope: dict[str, Any]) -> str:
        """`source` compiled (once per distinct string: large stacks repeat templates, and
        compiling costs far more than rendering) and rendered, both within the budgets; the
        output is checked as it is produced."""
        with _Guard(self):
            template = self._compiled.get(source)
            if template is None:
                tree = _Budgeted().visit(self.parse(source))
                template = self._compiled[source] = self.from_string(tree)
            parts, size = [], 0
            for part in template.root_render_func(template.new_context(scope)):
                size += len(part)
                _checked_size(size)
                _budget().tick()
                parts.append(part)
            return "".join(parts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _budget().tick()
        return _checked(_BINOPS[operator](left, right))

    def is_safe_callable(self, obj: Any) -> bool:
        if isinstance(obj, jinja2.Undefined) or id(obj) in self._allowed_calls:
            return True
        owner, name = getattr(obj, "__self__", None), getattr(obj, "__name__", "")
        return (isinstance(owner, str) and name in STR_METHODS) or (
            isinstance(owner, dict) and name in DICT_METHODS)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if not __self.is_safe_callable(__obj):
            raise SecurityError(f"calling {_callable_name(__obj)} is not available in stack "
                                "templates")
        return _checked(__context.call(__obj, *args, **kwargs))


def _callable_name(obj: Any) -> str:
    name = getattr(obj, "__name__", None)
    return f"'{name}'" if isinstance(name, str) else f"a {type(obj).__name__}"


class _Guard:
    """Installs a string's budget for the thread; adds the CPU it used to the stack's total."""

    def __init__(self, environment: SandboxEnvironment):
        self.environment = environment

    def __enter__(self) -> _Budget:
        left = MAX_STACK_SECONDS - self.environment.stack_seconds
        if left <= 0:
            raise LimitExceeded(f"the stack's templates took more than {MAX_STACK_SECONDS:g}s "
                                "of CPU in all")
        _current.budget = _Budget(left)
        return _current.budget

    def __exit__(self, *exc: object) -> None:
        budget = _current.budget
        self.environment.stack_seconds += time.thread_time() - budget.started
        _current.budget = None
