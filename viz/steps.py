"""`backprop_steps`: backpropagation one node at a time, as a learner does it on paper, as an HTML page.

The page replays the backward walk in the engine's own order (the newest node
first: every node after all the nodes that read it). Each step shows the node
being processed, the gradient arriving at its output, the rule's formula and,
for scalar ops, the local derivatives as numbers, what it sends to each input,
and every gradient accumulated so far. Next/previous buttons, a slider and the
arrow keys move through the steps; the graph highlights the node of the step.

The replay calls each op's own backward rule (its VJP), so it computes exactly
what `backward()` does; it reads the saved values, so it runs on a graph that
no backward has freed yet (before `loss.backward()`, or after a backward with
`retain_graph=True`), and it changes no `.grad`.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_notes import GraphFreedError, Primitive, Tensor, inputs_of, no_grad, op_name, walk
from tinygrad_notes.graph import is_freed
from viz.draw import Drawing, Options, make_scene, picture_of, scene_lines
from viz.formulas import formula_of
from viz.graph import INTERMEDIATE, OP, OUTPUT, as_roots, describe
from viz.modules import module_titles
from viz.names import parameter_names
from viz.pages import page, svg_of, write_page
from viz.problems import norm
from viz.text import cut, fmt_array, fmt_number, fmt_shape_only

WHO = "backprop_steps"
MAX_STEPS = 500  # the page is for graphs a learner steps through, not for a whole training run
VALUES_UP_TO = 6  # elements printed in full on the page; beyond, the shape and the norm


@dataclass
class Step:
    """One node of the backward walk: what arrives, what the rule does, what is accumulated after it."""

    op: str  # the op's name ("start" for the first step, which seeds d output/d output = 1)
    output: str  # the tensor whose gradient arrives (the op's output)
    grad_in: np.ndarray  # d root / d output
    formula: str | None = None  # the rule's formula, as written beside it
    local: list[tuple[str, np.ndarray | None]] = field(default_factory=list)  # (input, d output/d input) if scalar
    sent: list[tuple[str, np.ndarray]] = field(default_factory=list)  # (input, gradient sent to it)
    accumulated: dict[str, np.ndarray] = field(default_factory=dict)  # every gradient so far, after this step
    node: int = -1  # the op's node in the graph description (for the picture)


def backprop_steps(loss: Tensor, path: str | os.PathLike, params: Any = None, *, title: str | None = None,
                   show_values: Any = "auto") -> list[Step]:
    """Write the step-by-step backpropagation page of `loss` to `path` and return its steps.

    `params` names parameters as in draw_graph (a dict, a model, or pairs); other tensors show
    their `.name`, and unnamed intermediate results are named after their op (`mul1`, `tanh1`).
    Call it before `loss.backward()` (or after a backward with retain_graph=True). Needs `dot`.
    """
    (root,) = as_roots(loss, WHO)
    if root.size != 1:
        raise ValueError(f"{WHO}: the output must have one element (a loss), this one has shape {root.shape}; "
                         "reduce it with .sum() or .mean() first")
    if root.grad_fn is None:
        raise ValueError(f"{WHO}: this tensor was not made by an op (it is a leaf): there is no backward to step "
                         "through; make the leaves with requires_grad=True and compute a loss from them")
    nodes = walk([root])
    if len(nodes) > MAX_STEPS:
        raise ValueError(f"{WHO}: the graph has {len(nodes):,} ops, more than {MAX_STEPS} steps to click through; "
                         "use a smaller model or batch (the steps are the same for every layer)")
    for fn in nodes:
        if is_freed(fn):
            raise GraphFreedError(
                f"{WHO}: a backward already freed this graph (at op {op_name(fn)}), and the replay needs the values "
                "it saved; call backprop_steps(loss, ...) before loss.backward(), or pass retain_graph=True to it"
            )
    drawing = Drawing(describe([root], parameter_names(params, WHO)), module_titles(params), None,
                      Options(show_values=show_values, show_grads=False, fold=False, max_nodes=None))
    labels = _label_nodes(drawing)
    steps = _replay(root, nodes, drawing, labels)
    _write(path, steps, drawing, title or f"backpropagation through {labels[('out', id(root.grad_fn))]}")
    return steps


def _label_nodes(drawing: Drawing) -> dict[tuple[str, int], str]:
    """A name for every tensor of the graph: its own, else its op's name and a count (`mul1`), written into the
    picture too; keyed ("out", id(node)) for an op's output and ("leaf", id(tensor)) for a leaf."""
    graph = drawing.graph
    labels: dict[tuple[str, int], str] = {}
    counts: dict[str, int] = {}
    taken = {n.name for n in graph.nodes if n.name}
    leaves = 0
    made = [n for n in graph.nodes if n.kind in (INTERMEDIATE, OUTPUT) and n.fn is not None]
    made.sort(key=lambda n: -graph.op_of[id(n.fn)])  # ops were described newest first: mul1 is made before mul2
    made_ids = {id(n) for n in made}
    for node in made + [n for n in reversed(graph.nodes) if id(n) not in made_ids]:
        if node.kind in (INTERMEDIATE, OUTPUT) and node.fn is not None:
            if not node.name:
                name = op_name(node.fn)
                while True:
                    counts[name] = counts.get(name, 0) + 1
                    label = f"{name}{counts[name]}"
                    if label not in taken:
                        break
                node.name = label
            labels[("out", id(node.fn))] = node.name
        elif node.tensor is not None and node.kind != OP:
            if not node.name:
                leaves += 1
                node.name = f"leaf{leaves}"
            labels[("leaf", id(node.tensor))] = node.name
    return labels


def _call_rule(fn: Any, g: np.ndarray) -> list[np.ndarray | None]:
    """The op's backward rule on gradient `g`, as numpy arrays (one per input, None where none flows)."""
    with no_grad():
        if isinstance(fn, Primitive):
            result = type(fn).backward(fn, g)
        else:  # a user's Function takes and gives Tensors
            result = type(fn).backward(fn, Tensor(g))
    if not isinstance(result, (tuple, list)):
        result = (result,)
    return [None if r is None else np.asarray(r.numpy() if isinstance(r, Tensor) else r) for r in result]


def _replay(root: Tensor, nodes: list[Any], drawing: Drawing, labels: dict[tuple[str, int], str]) -> list[Step]:
    graph = drawing.graph
    out_name = labels[("out", id(root.grad_fn))]
    seed = np.ones(root.shape, dtype=root.dtype)
    accumulated: dict[str, np.ndarray] = {out_name: seed}
    steps = [Step("start", out_name, seed, accumulated=dict(accumulated))]
    pending: dict[int, np.ndarray] = {id(root.grad_fn): seed}
    for fn in nodes:  # the engine's walk: the newest node first, after every node that reads it
        g = pending.pop(id(fn), None)
        if g is None:
            continue  # no gradient reaches it
        output = labels[("out", id(fn))]
        inputs = inputs_of(fn)
        grads = _call_rule(fn, g)
        scalar = g.size == 1 and all(int(np.prod(i.shape)) == 1 for i in inputs)
        local_grads = _call_rule(fn, np.ones_like(g)) if scalar else [None] * len(grads)
        step = Step(op_name(fn), output, g, formula_of(type(fn)), node=graph.op_of[id(fn)])
        for inp, gi, local in zip(inputs, grads, local_grads):
            if inp.node is not None:
                name, key = labels[("out", id(inp.node))], id(inp.node)
            elif inp.tensor is not None and inp.tensor.requires_grad:
                name, key = labels[("leaf", id(inp.tensor))], None
            else:
                continue  # a constant: no gradient
            if gi is None:
                continue
            gi = gi.astype(inp.dtype, copy=False) if gi.dtype != inp.dtype else gi
            step.local.append((name, local))
            step.sent.append((name, gi))
            accumulated[name] = gi if name not in accumulated else accumulated[name] + gi
            if key is not None:
                pending[key] = gi if key not in pending else pending[key] + gi
        step.accumulated = dict(accumulated)
        steps.append(step)
    return steps


# ---- the page ---------------------------------------------------------------------------------------
def _text(a: np.ndarray | None) -> str:
    """A gradient as text: its values when it is small, else its shape and norm."""
    if a is None:
        return "-"
    a = np.asarray(a)
    if a.size <= VALUES_UP_TO:
        return cut(fmt_array(a), 200)
    return f"{fmt_shape_only(a.shape)}, norm {fmt_number(norm(a))}"


def _write(path: str | os.PathLike, steps: list[Step], drawing: Drawing, title: str) -> Path:
    scene = make_scene(drawing, ids="L0")
    unit_of = scene.view.unit_of
    graph = drawing.graph
    output_unit = {}
    for src, dst, pos in graph.edges:
        if pos < 0:
            output_unit[src] = unit_of[dst]
    order = ["start"]
    data_steps = []
    for k, step in enumerate(steps):
        op_unit = unit_of[step.node] if step.node >= 0 else None
        data_steps.append({
            "title": (f"Step 0: start at {step.output}, ∂{step.output}/∂{step.output} = 1" if k == 0 else
                      f"Step {k}: the backward of {step.op} that made {step.output}"),
            "op": None if k == 0 else step.op,
            "unit": op_unit,
            "out_unit": output_unit.get(step.node) if k else unit_of[graph.roots[0]],
            "output": step.output,
            "grad_in": _text(step.grad_in),
            "formula": step.formula,
            "local": [[name, _text(local)] for name, local in step.local if local is not None],
            "sent": [[name, _text(g)] for name, g in step.sent],
            "accumulated": [[name, _text(g), any(name == s for s, _ in step.sent) or k == 0]
                            for name, g in step.accumulated.items()],
        })
        order.append(step.op)
    data = {"steps": data_steps, "root": steps[0].output}
    svg = svg_of(picture_of(scene_lines(scene), drawing.options.rankdir).source, "L0", WHO)
    body = f"""<header>
<h1>{html.escape(title)}</h1>
<span class="steps-bar"><button type="button" id="prev">&#9664; previous</button>
<input id="slider" type="range" min="0" max="{len(steps) - 1}" value="0">
<button type="button" id="next">next &#9654;</button> <span id="counter"></span></span>
<button type="button" id="fit">fit</button>
<span class="hint">arrow keys step too; drag to pan, wheel to zoom</span>
</header>
<main>
<div id="canvas"><div class="level" id="level0">{svg}</div></div>
<aside id="panel"><div id="details"></div></aside>
</main>"""
    return write_page(path, page(title, body, data, ["panzoom.js", "steps.js"]), WHO)
