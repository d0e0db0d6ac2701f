"""Commands that need only the stack files: validate, graph, schema."""

from __future__ import annotations

import click

from provisioner.cli.options import load_stack, stack_options
from provisioner.cli.output import err, out


@click.command()
@stack_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              help="How to print the result and errors: json (as a document on stdout), "
                   "github (workflow annotations).")
def validate(path: str, target: str | None, cli_vars: tuple[str, ...],
             var_files: tuple[str, ...], fmt: str) -> None:
    """Check a stack: YAML, templates, variables, specs, references. No workspace needed."""
    import json

    from provisioner.errors import UserError
    from provisioner.render import diagnostics

    try:
        stack = load_stack(path, target, cli_vars, var_files)
    except UserError as exc:
        if fmt == "json":
            out(json.dumps({"path": path, "target": target, "valid": False,
                            "diagnostics": [d.to_dict() for d in exc.diagnostics]}, indent=2))
        else:
            (out if fmt != "text" else err)(diagnostics.FORMATS[fmt](exc.diagnostics))
        raise click.exceptions.Exit(1) from None
    counts = stack.counts_by_kind()
    if fmt == "json":
        out(json.dumps({"stack": stack.name, "target": stack.target.name, "valid": True,
                        "resources": counts, "diagnostics": []}, indent=2))
        return
    kinds = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no resources"
    count = len(stack.resources)
    out(f"Stack '{stack.name}' is valid for target '{stack.target.name}': "
        f"{count} resource{'' if count == 1 else 's'} ({kinds}).")


@click.command()
@stack_options
@click.option("--format", "fmt", type=click.Choice(["text", "dot", "mermaid"]), default="text",
              help="dot: Graphviz; mermaid: for Markdown (GitHub renders it).")
def graph(path: str, target: str | None, cli_vars: tuple[str, ...], var_files: tuple[str, ...],
          fmt: str) -> None:
    """Print the dependency graph (references and depends_on)."""
    from provisioner.plan.graph import dependency_graph
    from provisioner.render import graph as render_graph

    stack = load_stack(path, target, cli_vars, var_files)
    edges = dependency_graph(stack)
    out(render_graph.FORMATS[fmt]({str(a): [str(d) for d in deps] for a, deps in edges.items()}))


@click.command()
@click.argument("document", type=click.Choice(["stack", "plan", "state", "drift", "events"]),
                default="stack")
def schema(document: str) -> None:
    """Print the JSON Schema of a stack file, a plan, state or drift document, or a line of
    `apply --format json`."""
    import json

    from provisioner.apply.event_document import events_schema
    from provisioner.plan.document import plan_schema
    from provisioner.plan.drift_document import drift_schema
    from provisioner.stack.schema import stack_schema
    from provisioner.state.document import state_schema

    schemas = {"stack": stack_schema, "plan": plan_schema, "state": state_schema,
               "drift": drift_schema, "events": events_schema}
    out(json.dumps(schemas[document](), indent=2))
