"""The legend of a graph picture: one sample node per kind drawn, the gradient-norm scale, the problem marks."""

from __future__ import annotations

from viz import dot, style
from viz.labels import Row

KIND_ORDER = ("output", "parameter", "leaf", "constant", "intermediate", "op", "module", "fold", "repeat", "vjp",
              "saved")


def legend_lines(kinds: set[str], grads: bool, problems: bool, checked: bool) -> list[str]:
    """DOT lines of a `legend` cluster for the kinds present (and the scales and marks that apply), all on
    one rank: a column beside a left-to-right picture, a row above a top-to-bottom one."""
    lines = [dot.cluster_open("cluster_legend", "legend", {"style": "rounded", "color": "#bdbdbd"})]
    for kind in KIND_ORDER:
        if kind in kinds:
            attrs = {**style.LOOKS[kind].attrs(), "class": "legend", "height": "0.2"}
            lines.append(dot.node(f"legend_{kind}", [Row(style.KIND_TITLES[kind], small=True)], attrs,
                                  indent="\t\t"))
    if grads:
        rows = [Row("gradient norm (log scale)", bold=True, small=True)]
        for norm, reading in style.LEGEND_SWATCHES:
            colour = style.grad_color(norm)
            rows.append(Row(f"{norm:.0e}  {reading}", bgcolor=colour, color=style.text_color(colour),
                            small=True))
        lines.append(dot.node("legend_scale", rows, {"shape": "plaintext", "class": "legend"}, indent="\t\t"))
    if problems:
        attrs = {"shape": "box", "style": "filled", "fillcolor": style.PROBLEM_FILL, "color": style.PROBLEM_COLOR,
                 "penwidth": "2", "class": "legend"}
        lines.append(dot.node("legend_nan", [Row("NaN or Inf", small=True, color=style.PROBLEM_COLOR)], attrs,
                              indent="\t\t"))
    if checked:
        attrs = {"shape": "box", "style": "filled", "fillcolor": "#ffffff", "color": style.PROBLEM_COLOR,
                 "penwidth": "3", "class": "legend"}
        lines.append(dot.node("legend_check", [Row("failed gradcheck (or fed by one)", small=True)], attrs,
                              indent="\t\t"))
    ids = [line.split()[0] for line in lines[1:]]
    lines.append("\t\t{rank=same; " + "; ".join(ids) + "}\n")
    lines.append(dot.cluster_close())
    return lines
