"""A dependency graph as text, Graphviz dot, or Mermaid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Graph = Mapping[str, Sequence[str]]
"""node -> the nodes it depends on, every node present as a key."""


def text(graph: Graph) -> str:
    lines = []
    for node in sorted(graph):
        needs = sorted(graph[node])
        lines.append(f"{node}" + (f" <- {', '.join(needs)}" if needs else ""))
    return "\n".join(lines)


def dot(graph: Graph) -> str:
    lines = ["digraph stack {", "  rankdir=LR;"]
    lines += [f'  "{node}";' for node in sorted(graph)]
    lines += [f'  "{dep}" -> "{node}";' for node in sorted(graph) for dep in sorted(graph[node])]
    lines.append("}")
    return "\n".join(lines)


def mermaid(graph: Graph) -> str:
    ids = {node: f"n{i}" for i, node in enumerate(sorted(graph))}
    lines = ["graph LR"]
    lines += [f'  {ids[node]}["{node}"]' for node in sorted(graph)]
    lines += [f"  {ids[dep]} --> {ids[node]}" for node in sorted(graph)
              for dep in sorted(graph[node])]
    return "\n".join(lines)


FORMATS = {"text": text, "dot": dot, "mermaid": mermaid}
