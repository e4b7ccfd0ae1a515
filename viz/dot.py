"""DOT text: the one escaping function every label goes through, and node, edge and cluster statements.

Graphviz's traps, and how this file avoids them: every label is an HTML-like
label (`label=<...>`) whose text is escaped here and nowhere else (`&`, `<`,
`>` and quotes become entities, a newline a line break, other control
characters are dropped; backslashes are plain text in HTML labels, so a
trailing one cannot break the parse). Node ids are generated (`n12`): user text
never reaches an id, where a colon would name a port.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from viz.labels import Row

_SPECIAL = re.compile(r"[&<>\"'\x00-\x1f\x7f\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
LINE_BREAK = '<BR ALIGN="LEFT"/>'


def escape(text: object) -> str:
    """Text made safe inside a Graphviz HTML-like label; newlines become left-aligned line breaks."""
    s = str(text)
    if not _SPECIAL.search(s):
        return s
    s = s.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot be written as UTF-8
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    s = _CONTROL.sub("", s)
    s = "".join(_ENTITIES.get(c, c) for c in s)
    return s.replace("\n", LINE_BREAK)


def quote(value: object) -> str:
    """An attribute value as a DOT quoted string (for ids and attribute values we generate ourselves)."""
    s = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


def table(rows: Iterable[Row]) -> str:
    """An HTML-like label: one cell per row, each escaped."""
    cells = []
    for row in rows:
        text = escape(row.text)
        if row.bold:
            text = f"<B>{text}</B>"
        if row.italic:
            text = f"<I>{text}</I>"
        if row.color or row.small:
            font = (f' COLOR="{row.color}"' if row.color else "") + (' POINT-SIZE="8"' if row.small else "")
            text = f"<FONT{font}>{text}</FONT>"
        bg = f' BGCOLOR="{row.bgcolor}"' if row.bgcolor else ""
        cells.append(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"{bg}>{text}</TD></TR>')
    if not cells:
        cells.append("<TR><TD> </TD></TR>")
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(cells) + "</TABLE>>"


def attr_list(attrs: Mapping[str, object]) -> str:
    return " ".join(f"{key}={quote(value)}" for key, value in attrs.items())


def node(node_id: str, rows: Iterable[Row], attrs: Mapping[str, object], indent: str = "\t") -> str:
    """A node statement with an HTML-like label."""
    rest = attr_list(attrs)
    return f"{indent}{node_id} [label={table(rows)}{' ' if rest else ''}{rest}]\n"


def edge(tail: str, head: str, attrs: Mapping[str, object] | None = None, indent: str = "\t") -> str:
    rest = f" [{attr_list(attrs)}]" if attrs else ""
    return f"{indent}{tail} -> {head}{rest}\n"


def cluster_open(cluster_id: str, title: str, attrs: Mapping[str, object], indent: str = "\t") -> str:
    return (f"{indent}subgraph {cluster_id} {{\n{indent}\tlabel=<<B>{escape(title)}</B>>\n"
            f"{indent}\t{attr_list(attrs)}\n" if attrs else
            f"{indent}subgraph {cluster_id} {{\n{indent}\tlabel=<<B>{escape(title)}</B>>\n")


def cluster_close(indent: str = "\t") -> str:
    return f"{indent}}}\n"
