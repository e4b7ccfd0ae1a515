"""What a gradient check found, per input or parameter, as a table for the terminal and HTML for Jupyter.

Two readings sit side by side. The notes' figure is the relative error
||num − ana|| / (||num|| + ||ana||), read with the notes' words (`reading`). The
decision is per component: each (output, input) component is held to its own
tolerance, so one wrong component among thousands fails and is named, whatever
the figure says. Each entry (an input, or a named parameter such as `W1` or
`layers.0.weight`) has both and lists its worst components with the analytical
and numerical values side by side.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

GREAT = 1e-7  # the notes: "about 1e-7: great"
FINE = 1e-5  # "about 1e-5: fine, but look at the components"
BUG = 1e-3  # "1e-3 or more: worry, likely a bug"


def reading(rel_error: float) -> str:
    """The notes' words for a relative error: great, fine but look at the components, check the components,
    likely a bug."""
    if not math.isfinite(rel_error):
        return "NaN/Inf"
    if rel_error <= GREAT:
        return "great"
    if rel_error <= FINE:
        return "fine, look at the components"
    if rel_error < BUG:
        return "check the components"
    return "likely a bug"


class GradcheckError(AssertionError):
    """A gradient check failed; the message is the report's table."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass
class Component:
    """One compared number: d output[output_index] / d input[index]."""

    index: tuple[int, ...]  # position inside the input or parameter
    analytical: float
    numerical: float
    tolerance: float  # atol + rtol * |numerical| + noise: the bound |numerical - analytical| is held to
    status: str  # "ok", "fail", "kink", "kink (counted)", "NaN", "Inf"; "(Richardson)" when it was re-checked
    output_index: tuple[int, ...] | None = None  # which output component; None for a one-element output
    left: float | None = None  # one-sided slopes, shown for kinks
    right: float | None = None

    @property
    def difference(self) -> float:
        """analytical - numerical."""
        return self.analytical - self.numerical


@dataclass
class Probe:
    """A fast-mode comparison: w.J.u for a random direction u and Rademacher weights w on one block of outputs."""

    analytical: float
    numerical: float
    tolerance: float
    passed: bool
    block: int = 0
    rechecked: bool = False  # failed at eps and was looked at again (measured noise, Richardson)

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
    checked: int = 0  # (output, input) components compared, or probes in fast mode
    failed: int = 0
    kinks: int = 0
    nonfinite: int = 0  # components whose analytical or numerical value is NaN or Inf
    rechecked: int = 0  # components that failed at eps and were re-checked with Richardson's extrapolation
    rescued: int = 0  # ... and passed that way
    worst: list[Component] = field(default_factory=list)  # failures and NaN first, then kinks, then the rest
    probes: list[Probe] = field(default_factory=list)
    max_abs_diff: float = 0.0
    norms: tuple[float, float, float] = (0.0, 0.0, 0.0)  # ||num||, ||ana||, ||num - ana|| (kinks, NaN left out)
    within_noise: bool = False  # passed although rel_error > threshold: every difference is rounding noise
    blind_spot: float | None = None  # fast mode: a single wrong Jacobian entry smaller than this can pass unseen
    not_checked: str = ""  # why the numbers were not compared (a random function, a broken promise)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def reading(self) -> str:
        """The notes' words for this entry's relative error."""
        return "-" if self.not_checked else reading(self.rel_error)

    @property
    def decision(self) -> str:
        """The per-component decision: "ok", "ok (2 kinks)", "ok (within noise)", "bug (3 components)",
        "NaN/Inf (2 components)", "not checked"."""
        if self.not_checked:
            return "not checked"
        what = "probe" if self.mode == "fast" else "component"
        if self.nonfinite:
            return f"NaN/Inf ({self.nonfinite} {what}{'s' if self.nonfinite > 1 else ''})"
        if self.failed:
            return f"bug ({self.failed} {what}{'s' if self.failed > 1 else ''})"
        if not self.passed:
            return f"rel. error above threshold ({self.reading})"
        if self.within_noise:  # e.g. a bias before batch norm: its gradient is 0, the differences are rounding
            return "ok (within noise)"
        if self.kinks:
            return f"ok ({self.kinks} kink{'s' if self.kinks > 1 else ''})"
        return "ok"

    verdict = decision


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
    noise_measured: bool = False  # some tolerance used the function's measured noise, not only the floor
    evaluations: int = 0  # evaluations of the function (real calls plus graph replays)
    calls: int = 0  # real calls of the function among them
    seconds: float = 0.0
    title: str = "gradcheck"
    notes: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)  # broken promises, each naming its op
    random: str = ""  # why the function is random, with the notes' advice; nothing was compared then
    precision: str = ""  # what computing below float64 inside means for this check

    @property
    def reading(self) -> str:
        """The notes' words for the global relative error."""
        return reading(self.rel_error) if not self.random else "-"

    @property
    def kinks(self) -> int:
        return sum(e.kinks for e in self.entries)

    @property
    def decision(self) -> str:
        """The per-component decision over all entries, in a few words."""
        if self.random:
            return "the function is random"
        if self.violations:
            n = len(self.violations)
            return f"{n} broken promise{'s' if n > 1 else ''}"
        checked = sum(e.checked for e in self.entries)
        what = "probes" if self.mode == "fast" and all(e.mode == "fast" for e in self.entries) else "components"
        bad = sum(e.failed + e.nonfinite for e in self.entries)
        if bad:
            return f"{bad} of {checked} {what} fail" + (" (NaN/Inf)" if any(e.nonfinite for e in self.entries) else "")
        if not self.passed:
            return "relative error above threshold"
        kinks = f", {self.kinks} kink{'s' if self.kinks > 1 else ''}" if self.kinks else ""
        return f"{checked} {what} agree{kinks}"

    verdict = decision

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
        return (f"<GradcheckReport {self.title} order {self.order} {self.mode}: {status}, {self.decision}; "
                f"rel. error {self.rel_error:.1e} ({self.reading}), {len(self.entries)} entries>")

    # ---- text and HTML: the same rows ------------------------------------------------------------
    def _entry_rows(self) -> list[list[str]]:
        rows = [["", "name", "shape", "rel. error", "notes' reading", "decision", "failed/checked", "kinks",
                 "max |diff|"]]
        for e in self.entries:
            rows.append(["ok" if e.passed else "XX", e.name, _shape(e.shape),
                         "-" if e.not_checked else f"{e.rel_error:.2e}", e.reading, e.decision,
                         f"{e.failed + e.nonfinite}/{e.checked}", str(e.kinks), f"{e.max_abs_diff:.1e}"])
        return rows

    def _sections(self) -> list[tuple[str, list[list[str]]]]:
        """(title, rows) per detail table: failed probes, then the worst components (or the kinks) of an entry."""
        sections = []
        for e in self.entries:
            if e.probes and not e.passed:
                rows = [["probe", "block", "analytical", "numerical", "difference", "tolerance", "status"]]
                rows += [[str(i), str(p.block), f"{p.analytical:.8g}", f"{p.numerical:.8g}", f"{p.difference:.2e}",
                          f"{p.tolerance:.1e}", ("ok" if p.passed else "FAIL") + (" (re-checked)" if p.rechecked
                                                                                  else "")]
                         for i, p in enumerate(e.probes) if not p.passed][:8]
                failed = sum(not p.passed for p in e.probes)
                sections.append((f"{e.name}: {failed} of {len(e.probes)} probes w.J.u failed", rows))
            unusual = [c for c in e.worst if c.status != "ok"]
            shown = unusual or (e.worst if not e.passed else [])
            if shown:
                rows = [["index", "analytical", "numerical", "difference", "tolerance", "status"]]
                for c in shown:
                    index = _shape(c.index) if c.output_index is None else \
                        f"out{_shape(c.output_index)} in{_shape(c.index)}"
                    status = c.status if not c.status.startswith("kink") else \
                        f"{c.status} (left {c.left:.6g}, right {c.right:.6g})"
                    rows.append([index, f"{c.analytical:.8g}", f"{c.numerical:.8g}", f"{c.difference:.2e}",
                                 f"{c.tolerance:.1e}", status])
                title = f"worst components of {e.name}" if not e.passed else f"kinks in {e.name}" if all(
                    c.status.startswith("kink") for c in shown) else f"components of {e.name} worth a look"
                sections.append((title, rows))
        return sections

    @property
    def compared(self) -> bool:
        """Whether any numbers were compared (not when the function is random or broke a promise that blocks it)."""
        return any(not e.not_checked for e in self.entries)

    def _footer(self) -> list[str]:
        if not self.compared:
            return [f"{self.evaluations} evaluations ({self.calls} real calls of the function)",
                    *[f"note: {n}" for n in self.notes]]
        measured = "; where a component stood out, also the function's own rounding, measured" \
            if self.noise_measured else ""
        unit = "probe" if self.mode == "fast" and all(e.mode == "fast" for e in self.entries) else "component"
        lines = [f"per {unit}: |numerical - analytical| <= atol + rtol*|numerical| + noise (atol={self.atol:g}, "
                 f"rtol={self.rtol:g}); relative error threshold {self.threshold:g}",
                 f"noise: what rounding allows in a difference, up to {self.noise:.1e}: 16 ulps of |f| / eps{measured}",
                 f"{self.evaluations} evaluations ({self.calls} real calls of the function)"]
        if self.precision:
            lines.append(f"precision: {self.precision}")
        return lines + [f"note: {n}" for n in self.notes]

    def _problems(self) -> list[str]:
        """Broken promises and randomness: above everything else, they decide the check."""
        lines = [f"broken promise: {v}" for v in self.violations]
        if self.random:
            lines.append(f"random function: {self.random}")
        return lines

    def __str__(self) -> str:
        lines = [self._header(), *[f"  {p}" for p in self._problems()], *_table(self._entry_rows(), indent="  ")]
        for title, rows in self._sections():
            lines += [f"  {title}:", *_table(rows, indent="    ")]
        lines += [f"  {line}" for line in self._footer()]
        return "\n".join(lines)

    def _header(self) -> str:
        status = "passed" if self.passed else "NOT CHECKED" if self.random else "FAILED"
        figure = f"   relative error {self.rel_error:.2e} (the notes: {self.reading})" if self.compared else ""
        return (f"{self.title} (order {self.order}, {self.mode} check, eps={self.eps:.2g}): {status}: "
                f"{self.decision}{figure}")

    def _repr_html_(self) -> str:
        """The same tables as HTML, for Jupyter."""
        colour = "#1a7f37" if self.passed else "#cf222e"
        parts = [f'<div><p style="color:{colour}"><b>{html.escape(self._header())}</b></p>']
        parts += [f"<p>{html.escape(p)}</p>" for p in self._problems()]
        parts.append(_html_table(self._entry_rows()))
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
