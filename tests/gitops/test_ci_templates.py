"""The CI templates parse, every `provisioner` command line in them is one the CLI accepts,
and the pre-commit hook validates a stack folder the way pre-commit runs it."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from support import ci_runner

from provisioner.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
GITHUB = sorted((ROOT / "examples" / "ci" / "github").glob("*.yml"))
GITLAB = ROOT / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
REDIRECTIONS = re.compile(r"^\d*[<>]")


def shell_scripts(path: Path) -> list[str]:
    """Every shell script of a GitHub workflow (`run:`) or a GitLab pipeline (`script:`)."""
    document = yaml.safe_load(path.read_text())
    if path.name == ".gitlab-ci.yml":
        jobs = [job for job in document.values() if isinstance(job, dict)]
        return [line for job in jobs for key in ("before_script", "script")
                for line in job.get(key, [])]
    return [step["run"] for job in document["jobs"].values() for step in job["steps"]
            if "run" in step]


def provisioner_commands(script: str) -> list[list[str]]:
    """The argument lists of the `provisioner ...` commands in a shell script."""
    script = script.replace("\\\n", " ")
    found = []
    for line in script.splitlines():
        for segment in re.split(r"\|\||&&|;|\||\$\(", line):
            words = shlex.split(segment, comments=True)
            if words[:1] == ["provisioner"]:
                end = next((i for i, w in enumerate(words) if REDIRECTIONS.match(w)),
                           len(words))
                found.append(words[1:end])
    return found


def check_command(args: list[str]) -> str:
    """Parse `args` as the CLI would (unknown commands, options or choices raise); returns
    the command's name."""
    command: click.Command = cli
    names = []
    while isinstance(command, click.Group):
        name, args = args[0], args[1:]
        assert name in command.commands, f"no command '{name}'"
        command = command.commands[name]
        names.append(name)
    command.make_context(" ".join(["provisioner", *names]), list(args))
    return " ".join(names)


@pytest.mark.parametrize("path", [*GITHUB, GITLAB], ids=lambda p: p.name)
def test_workflows_parse_and_name_commands_and_options_that_exist(path):
    commands = [c for script in shell_scripts(path) for c in provisioner_commands(script)]
    assert commands, f"{path.name} runs no provisioner command"
    for args in commands:
        try:
            check_command(args)
        except click.ClickException as exc:
            pytest.fail(f"{path.name}: `provisioner {shlex.join(args)}`: {exc.format_message()}")


def test_the_templates_cover_the_three_workflows():
    """Plan on review (saved, as markdown), apply of the saved plan, drift failing on
    breaking findings: in both CI systems."""
    for files in (GITHUB, [GITLAB]):
        commands = [c for path in files for script in shell_scripts(path)
                    for c in provisioner_commands(script)]
        plans = [c for c in commands if c[0] == "plan"]
        assert any({"--out", "--format", "markdown"} <= set(c) for c in plans)
        assert any(c[0] == "apply" and c[1].endswith(".json") for c in commands)
        assert any(c[0] == "drift" and {"--exit-code", "--fail-on", "breaking"} <= set(c)
                   for c in commands)


def test_a_command_that_does_not_exist_is_caught():
    with pytest.raises(click.ClickException):
        check_command(["drift", ".", "--fail-on", "catastrophic"])
    with pytest.raises(click.ClickException):
        check_command(["plan", ".", "--no-such-option"])


STACK = """\
stack: hooked
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/llm/openai}}"}
"""


def run_hook(hook: dict, stack: Path) -> subprocess.CompletedProcess[str]:
    """As pre-commit runs a `language: python` hook: its entry, then its args (here the
    stack folder), with the hook's environment's scripts on PATH."""
    files = [str(p.relative_to(stack.parent)) for p in stack.rglob("*")]
    matched = [f for f in files if re.search(hook["files"], f)]
    assert matched, "the hook's `files` pattern must match a stack file"
    argv = [*shlex.split(hook["entry"]), str(stack)]
    if hook.get("pass_filenames", True):
        argv += matched
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                         f"{os.environ.get('PATH', '')}"}
    return subprocess.run(argv, cwd=stack.parent, capture_output=True, text=True,
                          env=environment)


def test_the_pre_commit_hook_validates_a_stack(tmp_path):
    hooks = yaml.safe_load(HOOKS.read_text())
    hook = next(h for h in hooks if h["id"] == "provisioner-validate")
    assert hook["language"] == "python"
    stack = tmp_path / "stacks" / "hooked"
    stack.mkdir(parents=True)
    (stack / "stack.yaml").write_text(STACK)
    good = run_hook(hook, stack)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "'hooked' is valid" in good.stdout

    (stack / "stack.yaml").write_text(STACK.replace("task:", "tusk:"))
    bad = run_hook(hook, stack)
    assert bad.returncode == 1
    assert "stack.yaml:7:" in bad.stderr and "tusk" in bad.stderr


# Running the templates: a CI runner's fresh Python installs provisioner as the templates say
# (PROVISIONER_PACKAGE set to a wheel built from this checkout), then every step that does not
# need GitHub's or GitLab's API runs, in order plan → apply → drift, against a copy of an
# example stack on the embedded local target.


@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> dict[str, str]:
    return ci_runner.build(tmp_path_factory.mktemp("runner"))


LOCAL = {"STACK": "stacks/external-chat", "TARGET": "local"}
"""The templates' stack and target, swapped for an example stack on the embedded workspace."""


def gitlab_jobs() -> list[tuple[dict[str, str], str]]:
    """(variables, script) of each job: before_script then script, lines that need the
    GitLab API left out, run as one shell as GitLab does."""
    document = yaml.safe_load(GITLAB.read_text())
    before = document["default"]["before_script"]
    return [(document["variables"], "\n".join(
        line for line in [*before, *job["script"]]
        if not any(m in line for m in ci_runner.NEEDS_THE_FORGE)))
        for name, job in document.items() if name in ("plan", "apply", "drift")]


def stack_repository(tmp_path: Path) -> Path:
    import shutil

    shutil.copytree(ROOT / "stacks" / "external-chat", tmp_path / "stacks" / "external-chat",
                    ignore=shutil.ignore_patterns(".provisioner"))
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        (tmp_path / name).touch()
    return tmp_path


@pytest.mark.slow
def test_the_github_templates_run_plan_apply_drift(tmp_path, runner):
    repository = stack_repository(tmp_path)
    outputs = {"GITHUB_OUTPUT": str(repository / "GITHUB_OUTPUT"),
               "GITHUB_STEP_SUMMARY": str(repository / "GITHUB_STEP_SUMMARY")}
    for name in ("provisioner-plan.yml", "provisioner-apply.yml", "provisioner-drift.yml"):
        for environment, script in ci_runner.github_steps(ROOT / "examples/ci/github" / name):
            result = ci_runner.run_step(script, {**environment, **outputs}, repository, runner,
                                        **LOCAL)
            assert result.returncode == 0, f"{name}: {script}\n{result.stdout}{result.stderr}"
    assert "exitcode=2" in (repository / "GITHUB_OUTPUT").read_text()  # a first plan: changes
    assert "**Plan: 1 to add" in (repository / "plan.md").read_text()
    assert "No drift" in (repository / "GITHUB_STEP_SUMMARY").read_text()
    assert json.loads((repository / "drift.json").read_text())["findings"] == []


@pytest.mark.slow
def test_the_gitlab_template_runs_plan_apply_drift(tmp_path, runner):
    repository = stack_repository(tmp_path)
    for variables, script in gitlab_jobs():
        result = ci_runner.run_step(script, {**variables, "CI_JOB_ID": "7"}, repository,
                                    runner, **LOCAL)
        assert result.returncode == 0, f"{script}\n{result.stdout}{result.stderr}"
    assert "**Plan: 1 to add" in (repository / "plan.md").read_text()
    assert json.loads((repository / "drift.json").read_text())["findings"] == []
