"""YAML parsing keeps the location of every node and refuses what YAML would silently accept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from provisioner.stack.nodes import parse, read


def test_every_node_knows_its_line_and_column():
    text = "a:\n  b: [1, 2]\n  c:\n    - x: y\n"
    document, problems = parse(text, "f.yaml")
    assert problems == []
    assert document.value == {"a": {"b": [1, 2], "c": [{"x": "y"}]}}
    assert (document.spans[("a", "b", 1)].line, document.spans[("a", "b", 1)].column) == (2, 10)
    assert document.spans[("a", "c", 0, "x")].line == 4
    assert document.spans[("a", "c", 0, "x", "<key>")].column == 7


def test_duplicate_keys_are_errors_naming_both_lines():
    _, problems = parse("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert len(problems) == 1
    assert problems[0].span.line == 3
    assert "duplicate key 'a'" in problems[0].summary and "line 1" in problems[0].summary


def test_anchors_aliases_and_merge_keys_work():
    text = "base: &b {x: 1, y: 2}\ncopy: *b\nmerged:\n  <<: *b\n  y: 3\n"
    document, problems = parse(text, "f.yaml")
    assert problems == []
    assert document.value["copy"] == {"x": 1, "y": 2}
    assert document.value["merged"] == {"x": 1, "y": 3}


def test_syntax_errors_point_at_the_problem():
    _, problems = parse("a:\n  b: [1, 2\n", "f.yaml")
    assert problems and problems[0].span.file == "f.yaml"
    assert problems[0].summary.startswith("invalid YAML")


def test_tabs_get_a_hint():
    _, problems = parse("a:\n\tb: 1\n", "f.yaml")
    assert problems[0].hint and "tabs" in problems[0].hint


def test_dates_stay_as_written():
    document, _ = parse("d: 2024-01-02\n", "f.yaml")
    assert document.value == {"d": "2024-01-02"}


def test_binary_and_oversized_files_are_refused(tmp_path):
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"a: 1\n\x00\x01\x02")
    _, problems = read(str(binary), "b.yaml")
    assert "binary" in problems[0].summary and problems[0].span.line == 2
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * (5 * 1024 * 1024))
    _, problems = read(str(big), "big.yaml")
    assert "larger than" in problems[0].summary


@given(st.text(max_size=200))
def test_arbitrary_text_gives_a_document_or_diagnostics(text):
    document, problems = parse(text, "f.yaml")
    assert document is not None or problems


def test_alias_bombs_are_refused_quickly():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]"
              for i in range(6)]  # 10**7 values once expanded
    document, problems = parse("\n".join(lines), "f.yaml")
    assert document is None and "aliases are expanded" in problems[0].summary


def test_runaway_nesting_and_recursive_aliases_are_refused():
    deep_flow = "x: " + "[" * 600 + "]" * 600  # deeper than PyYAML's composer recurses
    deep_block = "a: " + "{a: " * 90 + "1" + "}" * 90
    for text in (deep_flow, "a: &a [*a]", deep_block):
        document, problems = parse(text, "f.yaml")
        assert document is None and "levels deep" in problems[0].summary, text


def test_tags_that_build_objects_are_refused_on_collections_too():
    for text in ("a: !!python/object/apply:os.system [echo]", "a: !!set {x: null}"):
        document, problems = parse(text, "f.yaml")
        assert document is None and "tag" in problems[0].summary and problems[0].span.line == 1


def test_an_unclosed_construct_is_named_with_where_it_started():
    _, problems = parse("a:\n  b: {c: 1\n", "f.yaml")
    assert "while parsing a flow mapping at line 2, column 6" in problems[0].summary
