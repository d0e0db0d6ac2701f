"""`provisioner init`: a new stack folder ready for an editor, git and CI: stack.yaml with
the schema line (an example of each chosen kind, or the resources of a workspace), a
.gitignore for `.provisioner/`, and a GitHub Actions workflow that validates and plans it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from provisioner.cli.options import PARALLELISM
from provisioner.cli.output import err, out

CHAT = {"provider": "openai", "model": "gpt-4o-mini", "task": "llm/v1/chat",
        "config": {"openai_api_key": "{{secrets/llm-keys/openai}}"}}
EXAMPLES: dict[str, dict[str, dict[str, Any]]] = {
    "external_models": {"chat": CHAT},
    "foundation_models": {"llama": {"model": "system.ai.meta_llama_v3_1_8b_instruct",
                                    "version": "1", "throughput": {"min": 0, "max": 19000}}},
    "serving_endpoints": {"assistant": {"served_entities": [{"external_model": {
        "name": "gpt-4o-mini", "provider": "openai", "task": "llm/v1/chat",
        "openai_config": {"openai_api_key": "{{secrets/llm-keys/openai}}"}}}]}},
    "vector_search_endpoints": {"docs-vs": {"endpoint_type": "STANDARD"}},
    "vector_search_indexes": {"docs": {
        "name": "main.rag.docs_index",
        "endpoint_name": "${resources.vector_search_endpoints.docs-vs.name}",
        "primary_key": "id", "index_type": "DELTA_SYNC",
        "delta_sync_index_spec": {
            "source_table": "main.rag.docs", "pipeline_type": "TRIGGERED",
            "embedding_source_columns": [
                {"name": "text", "embedding_model_endpoint_name": "databricks-bge-large-en"}]}}},
}
"""A small, valid resource of each kind init offers (a kind whose resources need files of
their own, registered models, is left to the stack language's docs)."""
NEEDS = {"vector_search_indexes": ("vector_search_endpoints",)}
"""Kinds whose example refers to another kind's example."""
IGNORED = ".provisioner/"
WORKFLOW = """\
# Written by `provisioner init`: on pull requests that touch the stack, validate it (errors
# become annotations) and plan it into the job summary. TARGET `local` plans against a fresh
# embedded workspace; add your workspace's target to stack.yaml and name it here. For a plan
# comment, apply of the reviewed plan on merge and nightly drift, start from provisioner's
# examples/ci/ templates (docs/gitops.md).
name: provisioner {name}

on:
  pull_request:
    paths: ["{stack}/**"]

permissions:
  contents: read

env:
  STACK: {stack}
  TARGET: local
  # The distribution is `databricks-ai-provisioner` (the command is `provisioner`): from its
  # repository at the tag your stack was written for, or a wheel you built.
  PROVISIONER_PACKAGE: "databricks-ai-provisioner @ git+https://github.com/<owner>/provisioner@v{version}"
  # A workspace target authenticates as the SDK does, e.g. a service principal:
  # DATABRICKS_HOST: ${{{{ vars.DATABRICKS_HOST }}}}
  # DATABRICKS_CLIENT_ID: ${{{{ vars.DATABRICKS_CLIENT_ID }}}}
  # DATABRICKS_CLIENT_SECRET: ${{{{ secrets.DATABRICKS_CLIENT_SECRET }}}}

jobs:
  plan:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {{python-version: "3.11"}}
      - name: Install provisioner
        run: pip install "$PROVISIONER_PACKAGE"
      - name: Validate
        run: provisioner validate "$STACK" --target "$TARGET" --format github
      - name: Plan
        run: |
          provisioner plan "$STACK" --target "$TARGET" --format markdown \\
            >> "$GITHUB_STEP_SUMMARY"
"""


@click.command()
@click.argument("path", type=click.Path(file_okay=False))
@click.option("--kind", "kinds", multiple=True, type=click.Choice(list(EXAMPLES)),
              help="Start with an example resource of this kind (repeatable; default: "
                   "external_models).")
@click.option("--from-target", "source", metavar="TARGET",
              help="Start with the resources of this target's workspace instead, as "
                   "`generate` writes them (`local`: the embedded workspace in PATH).")
@PARALLELISM
@click.option("--ci", type=click.Choice(["github", "none"]), default="github",
              show_default=True,
              help="Write a workflow that validates and plans the stack on pull requests "
                   "(.github/workflows/ of the git repository holding PATH).")
def init(path: str, kinds: tuple[str, ...], source: str | None, parallelism: int,
         ci: str) -> None:
    """Create a stack in PATH: stack.yaml, a .gitignore for .provisioner/, a CI workflow."""
    from provisioner.stack.loader import STACK_FILE, new_stack

    folder = Path(path)
    stack_file = folder / STACK_FILE
    workflow = _workflow_path(folder) if ci == "github" else None
    for target in (stack_file, workflow):
        if target is not None and target.exists():
            _refuse(f"{target} exists", "init writes new files only: remove it, or choose "
                                        "another PATH")
    if source and kinds:
        _refuse("--kind and --from-target both say what to start with", "choose one")
    stack = new_stack(folder, source)
    text, count = (_generated(stack, parallelism) if source
                   else _examples(stack, kinds or ("external_models",)))
    folder.mkdir(parents=True, exist_ok=True)
    stack_file.write_text(text)
    ignored = _ignore_provisioner_files(folder)
    written = [f"{stack_file} ({count} resource{'' if count == 1 else 's'})"]
    if ignored:
        written.append(str(folder / ".gitignore"))
    if workflow is not None:
        workflow.parent.mkdir(parents=True, exist_ok=True)
        workflow.write_text(_workflow(stack.name, folder, workflow))
        written.append(str(workflow))
    out("Wrote " + ", ".join(written) + ".")
    out(f"Next: provisioner plan {folder}")


def _examples(stack, kinds: tuple[str, ...]) -> tuple[str, int]:
    from provisioner.cli.gitops_commands import schema_reference
    from provisioner.plan.generate import Generated, to_yaml

    wanted = {need for kind in kinds for need in (*NEEDS.get(kind, ()), kind)}
    resources = {kind: EXAMPLES[kind] for kind in EXAMPLES if kind in wanted}
    document = Generated({"stack": stack.name, "resources": resources}, ())
    header = ["Written by `provisioner init`: edit the resources, then "
              f"`provisioner plan {stack.root}`."]
    text = to_yaml(document, schema=schema_reference(stack.root, None), header=header)
    return text, sum(len(r) for r in resources.values())


def _generated(stack, parallelism: int) -> tuple[str, int]:
    from provisioner.cli.gitops_commands import generated_yaml
    from provisioner.render.safe import visible

    for note in (generated := generated_yaml(stack, [], None, parallelism, None))[2]:
        err(f"note: {visible(note)}")
    return generated[0], generated[1]


def _ignore_provisioner_files(folder: Path) -> bool:
    """Add `.provisioner/` to the folder's .gitignore; False when it was there already."""
    ignore = folder / ".gitignore"
    lines = ignore.read_text().splitlines() if ignore.exists() else []
    if IGNORED in lines or IGNORED.rstrip("/") in lines:
        return False
    ignore.write_text("\n".join([*lines, IGNORED]) + "\n")
    return True


def _repository(folder: Path) -> Path:
    """The git work tree holding `folder` (where GitHub reads workflows), else the current
    folder."""
    for candidate in (folder.resolve(), *folder.resolve().parents):
        if (candidate / ".git").exists():
            return candidate
    return Path.cwd().resolve()


def _workflow_path(folder: Path) -> Path:
    name = f"provisioner-{folder.resolve().name}.yml"
    return _repository(folder) / ".github" / "workflows" / name


def _workflow(name: str, folder: Path, workflow: Path) -> str:
    from provisioner import __version__

    root = workflow.parents[2]
    stack = folder.resolve().relative_to(root).as_posix() if folder.resolve().is_relative_to(
        root) else folder.resolve().as_posix()
    return WORKFLOW.format(name=name, stack=stack, version=__version__)


def _refuse(summary: str, hint: str | None = None):
    from provisioner.diagnostics import error
    from provisioner.errors import UserError

    raise UserError([error(summary, hint=hint)])
