"""`generate` writes workspace text that a template would read as template source that renders
back to exactly that text: whatever a workspace user puts in a tag or description, generate ->
validate gives the same string back and evaluates nothing (the old `{% raw %}` wrapping ended
at the first `{% endraw %}` in the value)."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import nodes

from provisioner.stack.sandbox import SandboxEnvironment
from provisioner.stack.templating import Renderer, literal, needs_rendering, protect_secrets
from tests.support.harness import Harness, served_workspace

FRAGMENTS = ["{", "}", "{{", "}}", "{%", "%}", "{#", "#}", "{% raw %}", "{% endraw %}",
             "{%- endraw -%}", "{{ 7*7 }}", "\r", "\n", "\r\n", " ", "x", "secrets/",
             "{{secrets/s/k}}", "{{ secrets/a/b }}", "'", '"', "\\", "endraw", "${", "%",
             "cycler.__init__.__globals__", "\x00", "é"]
TEXTS = st.one_of(st.text(), st.lists(st.sampled_from(FRAGMENTS), max_size=16).map("".join))
INERT = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_any_text_renders_back_exactly_and_nothing_is_evaluated(text: str):
    source = literal(text)
    assert Renderer({}, "t", {}, set()).render(source) == (text, None)
    if not needs_rendering(source):
        return  # left as it is: Jinja never sees it
    tree = SandboxEnvironment().parse(protect_secrets(source))
    evaluated = [n for n in tree.find_all(nodes.Node) if not isinstance(n, INERT)]
    assert evaluated == [], f"{source!r} evaluates {evaluated}"
    assert {n.value for n in tree.find_all(nodes.Const)} <= {"{", "\r"}


MARKER_TEMPLATE = "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}"
HOSTILE = ["{% endraw %}" + MARKER_TEMPLATE, "{% raw %}{{ 7*7 }}", "{{ 7*7 }}{{secrets",
           "a {# comment", "{{{", "line\r\n{{ target }}", "%}{%- endraw -%}{{ var }}"]
STACK = """\
stack: hostile
targets:
  served: {}
resources:
  serving_endpoints:
    tagged:
      served_entities:
        - entity_name: system.ai.meta_llama_v3_1_8b_instruct
          entity_version: "1"
          workload_size: Small
          scale_to_zero_enabled: true
"""


def test_generate_then_validate_gives_workspace_text_back_unevaluated(harness, tmp_path,
                                                                     capsys, monkeypatch):
    from databricks.sdk.service.serving import EndpointTag

    from provisioner.workspace.client import WorkspaceAuth, connect

    marker = tmp_path / "PWNED"
    values = [v.replace("MARKER", str(marker)) for v in HOSTILE]
    harness.write(STACK)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        harness.apply("-t", "served")
        client = connect(WorkspaceAuth(host=local.url, token="test"))
        client.serving_endpoints.patch("tagged", add_tags=[  # by hand, in the workspace
            EndpointTag(key=f"t{i}", value=value) for i, value in enumerate(values)])
        adopter = tmp_path / "adopter"
        adopter.mkdir()
        (adopter / "stack.yaml").write_text("stack: adopter\ntargets:\n  served: {}\n")
        generated = tmp_path / "generated" / "stack.yaml"
        result = harness.cli("generate", str(adopter), "-t", "served", "-o", str(generated))
        assert result.code == 0, result.text

        again = Harness(generated.parent, capsys, monkeypatch)
        assert again.cli("validate", str(generated.parent), "-t", "served").code == 0
        written = yaml.safe_load(generated.read_text())["resources"]["serving_endpoints"]
        assert "{% raw %}" not in generated.read_text()
        changes = again.changes("-t", "served")
    assert not marker.exists()
    assert [c["action"] for c in changes.values()] == ["adopt"], changes
    assert [f for c in changes.values() for f in c["fields"]] == []  # tags read back equal
    assert len(written["tagged"]["tags"]) == len(values)
