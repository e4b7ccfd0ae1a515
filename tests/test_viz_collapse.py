"""Big graphs: collapsing past max_nodes (modules, then folding the spine, then cutting), deep chains walked
without recursion, and the notes' deep networks whose vanishing and exploding gradients show in colour.

These pictures are drawn with fold=False: folding repeated blocks into one ×N box (test_viz_fold.py) would
otherwise stand for the very chains whose layers these tests read one by one."""

from __future__ import annotations

import numpy as np
from test_viz_helpers import parse

import viz
from tinygrad_notes import Tensor, name_scope, stack
from viz import style


def deep_tanh_net(layers, scale, width=6, seed=0):
    """The notes' deep network: tanh layers whose weights are too small. The biases keep the activations
    alive, while every layer multiplies the gradient flowing back by about `scale * sqrt(width)`."""
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((8, width)))
    params = {}
    h = x
    for k in range(layers):
        W = Tensor(rng.standard_normal((width, width)) * scale, requires_grad=True)
        b = Tensor(rng.standard_normal(width), requires_grad=True)
        params[f"W{k}"], params[f"b{k}"] = W, b
        h = (h @ W + b).tanh()
    return h.square().mean(), params


def test_vanishing_gradients_are_coloured_blue_towards_the_input():
    loss, params = deep_tanh_net(layers=12, scale=0.1)
    loss.backward(retain_graph=True)
    dot = parse(viz.draw_graph(loss, params, fold=False).source)
    norms = [float(np.linalg.norm(params[f"W{k}"].grad.numpy())) for k in range(12)]
    assert all(a < b for a, b in zip(norms, norms[1:]))  # smaller and smaller towards the input
    colours = [dot.named(f"W{k}").cell_colour("grad norm") for k in range(12)]
    assert colours == [style.grad_color(n) for n in norms]
    assert style.grad_band(norms[0]) == "vanishing" and style.grad_band(norms[-1]) == "healthy"
    first, last = colours[0], colours[-1]
    assert first == style.GRAD_STOPS[0][1]  # the deepest blue of the scale: vanished
    r, g, b = (int(first[i:i + 2], 16) for i in (1, 3, 5))
    assert b > r + 60 and b > g  # blue
    assert last == "#c7e9c0"  # the healthy pale green
    assert dot.named(f"W{0}").cell_colour("grad norm") != dot.named("W11").cell_colour("grad norm")


def test_exploding_gradients_of_a_deep_linear_net_are_coloured_orange():
    # the notes' y = W[L]...W[1] x with weights 1.5 I: the gradient of W[1] grows like 1.5^(L-1)
    x = Tensor(np.ones((1, 2)))
    params, h = {}, x
    for k in range(30):
        W = Tensor(np.eye(2) * 1.5, requires_grad=True)
        params[f"W{k}"] = W
        h = h @ W
    loss = h.sum()
    viz.retain_grads(loss)
    loss.backward(retain_graph=True)
    dot = parse(viz.draw_graph(loss, params, show_values=False, fold=False).source)  # gradients as norms
    norm = float(np.linalg.norm(params["W0"].grad.numpy()))
    assert np.isclose(norm, 2 * 1.5**29, rtol=1e-9)  # dL/dW0 = x^T (1.5^29 ones(1, 2)): four entries 1.5^29
    assert style.grad_band(norm) == "exploding"
    colour = dot.named("W0").cell_colour("grad norm")
    assert colour == style.grad_color(norm)
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    assert r > g > b  # orange to brown
    # the gradient reaching each layer's output grows by 1.5 per layer on the way back: healthy at the end,
    # exploding at the start
    activations = {n.rows[-1]: n for n in dot.with_class("intermediate")}
    norms = sorted(float(row.split()[-1]) for row in activations)
    assert np.allclose(norms, [np.sqrt(2) * 1.5**k for k in range(30)], rtol=6e-3)  # printed to 3 digits
    assert activations[min(activations, key=lambda r: float(r.split()[-1]))].cell_colour("grad") == "#c7e9c0"
    worst = activations[max(activations, key=lambda r: float(r.split()[-1]))]
    assert worst.cell_colour("grad") == style.grad_color(np.sqrt(2) * 1.5**29)
    assert style.grad_band(np.sqrt(2) * 1.5**29) == "exploding"


def test_retained_intermediate_gradients_fade_along_the_chain():
    loss, params = deep_tanh_net(layers=8, scale=0.1)
    viz.retain_grads(loss)
    loss.backward(retain_graph=True)
    dot = parse(viz.draw_graph(loss, params, fold=False).source)
    graded = [n for n in dot.with_class("intermediate") if n.cell_colour("grad")]
    assert len(graded) == 3 * 8 + 1  # every matmul, add and tanh output, and the square (mean is the output)
    assert len({n.cell_colour("grad") for n in graded}) > 5  # a gradient of colours, not one


def test_a_long_chain_is_folded_to_fit_and_says_so():
    loss, params = deep_tanh_net(layers=400, scale=0.1)
    loss.backward(retain_graph=True)
    dot = parse(viz.draw_graph(loss, params, max_nodes=60, fold=False).source)
    nodes = dot.graph_nodes()
    assert 50 <= len(nodes) <= 60
    (fold,) = dot.with_class("fold")
    folded = int(fold.rows[0].split()[1].replace(",", ""))
    total = 400 * 8 + 1 + 4  # per layer W, b, matmul, add, tanh and 3 outputs; x; mul, its output, mean, the output
    assert folded + len(nodes) - 2 == total  # all but the fold and the note are nodes of the graph
    ops = fold.rows[1]
    assert ops.startswith("ops: ") and "tanh x" in ops and "matmul x" in ops
    smallest = next(r for r in fold.rows if r.startswith("smallest grad norm"))
    assert fold.cell_colour("smallest grad norm") == style.grad_color(float(smallest.split()[-1]))
    (note,) = dot.with_class("note")
    assert f"{folded:,} nodes in the middle of a long chain folded into one" in note.rows
    assert any("max_nodes=60" in r for r in note.rows)
    # both ends stay: the output, and the first layer with its input
    assert dot.with_class("output") and dot.named("W0") and dot.named("W399")
    names = {n.rows[0] for n in dot.with_class("parameter")}
    assert "W200" not in names


def test_modules_collapse_first_when_over_the_budget():
    rng = np.random.default_rng(0)
    h = Tensor(rng.standard_normal((4, 3)))
    params = {}
    for k in range(20):
        with name_scope(f"blocks.{k}"):
            W = Tensor(rng.standard_normal((3, 3)) * 0.5, requires_grad=True)
            params[f"blocks.{k}.W"] = W
            h = (h @ W).tanh() + h  # a residual block: no single chain through it
    loss = h.sum()
    dot = parse(viz.draw_graph(loss, params, max_nodes=40, fold=False).source)
    modules = dot.with_class("module")
    assert sorted(n.rows[0] for n in modules) == sorted(f"blocks.{k}" for k in range(20))
    (note,) = dot.with_class("note")
    assert "20 module(s) collapsed to one node each (dotted names cut at depth 2)" in note.rows
    assert len(dot.graph_nodes()) <= 40
    # tighter: coarser names first, so all of `blocks` becomes one node
    dot = parse(viz.draw_graph(loss, params, max_nodes=12, fold=False).source)
    assert [n.rows[0] for n in dot.with_class("module")] == ["blocks"]
    assert "1 module(s) collapsed to one node each (dotted names cut at depth 1)" in dot.with_class("note")[0].rows


def test_a_chain_of_modules_is_folded_when_collapsing_is_not_enough():
    rng = np.random.default_rng(0)
    h = Tensor(rng.standard_normal((4, 3)))
    for k in range(30):
        with name_scope(f"block{k}"):
            h = (h @ Tensor(rng.standard_normal((3, 3)) * 0.5, requires_grad=True)).tanh() + h
    dot = parse(viz.draw_graph(h.sum(), max_nodes=15, fold=False).source)
    assert len(dot.graph_nodes()) <= 15
    (fold,) = dot.with_class("fold")
    modules = next(r for r in fold.rows if r.startswith("modules: "))
    folded = int(modules.rsplit("(", 1)[1].rstrip(")"))
    assert folded + len(dot.with_class("module")) == 30
    assert dot.named("block0") and dot.named("block29")  # both ends stay


def test_a_wide_graph_is_cut_nearest_the_output_first():
    rng = np.random.default_rng(0)
    terms = []
    for k in range(150):
        w = Tensor(rng.standard_normal(2), requires_grad=True)
        terms.append((w * float(k)).sum())
    loss = stack(terms).sum()
    dot = parse(viz.draw_graph(loss, max_nodes=30, fold=False).source)
    nodes = dot.graph_nodes()
    assert len(nodes) == 30
    (note,) = dot.with_class("note")
    assert any(r.endswith("nodes farthest from the output left out (the note stands for them)") for r in note.rows)
    assert not any("folded" in r for r in note.rows)
    assert dot.with_class("output") and not dot.with_class("fold")  # a wide fan-in is no chain to fold
    stack_op = next(n for n in dot.with_class("op") if n.rows[0] == "stack" or n.rows[0] == "concatenate")
    assert 0 < len(dot.inputs_of(stack_op.id)) < 150
    # the note stands in for the missing inputs with dashed edges
    assert any(a == note.id and e.get("style") == "dashed" for a, b, e in dot.graph_edges())


def test_a_chain_100000_ops_deep_is_drawn_without_recursion():
    x = Tensor(np.float32(0.5), requires_grad=True)
    x.name = "x"
    h = x
    for _ in range(100_000):
        h = -h
    dot = parse(viz.draw_graph(h, fold=False).source)
    assert len(dot.graph_nodes()) <= 200
    (fold,) = dot.with_class("fold")
    assert fold.rows[1].startswith("ops: neg x")
    assert dot.named("x") and dot.with_class("output")


def test_everything_drawn_when_max_nodes_is_none():
    loss, params = deep_tanh_net(layers=60, scale=0.5)
    dot = parse(viz.draw_graph(loss, params, max_nodes=None, fold=False).source)
    assert len(dot.graph_nodes()) == 60 * 8 + 1 + 4
    assert not dot.with_class("note") and not dot.with_class("fold")
