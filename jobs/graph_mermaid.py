"""Draw a stack graph (jobs/graph.py) as Mermaid, alone or marked against a base stack.

With a base, a box is marked added / removed / changed exactly when `jobs.synth --diff` reports
its resource so (`marks`, computed by the synth from that same diff); a link is marked when it
exists on one side only or its label differs. Removed boxes and links are drawn from the base,
dashed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from jobs.graph import AREAS, KINDS, SCHEMA, TABLE, WORKLOADS, Edge, Graph, Node

MARKS = {"added": "+", "removed": "-", "changed": "~"}
# GitHub's own diff colours, so a marked box reads like a diff.
_STYLES = {
    "added": "fill:#e6ffec,stroke:#1a7f37,stroke-width:2px",
    "removed": "fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 3",
    "changed": "fill:#fff8c5,stroke:#9a6700,stroke-width:2px",
}
_LINK_COLOURS = {"added": "#1a7f37", "removed": "#cf222e", "changed": "#9a6700"}


def _text(value: str) -> str:
    """Label text inside Mermaid quotes: quotes and angle brackets as entity codes."""
    return value.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _box(node: Node, mark: str | None = None) -> str:
    lines = [_text(line) for line in node.label]
    if mark:
        lines[0] = f"{MARKS[mark]} {lines[0]}"
    body = "<br/>".join(lines)
    if node.resource is None:
        return f'{node.id}(["{body}"])'
    if node.resource[0] in WORKLOADS:
        return f'{node.id}[["{body}"]]'
    if node.resource[0] in (SCHEMA, TABLE):
        return f'{node.id}[("{body}")]'
    return f'{node.id}["{body}"]'


def _lines(
    nodes: Mapping[str, Node],
    edges: list[tuple[Edge, str | None]],
    node_marks: Mapping[str, str],
    title: str,
) -> list[str]:
    lines = ["flowchart LR", f"  %% {title}"]
    areas: dict[str, list[Node]] = {}
    for node in nodes.values():
        areas.setdefault(node.area, []).append(node)
    for area in sorted(areas, key=lambda a: (list(AREAS).index(a) if a in AREAS else 99, a)):
        lines.append(f'  subgraph area_{area}["{_text(AREAS.get(area, area))}"]')
        lines += [f"    {_box(n, node_marks.get(n.id))}" for n in sorted(areas[area], key=_order)]
        lines.append("  end")
    for edge, mark in edges:
        arrow = "-.->" if mark == "removed" else "-->"
        label = f"{MARKS[mark]} {edge.label}" if mark else edge.label
        lines.append(f'  {edge.source} {arrow}|"{_text(label)}"| {edge.target}')
    used = sorted(set(node_marks.values()) | {m for _, m in edges if m})
    for mark in used:
        lines.append(f"  classDef {mark} {_STYLES[mark]}")
    for mark in used:
        ids = [i for i in sorted(node_marks) if node_marks[i] == mark and i in nodes]
        if ids:
            lines.append(f"  class {','.join(ids)} {mark}")
    for index, (_, mark) in enumerate(edges):
        if mark:
            lines.append(f"  linkStyle {index} stroke:{_LINK_COLOURS[mark]},stroke-width:2px")
    return lines


def _order(node: Node) -> tuple[int, str]:
    kinds = list(KINDS)
    type_ = node.resource[0] if node.resource else ""
    return (kinds.index(type_) if type_ in kinds else len(kinds), node.label[0])


def render_graph(graph: Graph) -> str:
    edges: list[tuple[Edge, str | None]] = [(e, None) for e in graph.edges]
    title = f"stack {graph.stack}: {len(graph.nodes)} boxes, {len(graph.edges)} links"
    return "\n".join(_lines(graph.nodes, edges, {}, title))


@dataclass(frozen=True)
class GraphDiff:
    nodes: dict[str, Node]
    node_marks: dict[str, str]
    edges: list[tuple[Edge, str | None]]


def diff_graph(base: Graph, head: Graph, marks: Mapping[tuple[str, str], str]) -> GraphDiff:
    """Head's picture with base's removed boxes and links added back, each marked.

    `marks` maps (type, logical name) to added / removed / changed, as `jobs.synth --diff`
    reports it. Link labels name no stack-suffixed objects, so they compare as they are.
    """
    nodes = dict(head.nodes)
    for node_key, node in base.nodes.items():
        nodes.setdefault(node_key, node)
    node_marks = {}
    for node in nodes.values():
        if node.resource is not None and node.resource in marks:
            node_marks[node.id] = marks[node.resource]
        elif node.resource is None and (node.id in base.nodes) != (node.id in head.nodes):
            node_marks[node.id] = "added" if node.id in head.nodes else "removed"
    old = {e.key: e for e in base.edges}
    new = {e.key: e for e in head.edges}
    edges: list[tuple[Edge, str | None]] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is None:
            assert b is not None
            edges.append((b, "added"))
        elif b is None:
            edges.append((a, "removed"))
        else:
            edges.append((b, "changed" if a.label != b.label else None))
    return GraphDiff(nodes=nodes, node_marks=node_marks, edges=edges)


def render_graph_diff(base: Graph, head: Graph, marks: Mapping[tuple[str, str], str]) -> str:
    diff = diff_graph(base, head, marks)
    counts = {kind: sum(1 for m in diff.node_marks.values() if m == kind) for kind in MARKS}
    changed_links = sum(1 for _, m in diff.edges if m)
    title = (
        f"diff {base.stack} -> {head.stack}: boxes "
        + ", ".join(f"{MARKS[k]}{n} {k}" for k, n in counts.items())
        + f"; {changed_links} links differ"
    )
    return "\n".join(_lines(diff.nodes, diff.edges, diff.node_marks, title))
