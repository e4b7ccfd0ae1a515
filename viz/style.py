"""How a graph picture looks: a shape and colour per kind of node, the gradient-norm scale, the problem colours.

Kinds are told apart by shape *and* colour, so the picture reads in grey too:
a leaf (an input that requires grad) is a plain blue box, a parameter a rounded
green box with a bold border, a constant a grey note, the output an orange box
with a double border, an intermediate a white box and an op a yellow ellipse.

The gradient norm ||g||_2 of a tensor is coloured on a log scale (`grad_color`):
deep blue for vanishing (at or below 1e-8), light blue near `VANISHING_BELOW`,
pale green across the healthy band, orange near `EXPLODING_ABOVE` and dark
brown far above it. Pure red is kept for NaN/Inf and for a failed gradient check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

VANISHING_BELOW = 1e-5  # a gradient norm under this is read as vanishing
EXPLODING_ABOVE = 1e3  # a gradient norm over this is read as exploding

# (log10 of the norm, colour): interpolated linearly in between, clamped outside.
GRAD_STOPS: tuple[tuple[float, str], ...] = (
    (-8.0, "#08306b"),  # deep blue: vanished
    (-5.0, "#6baed6"),  # light blue: VANISHING_BELOW
    (-3.0, "#c7e9c0"),  # pale green: healthy from here...
    (1.0, "#c7e9c0"),  # ...to here
    (3.0, "#fdae6b"),  # orange: EXPLODING_ABOVE
    (6.0, "#7f2704"),  # dark brown: exploded
)

PROBLEM_COLOR = "#e31a1c"  # NaN / Inf, failed gradient check: the one red of the picture
PROBLEM_FILL = "#fcbba1"  # background of a node whose values or gradients are not finite
PASSED_COLOR = "#238b45"  # a passed gradient check
FONT = "Helvetica"


@dataclass(frozen=True)
class Look:
    """The graphviz attributes that draw one kind of node."""

    shape: str
    fillcolor: str
    style: str = "filled"
    color: str = "#333333"
    peripheries: int = 1
    fontcolor: str = "#000000"

    def attrs(self) -> dict[str, str]:
        out = {"shape": self.shape, "style": self.style, "fillcolor": self.fillcolor, "color": self.color}
        if self.peripheries != 1:
            out["peripheries"] = str(self.peripheries)
        if self.fontcolor != "#000000":
            out["fontcolor"] = self.fontcolor
        return out


LOOKS: dict[str, Look] = {
    "leaf": Look("box", "#c6dbef"),
    "parameter": Look("box", "#c7e9c0", style="rounded,filled,bold", color="#238b45"),
    "constant": Look("note", "#f0f0f0", color="#969696", fontcolor="#525252"),
    "output": Look("box", "#fdd0a2", peripheries=2, color="#d94801"),
    "intermediate": Look("box", "#ffffff"),
    "op": Look("ellipse", "#fff7bc", color="#b08800"),
    "module": Look("box3d", "#dadaeb", color="#54278f"),
    "fold": Look("folder", "#efedf5", color="#54278f"),
    "repeat": Look("box3d", "#fde0dd", color="#ae017e"),
    "vjp": Look("box", "#fff7bc", style="rounded,filled", color="#b08800"),
    "saved": Look("box", "#ffffff", style="dotted", color="#636363", fontcolor="#525252"),
    "note": Look("plaintext", "#ffffff", style="solid", fontcolor="#54278f"),
}

KIND_TITLES: dict[str, str] = {
    "output": "output",
    "parameter": "parameter",
    "leaf": "leaf (input that requires grad)",
    "constant": "constant (no grad)",
    "intermediate": "intermediate",
    "op": "op",
    "module": "module (collapsed)",
    "fold": "folded nodes",
    "repeat": "repeated blocks (×N)",
    "vjp": "backward rule of an op (its VJP)",
    "saved": "saved for backward",
}


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def grad_color(norm: float) -> str:
    """The colour of a gradient norm on the log scale of GRAD_STOPS (red when it is not finite)."""
    if not math.isfinite(norm):
        return PROBLEM_COLOR
    x = math.log10(norm) if norm > 0 else GRAD_STOPS[0][0]
    if x <= GRAD_STOPS[0][0]:
        return GRAD_STOPS[0][1]
    for (x0, c0), (x1, c1) in zip(GRAD_STOPS, GRAD_STOPS[1:]):
        if x <= x1:
            t = (x - x0) / (x1 - x0)
            mixed = (round(a + t * (b - a)) for a, b in zip(_rgb(c0), _rgb(c1)))
            return "#" + "".join(f"{v:02x}" for v in mixed)
    return GRAD_STOPS[-1][1]


def grad_band(norm: float) -> str:
    """The notes' reading of a gradient norm: "vanishing", "exploding", "healthy" or "not finite"."""
    if not math.isfinite(norm):
        return "not finite"
    if norm < VANISHING_BELOW:
        return "vanishing"
    if norm > EXPLODING_ABOVE:
        return "exploding"
    return "healthy"


def text_color(background: str) -> str:
    """Black or white, whichever reads better on `background`."""
    r, g, b = _rgb(background)
    return "#ffffff" if 0.299 * r + 0.587 * g + 0.114 * b < 128 else "#000000"


# The swatches of the gradient-norm scale in the legend, with their reading.
LEGEND_SWATCHES = (
    (1e-8, "vanishing"), (1e-5, "vanishing below"), (1e-3, "healthy"), (1e0, "healthy"),
    (1e3, "exploding above"), (1e6, "exploding"),
)
