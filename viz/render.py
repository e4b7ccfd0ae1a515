"""Write a graph picture to disk: the DOT source always, the SVG/PNG/PDF when Graphviz's `dot` is installed.

Without `dot` the source is still saved beside the requested file and the error
says how to install Graphviz, instead of a bare subprocess traceback. Files are
written to a temporary name and moved into place, so none is ever half-written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

FORMATS = ("svg", "png", "pdf")
INSTALL_HINT = (
    "Install Graphviz (it provides `dot`):\n"
    "  Debian/Ubuntu: sudo apt-get install graphviz\n"
    "  macOS:         brew install graphviz\n"
    "  conda:         conda install -c conda-forge graphviz\n"
    "  Windows:       winget install graphviz (or https://graphviz.org/download/), then add it to PATH"
)


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is not installed (or not on PATH), so a picture cannot be rendered."""


class GraphvizRenderError(RuntimeError):
    """`dot` ran but failed on the DOT source."""


def dot_source(graph: Any) -> str:
    """The DOT text of a graphviz.Digraph / Source (its `.source`) or of a string."""
    if isinstance(graph, str):
        return graph
    source = getattr(graph, "source", None)
    if not isinstance(source, str):
        raise TypeError(f"render: expected a graphviz graph (from viz.draw_graph) or DOT text; "
                        f"got {type(graph).__name__}")
    return source


def find_dot() -> str | None:
    """The path of the `dot` program, or None when Graphviz is not installed."""
    return shutil.which("dot")


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder, so `path` is never half-written."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # the permissions a plain open() would give, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def render(graph: Any, path: str | os.PathLike, format: str | None = None, *, timeout: float | None = 300) -> Path:
    """Render `graph` (from draw_graph) to `path` as svg, png or pdf; the DOT source goes beside it (`.dot`).

    `format` defaults to the path's suffix (else svg). Returns the path written.
    Raises GraphvizNotFoundError, after saving the DOT source, when `dot` is missing.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    if fmt not in FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(FORMATS)}; got {fmt!r} (from "
                         f"{'format=' if format else 'the suffix of '}{format or str(path)!r})")
    if path.suffix.lower() != f".{fmt}":
        path = path.with_name(path.name + f".{fmt}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"render: the folder {str(path.parent)!r} does not exist; create it first")
    source = dot_source(graph)
    dot_path = path.with_suffix(".dot")
    write_atomic(dot_path, source.encode("utf-8"))
    write_atomic(path, run_dot(source, fmt, timeout=timeout, what=repr(str(path)), saved=str(dot_path)))
    return path


def run_dot(source: str, fmt: str = "svg", *, timeout: float | None = 300, what: str = "the graph",
            saved: str | None = None, who: str = "render") -> bytes:
    """Lay `source` out with Graphviz's `dot` and return the `fmt` output (raises a clear error without dot)."""
    where = f" (the DOT source is in {saved!r})" if saved else ""
    program = find_dot()
    if program is None:
        later = (f"The DOT source was saved to {saved!r}: render it later with `dot -T{fmt} {saved}`, "
                 "or paste it into an online Graphviz viewer.\n") if saved else ""
        raise GraphvizNotFoundError(
            f"{who}: Graphviz's `dot` program was not found on PATH, so {what} could not be drawn. {later}"
            + INSTALL_HINT
        )
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise GraphvizRenderError(
            f"{who}: `dot` took more than {timeout} s to lay out {what}{where}; draw a smaller picture with "
            "draw_graph(..., max_nodes=200) or collapse=True"
        ) from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise GraphvizRenderError(f"{who}: `dot -T{fmt}` failed (exit code {done.returncode}) on the source"
                                  f"{' saved in ' + repr(saved) if saved else ''}: {message}")
    return done.stdout
