"""The CI templates parse, every `provisioner` command line in them is one the CLI accepts,
and the pre-commit hook validates a stack folder the way pre-commit runs it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

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
