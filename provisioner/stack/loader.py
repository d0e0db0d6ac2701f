"""A stack folder -> a `Stack`: files, includes, target, variables, templates, specs, references."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provisioner.addresses import (
    KEY_PATTERN,
    Address,
    SecretReference,
    find_secret_references,
    format_field_path,
    has_reference,
)
from provisioner.diagnostics import Diagnostic, Span, did_you_mean, error, has_errors
from provisioner.errors import UserError
from provisioner.specs import SPECS
from provisioner.specs.base import ResourceSpec, StackPath
from provisioner.stack import confinement, nodes, references, variables
from provisioner.stack.model import (
    IncludedFile,
    Move,
    MovedDecl,
    Resource,
    Stack,
    StackFile,
    Target,
)
from provisioner.stack.nodes import Document
from provisioner.stack.targets import LOCAL, TargetDecl, bad_name, merge
from provisioner.stack.templating import Renderer, render_tree
from provisioner.stack.validation import marked, may_hold, validate

STACK_FILE = "stack.yaml"
_KEY_RE = re.compile(KEY_PATTERN)


@dataclass(frozen=True)
class Options:
    """What the command line adds to the files: the target and variable values."""

    target: str | None = None
    cli_vars: Sequence[str] = ()
    var_files: Sequence[str] = ()
    saved_variables: Mapping[str, Any] = field(default_factory=dict)
    """Values a saved plan was made with (applying it supplies the plaintext it holds only by
    hash); above the environment, below --var-file and --var."""
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass
class _Raw:
    """One resource as written: its value, and where each of its fields came from."""

    value: Any
    document: Document
    prefix: tuple
    overrides: list[tuple[Document, tuple]] = field(default_factory=list)

    def span_of(self, path: tuple) -> Span:
        for document, prefix in reversed(self.overrides):
            if (*prefix, *path) in document.spans:
                return document.span((*prefix, *path))
        return self.document.span((*self.prefix, *path))

    @property
    def span(self) -> Span:
        return self.document.span((*self.prefix, "<key>"))


def find_stack_file(path: str | os.PathLike[str]) -> Path:
    """PATH is a stack folder or its stack.yaml."""
    candidate = Path(path)
    if candidate.is_dir():
        candidate = candidate / STACK_FILE
    if not candidate.is_file():
        raise UserError([error(f"no {STACK_FILE} found at '{path}'",
                               hint="pass a stack folder or its stack.yaml")])
    return candidate


def load(path: str | os.PathLike[str], options: Options | None = None) -> Stack:
    """Load and check a stack; raises UserError with every diagnostic found."""
    options = options or Options()
    loader = _Loader(find_stack_file(path), options)
    stack = loader.run()
    if stack is None or has_errors(loader.diagnostics):
        raise UserError(sorted(loader.diagnostics, key=_order))
    return stack


def load_head(path: str | os.PathLike[str], target: str | None) -> Stack:
    """Only what locates a stack's state and workspace: its name, folder and target, with no
    resources and no variables (so none need a value). For the commands that tend the state:
    `state`, `refresh`, `force-unlock`."""
    loader = _Loader(find_stack_file(path), Options(target=target))
    stack = loader.head()
    if stack is None or has_errors(loader.diagnostics):
        raise UserError(sorted(loader.diagnostics, key=_order))
    return stack


def new_stack(path: str | os.PathLike[str], target: str | None) -> Stack:
    """The empty stack a folder without stack.yaml stands for, named after the folder: what
    `generate` writes a stack for. Its target has no `workspace:` block: `local` is the
    embedded workspace, any other name the environment's unified auth."""
    root = Path(path)
    return Stack(name=root.resolve().name, root=root, stack_file=str(root / STACK_FILE),
                 target=Target(target or LOCAL, None, "local"), variables={}, resources={},
                 secret_references={})


def has_stack(path: str | os.PathLike[str]) -> bool:
    candidate = Path(path)
    return (candidate / STACK_FILE).is_file() if candidate.is_dir() else candidate.is_file()


def _dedented_field(word: str, document: Document, prefix: tuple) -> str | None:
    """A resource's field written at the kinds' indentation reads as a kind: when `word` is a
    field of the resource just above it, say where it belongs."""
    section: Any = document.value
    for step in prefix:
        section = section.get(step) if isinstance(section, dict) else None
    kinds = list(section) if isinstance(section, dict) else []
    above = kinds[:kinds.index(word)] if word in kinds else []
    if not above or above[-1] not in SPECS or not isinstance(section[above[-1]], dict):
        return None
    kind = above[-1]
    if word not in SPECS[kind].model_fields or not section[kind]:
        return None
    key = list(section[kind])[-1]
    return (f"'{word}' is a field of {kind}: indent it under the resource it belongs to "
            f"(e.g. {kind}.{key} above), not at the level of the kinds")


def _order(d: Diagnostic) -> tuple:
    return (d.span.file, d.span.line, d.span.column) if d.span else ("", 0, 0)


def _key_for_name(raw: _Raw):
    """Where a name defaulted from the key is written: at the key."""
    return lambda path: raw.span if path[:1] == ("name",) else raw.span_of(path)


def _names_taken_twice(resources: Mapping[Address, Resource]) -> list[Diagnostic]:
    """Two resources of the stack may not name one object in the workspace: each apply
    would change it back to its own spec, and a lost create would adopt the other's."""
    first: dict[tuple[str, str], Resource] = {}
    problems = []
    for address, resource in resources.items():
        spec = type(resource.spec)
        if has_reference(resource.name):
            continue  # known at apply time only
        namespace = spec.NAMESPACE or spec.KIND
        taken = first.setdefault((namespace, resource.name), resource)
        if taken is not resource:
            problems.append(error(
                f"{address} has the same name '{resource.name}' as {taken.address} "
                f"({taken.span}); both are {namespace}", resource.span_of(("name",)),
                hint="give each resource its own name"))
    return problems


def _moves(blocks: list[MovedDecl], resources: Mapping[Address, Resource], main: Document
           ) -> tuple[tuple[Move, ...], list[Diagnostic]]:
    """`moved:` blocks, checked: both ends are addresses of known kinds naming the same kind
    of workspace object, `to` is declared and `from` no longer is, and no address moves
    twice."""
    moves, problems, seen = [], [], set()
    for index, block in enumerate(blocks):
        ends = []
        for end, text in (("from", block.from_), ("to", block.to)):
            span = main.span(("moved", index, end))
            try:
                address = Address.parse(text)
            except ValueError as exc:
                problems.append(error(f"moved.{end}: {exc}", span))
                continue
            if address.kind not in SPECS:
                problems.append(error(f"moved.{end}: no kind '{address.kind}'", span,
                                      hint=did_you_mean(address.kind, SPECS)))
                continue
            ends.append(address)
        if len(ends) != 2:
            continue
        source, destination = ends
        span = main.span(("moved", index))
        if destination not in resources:
            problems.append(error(
                f"moved.to: {destination} is not declared in the stack",
                main.span(("moved", index, "to")),
                hint=did_you_mean(str(destination), [str(a) for a in resources])))
        elif source in resources:
            problems.append(error(
                f"moved.from: {source} is still declared in the stack; a moved block names "
                "the address a resource had before", main.span(("moved", index, "from")),
                hint="remove the old resource, or this block"))
        elif _namespace(source) != _namespace(destination):
            problems.append(error(
                f"cannot move {source} to {destination}: one is a {_namespace(source)}, "
                f"the other a {_namespace(destination)}", span))
        elif source in seen:
            problems.append(error(f"moved.from: {source} is moved twice",
                                  main.span(("moved", index, "from"))))
        else:
            seen.add(source)
            moves.append(Move(source, destination, span))
    return tuple(moves), problems


def _namespace(address: Address) -> str:
    spec = SPECS[address.kind]
    return spec.NAMESPACE or spec.KIND


def _fields(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, tuple]]:
    """Each node's path below the root, and the path of where it is written: a mapping or list
    field at its key (a block value starts on the next line), anything else at its value."""
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for segment, child in items:
        here = (*path, segment)
        nested = isinstance(child, dict | list) and isinstance(segment, str)
        yield here, (*here, "<key>") if nested else here
        yield from _fields(child, here)


def _digest(documents: list[Document]) -> str:
    """What the stack's files say, as one hash: a saved plan names the stack it came from."""
    text = json.dumps([d.value for d in documents], sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _display(path: Path) -> str:
    """Relative to the working directory when below it (as editors and CI link it)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


class _Loader:
    def __init__(self, stack_file: Path, options: Options):
        self.stack_file = stack_file
        self.root = stack_file.parent
        self.confines = confinement.allowed_root(self.root)
        self.options = options
        self.diagnostics: list[Diagnostic] = []

    def _declaration(self) -> tuple[Document, StackFile] | None:
        """stack.yaml read, and checked but for its resources."""
        if not confinement.inside(self.stack_file, self.confines):
            raise UserError([error(f"{_display(self.stack_file)} is a link to a file outside "
                                   "the stack's folder", hint=confinement.RULE)])
        main = self._read(self.stack_file)
        if main is None:
            return None
        head = {k: v for k, v in main.value.items() if k != "resources"}
        decl, problems = validate(StackFile, head, main.span)
        self.diagnostics += problems
        if decl is None:
            return None
        self._check_names(decl, main)
        return main, decl

    def head(self) -> Stack | None:
        declared = self._declaration()
        if declared is None:
            return None
        main, decl = declared
        target_name, target_decl = self._target(decl.targets, main)
        return Stack(name=decl.stack, root=self.root, stack_file=_display(self.stack_file),
                     target=Target(target_name, target_decl.workspace, target_decl.state),
                     variables={}, resources={}, secret_references={})

    def run(self) -> Stack | None:
        declared = self._declaration()
        if declared is None:
            return None
        main, decl = declared
        environ = self._environment(decl.env, main)
        documents = [main, *self._includes(decl.include, main)]
        declared = self._declared_variables(documents)
        target_name, target_decl = self._target(decl.targets, main)
        values = self._variables(declared, target_name, target_decl, main)
        if has_errors(self.diagnostics):
            return None  # resources would only repeat these errors
        raws = self._resources(documents)  # a resource written wrong hides no other's errors
        self._apply_overrides(raws, target_name, target_decl, main)
        renderer = Renderer(values, target_name, environ, set(decl.env))
        resources = self._specs(raws, renderer)
        if has_errors(self.diagnostics):
            return None
        self.diagnostics += references.cycles(resources)
        self.diagnostics += _names_taken_twice(resources)
        moves = _moves(decl.moved, resources, main)
        self.diagnostics += moves[1]
        return Stack(
            name=decl.stack,
            root=self.root,
            stack_file=_display(self.stack_file),
            target=Target(target_name, target_decl.workspace, target_decl.state),
            variables=values,
            resources=dict(sorted(resources.items())),
            secret_references=self._secrets(raws, resources),
            digest=_digest(documents),
            moved=moves[0],
        )

    def _read(self, path: Path, *, required: bool = True) -> Document | None:
        document, problems = nodes.read(str(path), _display(path))
        self.diagnostics += problems
        if document is None:
            return None
        if document.value is None:
            if required:
                self.diagnostics.append(error("the stack file is empty", document.span(()),
                                              hint="start with `stack: <name>`"))
                return None
            document.value = {}
        if not isinstance(document.value, dict):
            self.diagnostics.append(error(
                f"expected a mapping at the top of the file, got a "
                f"{nodes.kind_of(document.value)}", document.span(())))
            return None
        return document

    def _check_names(self, decl: StackFile, main: Document) -> None:
        """Names that become file and state paths: the stack's and its targets'."""
        if problem := bad_name(decl.stack):
            self.diagnostics.append(error(f"stack name {decl.stack!r} {problem}",
                                          main.span(("stack",))))
        for name in decl.targets:
            if problem := bad_name(name):
                self.diagnostics.append(error(f"target name {name!r} {problem}",
                                              main.span(("targets", name, "<key>"))))

    def _environment(self, names: list[str], main: Document) -> dict[str, str]:
        """The environment variables the stack declares under `env:` (and may read)."""
        readable = {}
        for index, name in enumerate(names):
            if problem := variables.unreadable_env(name):
                credential = variables.CREDENTIAL_NAMES.search(name) is not None
                self.diagnostics.append(error(f"env: {problem}", main.span(("env", index)),
                                              hint=variables.ENV_HINT if credential else None))
            elif name in self.options.environ:
                readable[name] = self.options.environ[name]
        return readable

    def _includes(self, patterns: list[str], main: Document) -> list[Document]:
        documents = []
        seen = {self.stack_file.resolve()}
        for index, pattern in enumerate(patterns):
            span = main.span(("include", index))
            matches, problem = confinement.glob(self.root, pattern, self.confines)
            if problem:
                self.diagnostics.append(error(f"include '{pattern}' {problem}", span,
                                              hint=confinement.RULE))
                continue
            if not matches:
                self.diagnostics.append(error(f"include '{pattern}' matches no file", span))
            for path in matches:
                if path.resolve() in seen or not path.is_file():
                    continue
                seen.add(path.resolve())
                document = self._read(path, required=False)
                if document is not None:
                    _, problems = validate(IncludedFile, document.value, document.span)
                    self.diagnostics += problems
                    if not problems:
                        documents.append(document)
        return documents

    def _declared_variables(self, documents: list[Document]) -> dict:
        declared: dict[str, tuple[Any, Span]] = {}
        for document in documents:
            for name, value in (document.value.get("variables") or {}).items():
                span = document.span(("variables", name, "<key>"))
                if name in declared:
                    self.diagnostics.append(error(
                        f"variable '{name}' is declared twice (also at {declared[name][1]})",
                        span))
                    continue
                decl, problems = validate(variables.VariableDecl, value or {},
                                          lambda p, n=name, d=document:
                                          d.span(("variables", n, *p)))
                self.diagnostics += problems
                if decl is not None:
                    declared[name] = (decl, span)
        return declared

    def _target(self, targets: dict[str, TargetDecl], main: Document) -> tuple[str, TargetDecl]:
        defaults = [name for name, t in targets.items() if t.default]
        if len(defaults) > 1:
            self.diagnostics.append(error(
                f"more than one target is the default: {', '.join(defaults)}",
                main.span(("targets", defaults[1], "default"))))
        wanted = self.options.target or (defaults[0] if defaults else LOCAL)
        if wanted in targets:
            return wanted, targets[wanted]
        if wanted == LOCAL:
            return LOCAL, TargetDecl()
        self.diagnostics.append(error(
            f"unknown target '{wanted}'", main.span(("targets",)),
            hint=did_you_mean(wanted, [*targets, LOCAL])
            or f"targets: {', '.join(sorted({*targets, LOCAL}))}"))
        return wanted, TargetDecl()

    def _resources(self, documents: list[Document]) -> dict[Address, _Raw]:
        raws: dict[Address, _Raw] = {}
        for document in documents:
            section = document.value.get("resources")
            if section is None:
                continue
            if not isinstance(section, dict):
                self.diagnostics.append(error("`resources` must be a mapping of kinds",
                                              document.span(("resources",))))
                continue
            for kind, entries in section.items():
                for address, raw in self._entries(kind, entries, document, ("resources",)):
                    if address in raws:
                        first = raws[address].span
                        self.diagnostics.append(error(
                            f"resource '{address}' is defined twice (first at {first})", raw.span))
                    else:
                        raws[address] = raw
        return raws

    def _entries(self, kind: str, entries: Any, document: Document, prefix: tuple):
        here = (*prefix, kind)
        if kind not in SPECS:
            self.diagnostics.append(error(f"unknown resource kind '{kind}'",
                                          document.span((*here, "<key>")),
                                          hint=did_you_mean(kind, SPECS)
                                          or _dedented_field(kind, document, prefix)))
            return
        if entries is None:
            return
        if not isinstance(entries, dict):
            self.diagnostics.append(error(f"`{kind}` must map resource keys to their fields",
                                          document.span(here)))
            return
        for key, value in entries.items():
            if not _KEY_RE.fullmatch(key):
                self.diagnostics.append(error(
                    f"invalid resource key '{key}'", document.span((*here, key, "<key>")),
                    hint="keys use letters, digits, '_' and '-'"))
                continue
            if value is None:
                value = {}
            if not isinstance(value, dict):
                self.diagnostics.append(error(
                    f"resource '{kind}.{key}' must be a mapping of its fields, not a "
                    f"{nodes.kind_of(value)}", document.span((*here, key))))
                continue
            yield Address(kind, key), _Raw(value, document, (*here, key))

    def _apply_overrides(self, raws: dict[Address, _Raw], name: str, target: TargetDecl,
                         main: Document) -> None:
        prefix = ("targets", name, "resources")
        for kind, entries in target.resources.items():
            for address, override in self._entries(kind, entries, main, prefix):
                if address in raws:
                    base = raws[address]
                    base.value = merge(base.value, override.value)
                    base.overrides.append((main, override.prefix))
                else:
                    raws[address] = override

    def _variables(self, declared: dict, name: str, target: TargetDecl, main: Document
                   ) -> dict[str, Any]:
        assignments = [
            variables.Assignment(k, v, f"target '{name}'",
                                 main.span(("targets", name, "variables", k, "<key>")))
            for k, v in target.variables.items()
        ]
        assignments += variables.from_environment(self.options.environ)
        assignments += [variables.Assignment(k, v, "the saved plan")
                        for k, v in self.options.saved_variables.items()]
        for var_file in self.options.var_files:
            assignments += self._var_file(var_file)
        for text in self.options.cli_vars:
            try:
                var_name, value = variables.parse_cli_var(text)
            except ValueError as exc:
                self.diagnostics.append(error(f"--var: {exc}"))
                continue
            assignments.append(variables.Assignment(var_name, value, "--var", from_text=True))
        values, problems = variables.resolve(declared, assignments)
        self.diagnostics += problems
        return values

    def _var_file(self, path: str) -> list[variables.Assignment]:
        document, problems = nodes.read(path, path)
        self.diagnostics += problems
        if document is None:
            return []
        if not isinstance(document.value, dict):
            self.diagnostics.append(error("a --var-file must be a mapping of NAME: VALUE",
                                          document.span(())))
            return []
        return [variables.Assignment(k, v, f"--var-file {path}", document.span((k, "<key>")))
                for k, v in document.value.items()]

    def _specs(self, raws: dict[Address, _Raw], renderer: Renderer) -> dict[Address, Resource]:
        resources: dict[Address, Resource] = {}
        rendered_values: dict[Address, Any] = {}
        for address, raw in raws.items():
            rendered, problems = render_tree(raw.value, renderer)
            self.diagnostics += [d.at(raw.span_of(p)) for p, d in problems]
            if problems:
                continue  # its unrendered text would only add misleading errors
            spec_cls = SPECS[address.kind]
            span_of = raw.span_of
            if spec_cls.NAME_DEFAULTS_TO_KEY and "name" not in rendered:
                rendered = {"name": address.key, **rendered}  # checked like a written name
                span_of = _key_for_name(raw)
            spec, problems = validate(spec_cls, rendered, span_of, what=str(address))
            self.diagnostics += problems
            if spec is not None:
                self._check_files(address, spec, span_of)
                rendered_values[address] = rendered
                resources[address] = Resource(address, spec, raw.span)
        paths: dict[tuple, tuple] = {}  # resources of a kind share their field paths
        for address, resource in list(resources.items()):
            raw = raws[address]
            deps, problems = references.dependencies(rendered_values[address], raw.span_of,
                                                     raws)
            self.diagnostics += problems
            spans = {paths.setdefault(path, path): raw.span_of(where)
                     for path, where in _fields(rendered_values[address])}
            resources[address] = Resource(address, resource.spec, resource.span, tuple(deps),
                                          spans)
        return resources

    def _check_files(self, address: Address, spec: ResourceSpec, span_of) -> None:
        """Fields typed `StackPath` name files in the stack folder: they must exist."""
        if not may_hold(type(spec), StackPath):
            return
        for path, text in marked(type(spec), spec.model_dump(by_alias=True), StackPath):
            if not isinstance(text, str) or has_reference(text):
                continue
            if not confinement.inside(self.root / text, self.confines):
                self.diagnostics.append(error(
                    f"{address}.{format_field_path(path)}: '{text}' is outside the stack's "
                    "folder", span_of(path), hint=confinement.RULE))
                continue
            if (self.root / text).is_file():
                continue
            folder = (self.root / text).parent
            nearby = [p.name for p in folder.iterdir()] if folder.is_dir() else []
            self.diagnostics.append(error(
                f"{address}.{format_field_path(path)}: file '{text}' not found",
                span_of(path), hint=did_you_mean(Path(text).name, nearby)
                or "paths are relative to the folder of stack.yaml"))

    def _secrets(self, raws: dict[Address, _Raw], resources: dict[Address, Resource]
                 ) -> dict[SecretReference, tuple[Span, ...]]:
        found: dict[SecretReference, list[Span]] = {}
        for address in resources:
            raw = raws[address]
            for path, text in references.strings(raw.value):
                for secret in find_secret_references(text):
                    found.setdefault(secret, []).append(raw.span_of(path))
        return {s: tuple(spans) for s, spans in sorted(found.items())}
