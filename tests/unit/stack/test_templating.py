"""Each string renders on its own; secret references are not Jinja."""

from __future__ import annotations

from provisioner.stack.templating import Renderer, render_tree


def renderer(**variables):
    return Renderer(variables, "prod", {"HOME": "/home/me"}, {"HOME", "NOT_SET_ANYWHERE"})


def test_variables_target_and_environment_are_in_scope():
    r = renderer(catalog="main")
    rendered, _ = r.render("{{ var.catalog }}.rag.{{ target }}-{{ target.name }}")
    assert rendered == "main.rag.prod-prod"
    assert r.render("{{ env.HOME }}")[0] == "/home/me"


def test_secret_references_pass_through_untouched():
    r = renderer(scope="s")
    value = "{{secrets/llm-keys/openai}}"
    assert r.render(value) == (value, None)
    assert r.render("{{ var.scope }}:{{ secrets/a/b }}")[0] == "s:{{ secrets/a/b }}"


def test_undefined_variable_is_an_error_with_a_suggestion():
    _, problem = renderer(catalog="main").render("{{ var.catlog }}")
    assert problem.summary == "undefined template value 'var.catlog'"
    assert problem.hint == "did you mean 'catalog'?"


def test_unknown_name_and_syntax_errors_are_diagnostics():
    assert "undefined template name 'vars'" in renderer().render("{{ vars.x }}")[1].summary
    assert "syntax" in renderer().render("{{ var.x")[1].summary


def test_templates_return_strings_so_types_come_from_the_spec():
    assert renderer(n=5).render("{{ var.n }}")[0] == "5"
    assert renderer(code="00").render("{{ var.code }}")[0] == "00"


def test_render_tree_reports_the_path_of_each_failing_string():
    value, problems = render_tree({"a": ["ok", "{{ var.nope }}"]}, renderer())
    assert value == {"a": ["ok", "{{ var.nope }}"]}
    assert [path for path, _ in problems] == [("a", 1)]


def test_variables_named_like_mapping_methods_are_the_variables():
    r = renderer(name="search", items="3", get="g")
    assert r.render("{{ var.name }}/{{ var.items }}/{{ var['get'] }}")[0] == "search/3/g"


def test_an_unset_environment_variable_gets_a_fallback_hint_and_default_works():
    _, problem = renderer().render("{{ env.NOT_SET_ANYWHERE }}")
    assert problem.summary == "undefined template value 'env.NOT_SET_ANYWHERE'"
    assert "default(" in problem.hint
    assert renderer().render("{{ env.NOT_SET_ANYWHERE | default('x') }}") == ("x", None)


def test_an_undeclared_environment_variable_is_named_and_never_read():
    r = Renderer({}, "prod", {}, {"TEAM"})
    _, problem = r.render("{{ env.PATH }}")
    assert problem.summary == "environment variable 'PATH' is not declared"
    assert "env: [PATH]" in problem.hint
    assert r.render("{{ env.TEEM }}")[1].hint == "did you mean 'TEAM'?"


def test_the_environment_cannot_be_printed_or_iterated_whole():
    r = renderer()
    assert r.render("{{ env }}")[0] == "env"
    for template in ("{{ env | list }}", "{{ env | tojson }}", "{{ env.items() }}"):
        rendered, problem = r.render(template)
        assert problem is not None and "/home/me" not in rendered


def test_the_documented_filters_and_methods_are_the_sandboxs():
    """docs/stack-language.md lists what templates may call; it must be the code's list."""
    import re
    from pathlib import Path

    from provisioner.stack.sandbox import DICT_METHODS, FILTER_NAMES, STR_METHODS

    doc = (Path(__file__).parents[3] / "docs" / "stack-language.md").read_text()
    filters = re.search(r"- the filters `([^`]+)`", doc).group(1).split()
    methods = re.search(r"read-only methods\s+`([^`]+)` of strings and `([^`]+)`", doc)
    assert sorted(filters) == sorted(FILTER_NAMES)
    assert set(methods.group(1).split()) == STR_METHODS
    assert set(methods.group(2).split()) == DICT_METHODS
