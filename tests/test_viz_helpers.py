"""Reading back the DOT text that viz writes (node and edge statements, clusters, label text), for the viz tests."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_NODE = re.compile(r"^\t+(\w+) \[label=<(.*)>(?: (.*))?\]$")
_EDGE = re.compile(r"^\t+(\w+) -> (\w+)(?: \[(.*)\])?$")
_ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_CLUSTER = re.compile(r"^\t+subgraph (cluster_\w+) \{$")
_TITLE = re.compile(r"^\t+label=<<B>(.*)</B>>$")


@dataclass
class DotNode:
    id: str
    rows: list[str]  # the label's rows as plain text
    attrs: dict[str, str]
    clusters: list[str] = field(default_factory=list)  # titles of the clusters it sits in, outermost first

    @property
    def text(self) -> str:
        return "\n".join(self.rows)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def cell_colour(self, startswith: str) -> str | None:
        """The background colour of the label row starting with `startswith`."""
        for raw, text in zip(self.raw_cells, self.rows):
            if text.startswith(startswith):
                m = re.search(r'BGCOLOR="(#[0-9a-f]{6})"', raw)
                return m.group(1) if m else None
        return None

    raw_cells: list[str] = field(default_factory=list)


@dataclass
class Dot:
    nodes: dict[str, DotNode]
    edges: list[tuple[str, str, dict[str, str]]]
    clusters: list[str]  # cluster titles

    def graph_nodes(self) -> list[DotNode]:
        """The nodes of the picture, without the legend."""
        return [n for n in self.nodes.values() if "legend" not in n.classes]

    def with_class(self, *classes: str) -> list[DotNode]:
        return [n for n in self.graph_nodes() if set(classes) <= n.classes]

    def named(self, name: str) -> DotNode:
        found = [n for n in self.graph_nodes() if n.rows and n.rows[0] == name]
        assert len(found) == 1, f"{len(found)} nodes titled {name!r}"
        return found[0]

    def graph_edges(self) -> list[tuple[str, str, dict[str, str]]]:
        return [e for e in self.edges if not e[0].startswith("legend")]

    def inputs_of(self, node_id: str) -> list[str]:
        return [a for a, b, _ in self.graph_edges() if b == node_id]


def _text(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell.replace('<BR ALIGN="LEFT"/>', "\n")))


def parse(source: str) -> Dot:
    nodes: dict[str, DotNode] = {}
    edges = []
    stack: list[str | None] = []
    titles = []
    for line in source.splitlines():
        if m := _CLUSTER.match(line):
            stack.append(None)
            continue
        if stack and stack[-1] is None and (m := _TITLE.match(line)):
            stack[-1] = html.unescape(m.group(1))
            titles.append(stack[-1])
            continue
        if line.strip() == "}" and stack:
            stack.pop()
            continue
        if m := _NODE.match(line):
            node_id, label, rest = m.groups()
            cells = re.findall(r"<TD[^>]*>.*?</TD>", label)
            attrs = {k: v.replace('\\"', '"') for k, v in _ATTR.findall(rest or "")}
            nodes[node_id] = DotNode(node_id, [_text(c) for c in cells], attrs, [s for s in stack if s],
                                     raw_cells=cells)
        elif m := _EDGE.match(line):
            a, b, rest = m.groups()
            edges.append((a, b, dict(_ATTR.findall(rest or ""))))
    return Dot(nodes, edges, titles)
