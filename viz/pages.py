"""The shell of viz's HTML pages: one self-contained file, offline, no server.

A page is the SVG that `dot` laid out (inline, one per pre-rendered level), its
data as JSON, and the page's own stylesheet and script (viz/page/*, shipped in
the wheel), all in one file. Nothing is fetched: the page's Content Security
Policy allows no network at all, and the only `http://` text in it is the SVG
XML namespaces (the DOCTYPE and comments `dot` writes are dropped).
"""

from __future__ import annotations

import html
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from viz.render import run_dot, write_atomic

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
_PROLOG = re.compile(r"<\?xml[^>]*>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)
_AUTO_ID = re.compile(r'\bid="(graph|node|edge|clust|a_)(\w*)"')


def asset(name: str) -> str:
    """A file of viz/page/ (the pages' stylesheet and scripts)."""
    return (resources.files("viz") / "page" / name).read_text(encoding="utf-8")


def svg_of(source: str, ids: str, who: str) -> str:
    """The SVG `dot` lays out for `source`, ready to sit inline in a page: no XML prolog, DOCTYPE or
    comments, and the ids dot makes up (graph0, node3) prefixed with `ids` so levels never share one."""
    svg = run_dot(source, "svg", timeout=60, what="the page's graph", who=who).decode("utf-8")
    svg = _PROLOG.sub("", svg).strip()
    return _AUTO_ID.sub(lambda m: f'id="{ids}{m.group(1)}{m.group(2)}"', svg)


def script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` that could close it or start markup."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(title: str, body: str, data: Any, scripts: list[str]) -> str:
    """A whole page: the shared stylesheet, `body` (trusted HTML made here), the data, then the scripts."""
    code = "\n".join(asset(name) for name in scripts)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n<style>\n{asset('page.css')}\n</style>\n</head>\n<body>\n"
        f"{body}\n<script type=\"application/json\" id=\"data\">{script_json(data)}</script>\n"
        f"<script>\n{code}\n</script>\n</body>\n</html>\n"
    )


def write_page(path: str | os.PathLike, text: str, who: str) -> Path:
    """Write a page atomically to `path` (its folder must exist); returns the path."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{who}: the folder {str(path.parent)!r} does not exist; create it first")
    write_atomic(path, text.encode("utf-8"))
    return path
