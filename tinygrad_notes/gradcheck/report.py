"""What a gradient check found, per input or parameter, as a table for the terminal and HTML for Jupyter.

The global figure is the notes' relative error ||num - ana|| / (||num|| + ||ana||);
each entry (an input, or a named parameter such as `W1` or `layers.0.weight`)
has its own, and lists its worst components with the analytical and numerical
values side by side, so a bug in `db2` shows up as `b2`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

GREAT = 1e-7  # the notes: "about 1e-7: great"
BUG = 1e-3  # the notes: "1e-3 or more: worry, likely a bug"


def reading(rel_error: float, great: float = GREAT, bug: float = BUG) -> str:
    """The notes' reading of a relative error: "great", "check it" (look at the components) or "bug"."""
    if rel_error <= great:
        return "great"
    if rel_error <= bug:
        return "check it"
    return "bug"


class GradcheckError(AssertionError):
    """A gradient check failed; the message is the report's table."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass
class Component:
    """One compared number: d output[output_index] / d input[index] (or a projection of the outputs)."""

    index: tuple[int, ...]  # position inside the input or parameter
    analytical: float
    numerical: float
    tolerance: float  # atol + rtol * |numerical| + noise: the bound |numerical - analytical| is held to
    status: str  # "ok", "fail" or "kink"
    output_index: tuple[int, ...] | None = None  # which output component; None when outputs were projected
    left: float | None = None  # one-sided differences, looked at when the two sides disagree
    right: float | None = None

    @property
    def difference(self) -> float:
        """analytical - numerical."""
        return self.analytical - self.numerical


@dataclass
class Probe:
    """A fast-mode comparison along a random direction u: analytical g.u against the two-sided difference."""

    analytical: float
    numerical: float
    tolerance: float
    passed: bool

    @property
    def difference(self) -> float:
        return self.analytical - self.numerical


@dataclass
class Entry:
    """The check of one input or named parameter."""

    name: str
    shape: tuple[int, ...]
    passed: bool
    rel_error: float
    mode: str = "full"  # "full", "fast", or "fast, then full" (a probe failed and every component was checked)
    offset: int = 0  # where this block starts in the flattened vector theta
    checked: int = 0  # components compared (times output rows when a Jacobian is compared)
    failed: int = 0
    kinks: int = 0
    worst: list[Component] = field(default_factory=list)  # the largest |difference| / tolerance first
    probes: list[Probe] = field(default_factory=list)
    max_abs_diff: float = 0.0
    norms: tuple[float, float, float] = (0.0, 0.0, 0.0)  # ||num||, ||ana||, ||num - ana|| (kinks left out)
    within_noise: bool = False  # passed although rel_error > threshold: every difference is rounding noise

    @property
    def size(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def verdict(self) -> str:
        """The notes' reading ("great", "check it", "bug"), "bug (N components)" when single components fail,
        or "within noise" when the gradient is so small that its relative error is rounding noise."""
        if self.failed:
            what = "probe" if self.mode == "fast" else "component"
            return f"bug ({self.failed} {what}{'s' if self.failed > 1 else ''})"
        if not self.passed:
            return "bug" if self.rel_error > BUG else "check it"
        if self.within_noise:  # e.g. a bias before batch norm: its gradient is 0, the differences are rounding
            return "within noise"
        return reading(self.rel_error)


@dataclass
class GradcheckReport:
    """The result of `gradcheck`, `gradgradcheck` or `gradcheck_model`: truthy when the check passed."""

    entries: list[Entry]
    rel_error: float
    passed: bool
    order: int = 1
    mode: str = "full"
    eps: float = 1e-7
    atol: float = 0.0
    rtol: float = 0.0
    threshold: float = 0.0
    noise: float = 0.0  # the largest rounding-noise allowance that entered a tolerance
    evaluations: int = 0  # evaluations of the function (real calls plus graph replays)
    calls: int = 0  # real calls of the function among them
    seconds: float = 0.0
    title: str = "gradcheck"
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """The notes' reading of the global relative error, or "bug" when some entry failed."""
        if not self.passed:
            return "bug" if any(e.failed for e in self.entries) or self.rel_error > BUG else "check it"
        return reading(self.rel_error)

    @property
    def kinks(self) -> int:
        return sum(e.kinks for e in self.entries)

    def __bool__(self) -> bool:
        return self.passed

    def __getitem__(self, name: str) -> Entry:
        """The entry called `name` ("input 0", "W1", "layers.0.weight")."""
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(f"gradcheck report: no entry {name!r}; entries are {[e.name for e in self.entries]}")

    def failed_entries(self) -> list[Entry]:
        return [e for e in self.entries if not e.passed]

    def raise_if_failed(self) -> GradcheckReport:
        """Raise `GradcheckError` (an AssertionError, so pytest shows the table) unless the check passed."""
        if not self.passed:
            raise GradcheckError(self)
        return self

    def __repr__(self) -> str:
        status = "passed" if self.passed else "FAILED"
        return (f"<GradcheckReport {self.title} order {self.order} {self.mode}: {status}, "
                f"rel. error {self.rel_error:.1e} ({self.verdict}), {len(self.entries)} entries>")

    # ---- text and HTML: the same rows ------------------------------------------------------------
    def _entry_rows(self) -> list[list[str]]:
        rows = [["", "name", "shape", "rel. error", "verdict", "failed/checked", "kinks", "max |diff|"]]
        for e in self.entries:
            rows.append(["ok" if e.passed else "XX", e.name, _shape(e.shape), f"{e.rel_error:.2e}", e.verdict,
                         f"{e.failed}/{e.checked}", str(e.kinks), f"{e.max_abs_diff:.1e}"])
        return rows

    def _sections(self) -> list[tuple[str, list[list[str]]]]:
        """(title, rows) per detail table: failed probes, then the worst components (or the kinks) of an entry."""
        sections = []
        for e in self.entries:
            if e.probes and not e.passed:
                rows = [["probe", "analytical", "numerical", "difference", "tolerance", "status"]]
                rows += [[str(i), f"{p.analytical:.8g}", f"{p.numerical:.8g}", f"{p.difference:.2e}",
                          f"{p.tolerance:.1e}", "ok" if p.passed else "FAIL"] for i, p in enumerate(e.probes)]
                failed = sum(not p.passed for p in e.probes)
                sections.append((f"{e.name}: {len(e.probes)} random probes v.J.u, {failed} failed", rows))
            shown = e.worst if not e.passed else [c for c in e.worst if c.status != "ok"]
            if shown:
                rows = [["index", "analytical", "numerical", "difference", "tolerance", "status"]]
                for c in shown:
                    index = _shape(c.index) if c.output_index is None else \
                        f"out{_shape(c.output_index)} {_shape(c.index)}"
                    status = c.status if not c.status.startswith("kink") else \
                        f"{c.status} (left {c.left:.3g}, right {c.right:.3g})"
                    rows.append([index, f"{c.analytical:.8g}", f"{c.numerical:.8g}", f"{c.difference:.2e}",
                                 f"{c.tolerance:.1e}", status])
                sections.append((f"worst components of {e.name}" if not e.passed else f"kinks in {e.name}", rows))
        return sections

    def _footer(self) -> list[str]:
        return [f"per component: |numerical - analytical| <= atol + rtol*|numerical| + noise (atol={self.atol:g}, "
                f"rtol={self.rtol:g}, noise up to {self.noise:.1e}); relative error threshold {self.threshold:g}",
                f"{self.evaluations} evaluations ({self.calls} real calls of the function)",
                *[f"note: {n}" for n in self.notes]]

    def __str__(self) -> str:
        lines = [self._header(), *_table(self._entry_rows(), indent="  ")]
        for title, rows in self._sections():
            lines += [f"  {title}:", *_table(rows, indent="    ")]
        lines += [f"  {line}" for line in self._footer()]
        return "\n".join(lines)

    def _header(self) -> str:
        status = "passed" if self.passed else "FAILED"
        return (f"{self.title} (order {self.order}, {self.mode} check, eps={self.eps:g}): {status}   "
                f"relative error {self.rel_error:.2e} -> {self.verdict}")

    def _repr_html_(self) -> str:
        """The same tables as HTML, for Jupyter."""
        colour = "#1a7f37" if self.passed else "#cf222e"
        parts = [f'<div><p style="color:{colour}"><b>{html.escape(self._header())}</b></p>',
                 _html_table(self._entry_rows())]
        for title, rows in self._sections():
            parts += [f"<p>{html.escape(title)}</p>", _html_table(rows)]
        parts += [f"<p><small>{html.escape(line)}</small></p>" for line in self._footer()]
        return "".join(parts) + "</div>"


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _html_table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f"<table><tr>{head}</tr>{body}</table>"


def _table(rows: list[list[str]], indent: str) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
