"""YAML text -> plain values plus the file:line:col of every node; duplicate keys are errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from provisioner.diagnostics import Diagnostic, Span, error

MAX_FILE_BYTES = 2 * 1024 * 1024
"""A stack file is hand-written config; anything larger is a mistake, not a stack."""
MAX_DEPTH = 64
MAX_NODES = 100_000
"""Limits no hand-written stack reaches; they stop runaway nesting and alias bombs."""
_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_AS_WRITTEN = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp")
"""Scalars whose value is their text: taken without PyYAML's constructor (most of a large
stack's loading time)."""
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)

Path = tuple[str | int, ...]


def kind_of(value: Any) -> str:
    """A value's YAML type, for messages: `mapping`, `list`, `string`, `number`, ..."""
    if isinstance(value, bool):
        return "boolean"
    names = {dict: "mapping", list: "list", str: "string", int: "number", float: "number"}
    return next((n for t, n in names.items() if isinstance(value, t)), "null")


@dataclass
class Document:
    """One parsed file: its value and where each node of it (by path) came from."""

    file: str
    value: Any
    spans: dict[Path, Span] = field(default_factory=dict)

    def span(self, path: Path) -> Span:
        """The closest known span: the node itself, else its nearest ancestor."""
        while path not in self.spans and path:
            path = path[:-1]
        return self.spans.get(path, Span(self.file, 1, 1))


class _Refused(Exception):
    def __init__(self, message: str, node: yaml.Node):
        super().__init__(message)
        self.node = node


class _SpanBuilder:
    def __init__(self, file: str):
        self.file = file
        self.spans: dict[Path, Span] = {}
        self.diagnostics: list[Diagnostic] = []
        self._constructor = yaml.SafeLoader("")

    def span(self, node: yaml.Node) -> Span:
        mark = node.start_mark
        return Span(self.file, mark.line + 1, mark.column + 1)

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.spans[path] = self.span(node)
        if len(self.spans) > MAX_NODES:  # aliases re-expand their anchor at every use
            raise _Refused(f"more than {MAX_NODES} values once aliases are expanded", node)
        if len(path) > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep", node)
        if isinstance(node, yaml.CollectionNode) and node.tag not in _COLLECTION_TAGS:
            raise _Refused(f"unsupported tag '{node.tag}'", node)  # e.g. !!python/object
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag in _AS_WRITTEN:
            return node.value  # strings, and dates as written: specs decide what they mean
        return self._constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self._scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if key in seen:
                first = self.span(seen[key])
                self.diagnostics.append(error(
                    f"duplicate key '{key}' (first defined at line {first.line})",
                    self.span(key_node),
                    hint="YAML keeps only one of them silently elsewhere; here it is an error",
                ))
            seen[key] = key_node
        self._constructor.flatten_mapping(node)  # resolves `<<: *anchor` merges
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.diagnostics.append(error("mapping keys must be plain strings",
                                              self.span(key_node)))
                continue
            key = self._scalar(key_node)
            if key is None or isinstance(key, bool | list | dict):
                self.diagnostics.append(error(f"invalid key '{key_node.value}'",
                                              self.span(key_node)))
                continue
            key = str(key)
            child = (*path, key)
            result[key] = self.build(value_node, child)
            self.spans[(*child, "<key>")] = self.span(key_node)
        return result


def parse(text: str, file: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse one YAML document. Returns None and diagnostics when it cannot be read."""
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = Span(file, mark.line + 1, mark.column + 1) if mark else Span(file, 1, 1)
        return None, [error(f"invalid YAML: {_problem(exc)}", span, hint=_yaml_hint(exc, text))]
    except yaml.YAMLError as exc:
        return None, [error(f"invalid YAML: {exc}", Span(file, 1, 1))]
    except RecursionError:
        return None, [error(f"invalid YAML: nested more than {MAX_DEPTH} levels deep",
                            Span(file, 1, 1))]
    if node is None:
        return Document(file, None), []
    builder = _SpanBuilder(file)
    try:
        value = builder.build(node, ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        span = Span(file, mark.line + 1, mark.column + 1) if mark else Span(file, 1, 1)
        return None, [error(f"invalid YAML: {exc.problem}", span)]
    except _Refused as exc:
        return None, [error(f"invalid YAML: {exc}", builder.span(exc.node))]
    return Document(file, value, builder.spans), builder.diagnostics


def _compose(text: str) -> yaml.Node | None:
    """libyaml's parser when PyYAML has it: ten times faster on a large stack. A text it
    refuses is parsed again by the pure-Python parser, whose messages the diagnostics use."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


INDENTATION_PROBLEMS = ("expected <block end>", "mapping values are not allowed here",
                       "did not find expected key")
"""What PyYAML says when a line is indented differently from the keys beside it."""


def _yaml_hint(exc: yaml.MarkedYAMLError, text: str) -> str | None:
    """What to change, for the mistakes PyYAML names by their grammar: a tab, or a key
    indented differently from its siblings (said with the column it should start at)."""
    if "'\\t'" in str(exc):
        return "indent with spaces: YAML does not allow tabs"
    if not any(p in (exc.problem or "") for p in INDENTATION_PROBLEMS) or not exc.problem_mark:
        return None
    lines = text.splitlines()
    number = exc.problem_mark.line
    if number >= len(lines):
        return None
    here = len(lines[number]) - len(lines[number].lstrip(" "))
    above = next((line for line in reversed(lines[:number]) if line.strip()), "")
    sibling = len(above) - len(above.lstrip(" "))
    if here == sibling:
        return "check the indentation here: YAML nests keys by their indentation"
    return (f"line {number + 1} is indented {here} spaces, line above it {sibling}: a key "
            "lines up with the keys of its mapping (YAML nests by indentation)")


def _problem(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem, with the construct it was in: `... (while parsing a flow mapping at
    line 4, column 9)`, or `expected a single document in the stream, but found another`."""
    mark = exc.context_mark
    if not (exc.problem and exc.context and mark):
        return exc.problem or exc.context or "unreadable"
    if not exc.context.startswith("while"):
        return f"{exc.context}, {exc.problem.removeprefix('but ')}"
    return f"{exc.problem} ({exc.context} at line {mark.line + 1}, column {mark.column + 1})"


def read(path: str, display: str) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse a file, turning unreadable, oversized or binary files into diagnostics."""
    start = Span(display, 1, 1)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, [error(f"cannot read '{display}': {exc.strerror}")]  # no line to show
    if len(data) > MAX_FILE_BYTES:
        return None, [error(
            f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB", start,
            hint="a stack file is configuration; split it with `include:`",
        )]
    if b"\0" in data:
        return None, [error("file is binary, not YAML text", _offset_span(data, data.index(b"\0"),
                                                                         display))]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [error("file is not UTF-8 text", _offset_span(data, exc.start, display),
                            hint="save it with the UTF-8 encoding")]
    return parse(text, display)


def _offset_span(data: bytes, offset: int, file: str) -> Span:
    before = data[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return Span(file, line, column)
