"""Variable precedence, types and errors."""

from __future__ import annotations

from provisioner.diagnostics import Span
from provisioner.stack.variables import Assignment, VariableDecl, from_environment, resolve

SPAN = Span("stack.yaml", 3, 3)


def declared(**decls):
    return {name: (VariableDecl(**decl), SPAN) for name, decl in decls.items()}


def test_later_sources_win_and_text_is_converted_by_type():
    decls = declared(catalog={"default": "main"}, n={"type": "number", "default": 1},
                     flags={"type": "list"})
    values, problems = resolve(decls, [
        Assignment("catalog", "dev", "target"),
        Assignment("catalog", "prod", "--var", from_text=True),
        Assignment("n", "3", "--var", from_text=True),
        Assignment("flags", "[a, b]", "--var", from_text=True),
    ])
    assert problems == []
    assert values == {"catalog": "prod", "n": 3, "flags": ["a", "b"]}


def test_type_is_inferred_from_the_default():
    assert VariableDecl(default=True).resolved_type == "bool"
    assert VariableDecl(default=2.5).resolved_type == "number"
    assert VariableDecl().resolved_type == "string"


def test_undeclared_variable_is_an_error_with_suggestion():
    _, problems = resolve(declared(catalog={}), [Assignment("catalg", "x", "--var")])
    assert "not declared" in problems[0].summary and "catalog" in problems[0].hint


def test_environment_values_for_other_stacks_are_ignored():
    assignments = from_environment({"PROVISIONER_VAR_other": "1", "PROVISIONER_VAR_x": "y"})
    values, problems = resolve(declared(x={}), assignments)
    assert problems == [] and values == {"x": "y"}


def test_required_without_value_and_wrong_type_are_errors():
    _, problems = resolve(declared(a={"required": True}, n={"type": "number"}),
                          [Assignment("n", "many", "--var", from_text=True)])
    summaries = " | ".join(p.summary for p in problems)
    assert "'a' is required" in summaries and "not a valid number" in summaries


def test_a_default_of_the_wrong_type_is_an_error_even_when_overridden():
    _, problems = resolve(declared(n={"type": "number", "default": "three"}),
                          [Assignment("n", "3", "--var", from_text=True)])
    assert [p.summary for p in problems] == [
        "variable 'n' from its default: expected a number, got a string"]


def test_a_wrong_value_is_never_echoed_whatever_its_type():
    """A variable may carry a key: its value must not reach the error (issue 15)."""
    values = ["sk-canary-text", {"key": "sk-canary-map"}, ["sk-canary-list"], True]
    for value in values:
        _, problems = resolve(declared(n={"type": "number"}),
                              [Assignment("n", value, "a target")])
        assert problems and "canary" not in problems[0].summary
    _, problems = resolve(declared(n={"type": "number"}),
                          [Assignment("n", "sk-canary-cli", "--var", from_text=True)])
    assert problems and "canary" not in problems[0].summary


def test_credential_names_cannot_be_listed_but_ci_metadata_can():
    from provisioner.stack.variables import unreadable_env

    for name in ("DATABRICKS_TOKEN", "DATABRICKS_CLIENT_SECRET", "GITHUB_TOKEN", "CI_JOB_JWT",
                 "ACTIONS_ID_TOKEN_REQUEST_URL", "ARM_CLIENT_SECRET", "DEPLOY_PASSWORD"):
        assert "credential" in unreadable_env(name)
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA", "TEAM", "OPENAI_API_KEY"):
        assert unreadable_env(name) is None
    assert "not an environment variable name" in unreadable_env("A-B")
