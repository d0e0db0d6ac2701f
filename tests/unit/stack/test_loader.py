"""A stack folder -> a `Stack`: the examples load, names, spans, targets, variables, includes,
secrets and references come out right, and no input makes the loader fail other than with
diagnostics."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioner.addresses import REFERENCE_RE, Address, SecretReference
from provisioner.errors import UserError
from provisioner.specs import SPECS
from provisioner.stack.loader import Options, load

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "stacks").glob("*/stack.yaml"))
QUIET = Options(environ={})
"""No PROVISIONER_VAR_* from the machine running the tests."""


def write_stack(folder: Path, text: str, **files: str) -> Path:
    """`stack.yaml` (and other files, by relative path) in `folder`, dedented."""
    for name, content in {"stack.yaml": text, **files}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content))
    return folder


def line_of(text: str, *keys: str) -> int:
    """The 1-based line of the last key, each key searched for after the previous one (block
    or flow style)."""
    position = 0
    for key in keys:
        found = re.compile(rf"(?<![^\s{{,]){re.escape(key)}:(?=\s|$)", re.M).search(text,
                                                                                   position)
        assert found, f"{key}: not found after offset {position}"
        position = found.end()
    return text.count("\n", 0, found.start()) + 1


def resources_written(stack_file: Path) -> dict[str, dict]:
    """`resources:` as plain YAML reads it: kind -> key -> fields."""
    return yaml.safe_load(stack_file.read_text()).get("resources") or {}


# -- the examples ---------------------------------------------------------------------------

@pytest.mark.parametrize("stack_file", EXAMPLES, ids=[p.parent.name for p in EXAMPLES])
def test_example_loads_every_resource_with_its_name_and_span(stack_file: Path):
    stack = load(stack_file.parent, QUIET)
    written = resources_written(stack_file)
    text = stack_file.read_text()
    assert stack.counts_by_kind() == {kind: len(keys) for kind, keys in written.items()}
    for kind, entries in written.items():
        for key, fields in entries.items():
            resource = stack.resources[Address(kind, key)]
            if "name" not in fields and SPECS[kind].NAME_DEFAULTS_TO_KEY:
                assert resource.spec.name == key
            assert resource.span.line == line_of(text, "resources", kind, key)
            for field in fields:
                assert resource.span_of((field,)).line == line_of(text, "resources", kind, key,
                                                                  field)


@pytest.mark.parametrize("stack_file", EXAMPLES, ids=[p.parent.name for p in EXAMPLES])
def test_example_references_become_dependencies_at_their_line(stack_file: Path):
    stack = load(stack_file.parent, QUIET)
    lines = stack_file.read_text().splitlines()
    found = {(d.address, d.attribute, d.span.line)
             for resource in stack.resources.values() for d in resource.dependencies}
    written = {(Address(m["kind"], m["key"]), m["attribute"], number)
               for number, line in enumerate(lines, 1) for m in REFERENCE_RE.finditer(line)}
    assert found == written


def test_example_secret_references_are_collected_with_their_lines():
    stack_file = ROOT / "stacks" / "rag-assistant" / "stack.yaml"
    stack = load(stack_file.parent, QUIET)
    lines = stack_file.read_text().splitlines()
    written = {number for number, line in enumerate(lines, 1) if "{{secrets/" in line}
    assert written and {s.line for spans in stack.secret_references.values()
                        for s in spans} == written


@pytest.mark.parametrize("fmt", ["text", "dot", "mermaid"])
def test_graph_command_shows_every_dependency(fmt: str):
    folder = ROOT / "stacks" / "rag-assistant"
    resources = load(folder, QUIET).resources
    edges = {(str(d.address), str(address))
             for address, resource in resources.items() for d in resource.dependencies}
    result = subprocess.run([sys.executable, "-m", "provisioner", "graph", str(folder),
                             "--format", fmt], capture_output=True, text=True, check=True)
    assert edges, "the example should have dependencies to show"
    assert all(f"{address}" in result.stdout for address in resources)
    for needed, needing in edges:
        assert edge_shown(result.stdout, fmt, needed, needing), (needed, needing, result.stdout)


def edge_shown(output: str, fmt: str, needed: str, needing: str) -> bool:
    if fmt == "text":
        return f"{needing} <- " in output and needed in next(
            line for line in output.splitlines() if line.startswith(f"{needing} <- ")
        ).split(" <- ")[1].split(", ")
    if fmt == "dot":
        return f'"{needed}" -> "{needing}";' in output
    ids = {label: node for node, label in re.findall(r'(\w+)\["([^"]+)"\]', output)}
    return f"{ids[needed]} --> {ids[needing]}" in output


# -- targets, variables, includes -----------------------------------------------------------

OVERRIDDEN = """\
    stack: overrides
    targets:
      prod:
        resources:
          vector_search_endpoints:
            docs-vs:
              target_qps: 20
              custom_tags: {tier: gold}
    resources:
      vector_search_endpoints:
        docs-vs:
          endpoint_type: STANDARD
          custom_tags: {team: search, tier: bronze}
    """


def test_target_overrides_merge_over_the_base_resource(tmp_path: Path):
    folder = write_stack(tmp_path, OVERRIDDEN)
    text = (folder / "stack.yaml").read_text()
    base = load(folder, QUIET).resources[Address("vector_search_endpoints", "docs-vs")]
    prod = load(folder, Options(target="prod", environ={})).resources[base.address]
    assert base.spec.target_qps is None
    assert prod.spec.target_qps == 20
    assert prod.spec.endpoint_type == base.spec.endpoint_type
    assert prod.spec.custom_tags == {**base.spec.custom_tags, "tier": "gold"}
    assert prod.span_of(("target_qps",)).line == line_of(text, "targets", "prod", "target_qps")
    assert prod.span_of(("endpoint_type",)).line == line_of(text, "resources", "endpoint_type")


PRECEDENCE = """\
    stack: precedence
    variables:
      tier: {default: from-default}
    targets:
      prod: {variables: {tier: from-target}}
    resources:
      vector_search_endpoints:
        docs-vs:
          endpoint_type: STANDARD
          custom_tags: {tier: "{{ var.tier }}"}
    """
SOURCES = ["default", "target", "environment", "var-file", "--var"]
"""Lowest precedence first."""


@pytest.mark.parametrize("highest", SOURCES)
def test_each_variable_source_overrides_the_ones_below_it(tmp_path: Path, highest: str):
    folder = write_stack(tmp_path, PRECEDENCE, **{"tier.yaml": "tier: from-var-file\n"})
    used = SOURCES[:SOURCES.index(highest) + 1]
    options = Options(
        target="prod" if "target" in used else None,
        environ={"PROVISIONER_VAR_tier": "from-environment"} if "environment" in used else {},
        var_files=[str(folder / "tier.yaml")] if "var-file" in used else [],
        cli_vars=["tier=from---var"] if "--var" in used else [],
    )
    stack = load(folder, options)
    tags = stack.resources[Address("vector_search_endpoints", "docs-vs")].spec.custom_tags
    assert tags == {"tier": f"from-{highest}"}


def test_includes_merge_resources_and_variables_from_every_matched_file(tmp_path: Path):
    folder = write_stack(
        tmp_path,
        """\
        stack: included
        include: ["resources/*.yaml"]
        resources:
          vector_search_endpoints:
            main-vs: {endpoint_type: STANDARD}
        """,
        **{"resources/a.yaml": """\
           variables:
             qps: {default: 5}
           resources:
             vector_search_endpoints:
               a-vs: {endpoint_type: STANDARD, target_qps: "{{ var.qps }}"}
           """,
           "resources/b.yaml": """\
           resources:
             vector_search_endpoints:
               b-vs:
                 endpoint_type: STANDARD
                 depends_on: [vector_search_endpoints.a-vs]
           """},
    )
    stack = load(folder, QUIET)
    by_key = {a.key: r for a, r in stack.resources.items()}
    assert set(by_key) == {"main-vs", "a-vs", "b-vs"}
    assert by_key["a-vs"].spec.target_qps == 5
    assert {key: Path(r.span.file).name for key, r in by_key.items()} == {
        "main-vs": "stack.yaml", "a-vs": "a.yaml", "b-vs": "b.yaml"}
    assert [d.address.key for d in by_key["b-vs"].dependencies] == ["a-vs"]


def test_secret_references_are_collected_once_with_every_place(tmp_path: Path):
    folder = write_stack(tmp_path, """\
        stack: secrets
        resources:
          external_models:
            chat:
              provider: openai
              model: gpt-4o
              task: llm/v1/chat
              config: {openai_api_key: "{{secrets/llm/openai}}"}
            chat-2:
              provider: openai
              model: gpt-4o-mini
              task: llm/v1/chat
              config:
                openai_api_key: "{{secrets/llm/openai}}"
        """)
    text = (folder / "stack.yaml").read_text()
    stack = load(folder, QUIET)
    spans = stack.secret_references[SecretReference("llm", "openai")]
    assert list(stack.secret_references) == [SecretReference("llm", "openai")]
    assert sorted(s.line for s in spans) == [line_of(text, "chat", "config"),
                                            line_of(text, "chat-2", "openai_api_key")]


def test_a_variable_called_like_a_mapping_method_renders_its_value(tmp_path: Path):
    folder = write_stack(tmp_path, """\
        stack: names
        variables:
          name: {default: search}
          items: {default: three}
        resources:
          vector_search_endpoints:
            vs:
              endpoint_type: STANDARD
              custom_tags: {team: "{{ var.name }}", count: "{{ var.items }}"}
        """)
    spec = load(folder, QUIET).resources[Address("vector_search_endpoints", "vs")].spec
    assert spec.custom_tags == {"team": "search", "count": "three"}


# -- any input: a stack or diagnostics ------------------------------------------------------

TOKENS = [
    "stack", "resources", "include", "variables", "targets", "default", "state", "name",
    "vector_search_endpoints", "vector_search_indexes", "serving_endpoints", "external_models",
    "registered_models", "foundation_models", "endpoint_type", "STANDARD", "vs", "depends_on",
    ": ", ":", "- ", "-", "\n", "\n  ", "\n    ", "  ", "\t", "{", "}", "[", "]", ", ", "'", '"',
    "&a ", "*a", "<<: ", "!!python/object ", "!!binary ", "? ", "---\n", "...", "# ", "|\n",
    ">-\n", "null", "~", "1", "-1", "0x1f", "1e999", ".nan", "true", "yes", "2024-01-01", "",
    "{{ var.x }}", "{{ ", " }}", "{% if %}", "${resources.", "vector_search_endpoints.vs.name}",
    "${", "{{secrets/a/b}}", "workspace:/x", "é", "\u00a0", "\ufeff", "\x00", "\x85", "%",
]
KEYS = st.sampled_from(TOKENS[:18] + ["x", "0", "true", "a.b", "workload_sise"])
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | \
    st.sampled_from(TOKENS[-20:])
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(KEYS, inner, max_size=4), max_leaves=20)
STACKS = st.fixed_dictionaries(
    {"stack": SCALARS},
    optional={"resources": st.dictionaries(KEYS, st.dictionaries(KEYS, VALUES, max_size=3),
                                           max_size=3),
              "variables": st.dictionaries(KEYS, VALUES, max_size=2),
              "targets": st.dictionaries(KEYS, VALUES, max_size=2),
              "include": st.lists(st.sampled_from(["*.yaml", "**/*", "stack.yaml", ""]))},
)
EXAMPLE_VALUES = {p.parent.name: yaml.safe_load(p.read_text()) for p in EXAMPLES}
FREE = "free"
"""The folder of inputs that are not an example stack."""


def collections_in(value: object) -> list:
    """Every non-empty mapping and list in a value tree, the root included."""
    if not isinstance(value, dict | list) or not value:
        return []
    children = value.values() if isinstance(value, dict) else value
    return [value, *(c for child in children for c in collections_in(child))]


@st.composite
def tweaked(draw: st.DrawFn, value: object) -> object:
    """A copy of `value` with a few items replaced, deleted or renamed."""
    value = copy.deepcopy(value)
    for _ in range(draw(st.integers(1, 3))):
        node = draw(st.sampled_from(collections_in(value) or [{}]))
        if not node:
            break
        key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        action = draw(st.sampled_from(["replace", "delete", "rename"]))
        if action == "replace":
            node[key] = draw(VALUES)
        elif action == "delete":
            del node[key]
        elif isinstance(node, dict):
            node[draw(KEYS)] = node.pop(key)
    return value


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """Insert tokens, delete spans and duplicate lines at random places."""
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
        else:
            lines = text.splitlines(keepends=True) or [""]
            index = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[:index + 1] + lines[index:])
    return text


def dumped(value: object) -> str:
    return yaml.safe_dump(value, sort_keys=False)


INPUTS = (
    st.tuples(st.just(FREE), st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
    | st.tuples(st.just(FREE), STACKS.map(dumped).flatmap(mutated))
    | st.sampled_from(sorted(EXAMPLE_VALUES)).flatmap(lambda name: st.tuples(
        st.just(name), tweaked(EXAMPLE_VALUES[name]).map(dumped).flatmap(mutated)))
)
"""(folder, stack.yaml text): token soup, random stacks, and example stacks a little broken."""
LINE_BREAKS = "\n\r\x85\u2028\u2029"
"""What PyYAML counts as a line break."""


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example stacks (with the files they name) and an empty folder."""
    root = tmp_path_factory.mktemp("inputs")
    shutil.copytree(ROOT / "stacks", root, dirs_exist_ok=True)
    (root / FREE).mkdir()
    return root


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(given_input=INPUTS)
def test_any_input_gives_a_stack_or_diagnostics(folders: Path, given_input: tuple[str, str]):
    folder, text = folders / given_input[0], given_input[1]
    (folder / "stack.yaml").write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load(folder, QUIET)
    except UserError as exc:
        assert exc.diagnostics
        lines = sum(text.count(c) for c in LINE_BREAKS) + 2  # (the stream end is one past)
        for diagnostic in exc.diagnostics:
            assert diagnostic.summary
            if diagnostic.span is not None:
                assert Path(diagnostic.span.file).name == "stack.yaml"
                assert 1 <= diagnostic.span.line <= lines
                assert diagnostic.span.column >= 1


def test_environment_variables_come_from_the_options(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PROVISIONER_VAR_tier", "from-environment")
    folder = write_stack(tmp_path, PRECEDENCE)
    stack = load(folder, QUIET)
    assert stack.variables["tier"] == "from-default"
    assert load(folder, Options()).variables["tier"] == "from-environment"
