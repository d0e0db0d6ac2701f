"""Every command the README and the docs show runs, in document order, in a fresh copy of
the repository, as a reader following them would: `bash` blocks as scripts, `console` blocks
command by command (`$ ` lines), the output they show expected in the output they get. Stacks
shown as YAML validate, and the files the docs cite exist. A doc cannot go stale silently.

The line before a block may say how it runs, always with a reason or a place:
- `<!-- docs-test: skip REASON -->`: not run (it needs a real workspace, a download, minutes);
- `<!-- docs-test: needs PATH -->`: run when PATH exists in the copy (`.venv-langchain` is
  linked there from $LANGCHAIN_PYTHON, which .ci/run sets);
- `<!-- docs-test: in DIR -->`: run in DIR of the copy (a stack of tests/cases/invalid/); a
  command whose shown output has an `error:` line must exit 1.
A command line that `.ci/run` runs verbatim (the README's test command, the quick benchmarks)
is checked to be there instead of run again: it runs this very test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted((ROOT / "examples").glob("**/README.md"))]
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})(?P<lang>[\w-]*)[^\n]*\n"
                   r"(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<verb>skip|needs|in)\s+(?P<arg>.+?)\s*-->")
SHELL = ("bash", "sh", "shell")
CI_RUN = {line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()}
COMMENT = re.compile(r"\s+#[^'\"]*$")


@dataclass(frozen=True)
class Block:
    document: Path
    line: int
    language: str
    body: str
    marker: tuple[str, str] | None

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def blocks(document: Path) -> list[Block]:
    text = document.read_text()
    found = []
    for match in FENCE.finditer(text):
        before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.fullmatch(before.strip())
        body = textwrap.dedent(match["body"]) if match["indent"] else match["body"]
        found.append(Block(document, text.count("\n", 0, match.start()) + 1,
                           match["lang"], body,
                           (marker["verb"], marker["arg"]) if marker else None))
    return found


ALL = [b for document in DOCUMENTS for b in blocks(document)]
RUNNABLE = [b for b in ALL if b.language in (*SHELL, "console")]
STACKS = [b for b in ALL if b.language == "yaml" and re.search(r"^stack:", b.body, re.M)]
NAMED = re.compile(r"^# (?P<path>[\w./-]+\.ya?ml)\n")
"""A YAML block that starts `# path/file.yaml` is that file of the stack shown above it."""


def files_of(stack: Block) -> dict[str, str]:
    """The stack's files: its block, and the named blocks right after it in its document."""
    files = {"stack.yaml": stack.body}
    later = [b for b in ALL if b.document == stack.document and b.line > stack.line]
    for block in later:
        named = NAMED.match(block.body) if block.language == "yaml" else None
        if named is None or named["path"] == "stack.yaml":
            break
        files[named["path"]] = block.body
    return files


def in_ci_run(line: str) -> bool:
    return COMMENT.sub("", line).strip() in CI_RUN


def commands(block: Block) -> list[tuple[str, list[str]]]:
    """(command, the output lines shown after it); a shell block is one script, without the
    lines .ci/run runs verbatim."""
    if block.language != "console":
        script = "\n".join(line for line in block.body.splitlines() if not in_ci_run(line))
        return [(script, [])] if script.strip() else []
    found: list[tuple[str, list[str]]] = []
    for line in block.body.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], []))
        elif found and line.strip():
            found[-1][1].append(line.strip())
    return [(command, shown) for command, shown in found if not in_ci_run(command)]


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """The repository's files (tracked, and new ones not ignored), as a fresh clone has them."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    root = tmp_path_factory.mktemp("docs") / "provisioner"
    for name in listed:
        source = ROOT / name
        if source.is_file() or source.is_symlink():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name, follow_symlinks=False)
    langchain = os.environ.get("LANGCHAIN_PYTHON")
    if langchain:
        (root / ".venv-langchain").symlink_to(Path(langchain).parents[1])
    return root


def environment(clone: Path) -> dict[str, str]:
    """A reader's shell: the copy's .venv first on PATH, nothing of this test run's own."""
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("PROVISIONER_", "DATABRICKS_", "VIRTUAL_ENV", "PYTEST_"))}
    return {**keep, "PATH": f"{clone / '.venv' / 'bin'}{os.pathsep}{keep['PATH']}",
            "MLFLOW_DISABLE_TELEMETRY": "true"}


def test_the_docs_have_commands_to_run():
    assert any(b.document.name == "README.md" and b.marker is None for b in RUNNABLE)


def test_every_marker_gives_a_reason_or_a_place():
    for block in ALL:
        if block.marker and block.marker[0] == "skip":
            assert len(block.marker[1].split()) >= 3, f"{block.name}: say why it is skipped"
        if block.marker and block.marker[0] == "in":
            assert (ROOT / block.marker[1]).is_dir(), f"{block.name}: no {block.marker[1]}"


@pytest.mark.slow
def test_every_command_shown_runs_as_shown(clone):
    """In document order, in one copy: later commands build on earlier ones, as a reader's
    do (the README's first command installs provisioner in the copy's .venv)."""
    environ = environment(clone)
    ran = []
    for block in RUNNABLE:
        verb, argument = block.marker or ("", "")
        if verb == "skip" or (verb == "needs" and not (clone / argument).exists()):
            continue
        folder = clone / argument if verb == "in" else clone
        for command, shown in commands(block):
            result = subprocess.run(["bash", "-eo", "pipefail", "-c", command], cwd=folder,
                                    env=environ, capture_output=True, text=True, timeout=1200)
            said = result.stdout + result.stderr
            expected = 1 if verb == "in" and any("error:" in line for line in shown) else 0
            assert result.returncode == expected, (
                f"{block.name}: `{command}` exited {result.returncode}:\n{said[-4000:]}")
            printed = [line.strip() for line in said.splitlines()]
            for line in shown:
                assert line in printed, (f"{block.name}: `{command}` did not print\n  {line}\n"
                                         f"It printed:\n{said[-4000:]}")
            ran.append(command)
    assert any("provisioner apply" in command for command in ran)


def test_the_readme_sets_up_in_two_commands_and_ci_runs_its_test_command():
    setup = next(b for b in RUNNABLE if b.document.name == "README.md")
    lines = [line for line in setup.body.splitlines() if line.strip()]
    assert len(lines) == 2, "the README's first block: install and try; install and test"
    assert in_ci_run(lines[1]), ".ci/run must run the README's test command verbatim"


@pytest.mark.parametrize("block", STACKS, ids=lambda b: b.name)
def test_stacks_shown_validate(block, tmp_path):
    """A stack of the docs validates, beside the files of the example stack of its name."""
    name = yaml.safe_load(block.body)["stack"]
    folder = tmp_path / name
    example = ROOT / "stacks" / name
    if example.is_dir():
        shutil.copytree(example, folder, ignore=shutil.ignore_patterns(".provisioner"))
    for name, text in files_of(block).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    result = subprocess.run([sys.executable, "-m", "provisioner", "validate", str(folder)],
                            capture_output=True, text=True)
    assert result.returncode == 0, f"{block.name}:\n{result.stderr}"


LINK = re.compile(r"\]\((?!https?:|#|mailto:)(?P<target>[^)#\s]+)")
NAMED_DOC = re.compile(r"(?<![\w/.<-])(?P<name>[\w-]+\.md)\b")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_files_a_doc_cites_are_in_the_repository(document):
    text = document.read_text()
    for match in LINK.finditer(text):
        assert (document.parent / match["target"]).exists(), \
            f"{document.name} links to {match['target']}, which does not exist"
    present = {p.name for p in ROOT.rglob("*.md") if not {".venv", ".git"} & set(p.parts)}
    for match in NAMED_DOC.finditer(text):
        assert match["name"] in present, f"{document.name} cites {match['name']}, not here"
