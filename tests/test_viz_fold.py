"""Folding: identical sibling modules and repeated op patterns in a chain become one `×N` box; titles name modules."""

from __future__ import annotations

import numpy as np
from test_viz_helpers import parse

import nn
import viz
from tinygrad_notes import Tensor, name_scope
from viz import style


def ten_blocks(seed=0):
    """The issue's example: Linear(16, 16), ReLU ten times, then a different last layer."""
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(10):
        layers += [nn.Linear(16, 16, generator=rng), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(16, 4, generator=rng))
    X = Tensor(rng.standard_normal((8, 16)).astype(np.float32))
    return model, model(X).square().mean()


def test_ten_identical_sibling_blocks_fold_into_one_box_with_shapes_in_and_out():
    model, loss = ten_blocks()
    loss.backward()
    dot = parse(viz.draw_graph(loss, model).source)
    (box,) = dot.with_class("repeat")
    assert box.rows[:4] == ["×10", "Linear(16→16) → ReLU", "blocks 0 … 19", "in (8, 16) → out (8, 16)"]
    assert "20 parameters (2,720 numbers)" in box.rows  # 10 × (16·16 + 16)
    norms = [float(np.linalg.norm(model[k].weight.grad.numpy())) for k in range(0, 20, 2)]
    norms += [float(np.linalg.norm(model[k].bias.grad.numpy())) for k in range(0, 20, 2)]
    assert f"smallest grad norm {min(norms):.3g}" in box.rows and f"largest grad norm {max(norms):.3g}" in box.rows
    assert box.cell_colour("largest grad norm") == style.grad_color(max(norms))
    (note,) = dot.with_class("note")
    assert ("10 identical blocks 0 … 19 (Linear(16→16) → ReLU) folded into one ×10 box; fold=False draws them all"
            in note.rows)
    # what is left: the data in, the box, the last layer in its titled cluster, the loss
    assert dot.clusters == ["20: Linear(16→4)", "legend"]
    linear = next(n for n in dot.with_class("op") if n.rows[0] == "linear")
    assert box.id in dot.inputs_of(linear.id)
    (data,) = [n for n in dot.with_class("constant") if n.rows == ["(8, 16) float32"]]
    assert dot.inputs_of(box.id) == [data.id] and data.clusters == []
    assert len(dot.graph_nodes()) == 11  # the data, the box, weight, bias, linear, mul, mean, 3 results, note

    everything = parse(viz.draw_graph(loss, model, fold=False).source)
    assert not everything.with_class("repeat")
    # per pair: linear, weight, bias, relu and two results; the last layer; the data; square, mean, two results
    assert len(everything.graph_nodes()) == 10 * 6 + 4 + 1 + 4
    titles = sorted(t for t in everything.clusters if t != "legend")
    expected = [f"{k}: Linear(16→16)" if k % 2 == 0 else f"{k}: ReLU" for k in range(20)] + ["20: Linear(16→4)"]
    assert titles == sorted(expected)


def test_drawing_is_deterministic():
    model, loss = ten_blocks()
    assert viz.draw_graph(loss, model).source == viz.draw_graph(loss, model).source
    other_model, other = ten_blocks()
    assert viz.draw_graph(loss, model).source == viz.draw_graph(other, other_model).source


class Block(nn.Module):
    def __init__(self, rng):
        super().__init__()
        self.fc = nn.Linear(6, 6, generator=rng)
        self.drop = nn.Dropout(0.25)

    def forward(self, x):
        return self.drop(self.fc(x).tanh())


def test_identical_submodules_fold_with_their_class_and_dropout_masks_inside():
    rng = np.random.default_rng(3)
    model = nn.Sequential(*[Block(rng) for _ in range(5)])
    X = Tensor(rng.standard_normal((4, 6)).astype(np.float32))
    loss = model(X).sum()
    dot = parse(viz.draw_graph(loss, model).source)
    (box,) = dot.with_class("repeat")
    assert box.rows[:4] == ["×5", "Block", "blocks 0 … 4", "in (4, 6) → out (4, 6)"]
    assert not dot.with_class("parameter") and not dot.with_class("op", "tanh")
    constants = dot.with_class("constant")
    assert len(constants) == 1  # the data; each block's dropout mask is inside the box
    unfolded = parse(viz.draw_graph(loss, model, fold=False).source)
    assert "0.fc: Linear(6→6)" in unfolded.clusters and "0.drop: Dropout(p=0.25)" in unfolded.clusters
    assert "0: Block" in unfolded.clusters


def deep_tanh(layers, seed=0):
    rng = np.random.default_rng(seed)
    h = Tensor(rng.standard_normal((8, 6)))
    params = {}
    for k in range(layers):
        params[f"W{k}"] = W = Tensor(rng.standard_normal((6, 6)) * 0.5, requires_grad=True)
        params[f"b{k}"] = b = Tensor(rng.standard_normal(6), requires_grad=True)
        h = (h @ W + b).tanh()
    return h.sum(), params


def test_a_repeated_op_pattern_in_a_chain_folds_without_modules():
    loss, params = deep_tanh(12)
    loss.backward()
    dot = parse(viz.draw_graph(loss, params).source)
    (box,) = dot.with_class("repeat")
    assert box.rows[:3] == ["×12", "matmul → add → tanh", "in (8, 6) → out (8, 6)"]
    assert "24 parameters (504 numbers)" in box.rows
    assert not dot.with_class("parameter")
    (note,) = dot.with_class("note")
    assert any(r.startswith("12 identical blocks (matmul → add → tanh) folded into one ×12 box") for r in note.rows)
    assert [n.rows[0] for n in dot.with_class("op")] == ["sum"]
    unfolded = parse(viz.draw_graph(loss, params, fold=False).source)
    assert {n.rows[0] for n in unfolded.with_class("parameter")} == set(params)


def test_short_or_small_repetitions_stay_drawn():
    x = [Tensor(float(i), requires_grad=True) for i in range(4)]
    w = [Tensor(0.5 * i, requires_grad=True) for i in range(4)]
    n = x[0] * w[0] + x[1] * w[1] + x[2] * w[2] + x[3] * w[3]  # [mul, add] three times, but 18 nodes
    assert not parse(viz.draw_graph(n).source).with_class("repeat")
    loss, params = deep_tanh(2)  # two blocks: no run
    assert not parse(viz.draw_graph(loss, params).source).with_class("repeat")
    loss, params = deep_tanh(3)  # three blocks of 8 nodes: 24, still small enough to read
    assert not parse(viz.draw_graph(loss, params).source).with_class("repeat")
    loss, params = deep_tanh(4)  # 32 nodes: folded
    assert parse(viz.draw_graph(loss, params).source).named("×4")


def test_parallel_identical_branches_are_not_a_chain():
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((3, 5)))
    heads = []
    for k in range(5):
        with name_scope(f"heads.{k}"):
            W = Tensor(rng.standard_normal((5, 5)), requires_grad=True)
            heads.append((x @ W).tanh().relu())
    loss = heads[0].sum() * heads[1].sum() - heads[2].sum() * heads[3].sum() / heads[4].sum()
    dot = parse(viz.draw_graph(loss).source)
    assert not dot.with_class("repeat")
    assert len([c for c in dot.clusters if c.startswith("heads.")]) == 5


def test_a_very_long_chain_folds_quickly_into_one_box():
    x = Tensor(np.float32(0.5), requires_grad=True)
    x.name = "x"
    h = x
    for _ in range(20_000):
        h = (h * 0.999).tanh()
    dot = parse(viz.draw_graph(h).source)
    (box,) = dot.with_class("repeat")
    assert box.rows[:3] == ["×20000", "mul → tanh", "in scalar → out scalar"]
    assert dot.named("x") and dot.with_class("output")
    assert len(dot.graph_nodes()) == 4  # x, the box, the note, the output


def test_collapsed_modules_hold_their_runs_and_titles_name_the_class():
    rng = np.random.default_rng(0)
    inner = nn.Sequential(*[m for _ in range(6) for m in (nn.Linear(8, 8, generator=rng), nn.ReLU())])
    model = nn.Sequential(inner, nn.Linear(8, 2, generator=rng))
    loss = model(Tensor(rng.standard_normal((5, 8)).astype(np.float32))).sum()
    dot = parse(viz.draw_graph(loss, model).source)
    (box,) = dot.with_class("repeat")
    assert box.clusters == ["0: Sequential"] and box.rows[0] == "×6"
    collapsed = parse(viz.draw_graph(loss, model, collapse=1).source)
    assert not collapsed.with_class("repeat")
    modules = {n.rows[0]: n.rows[1] for n in collapsed.with_class("module")}
    assert modules == {"0": "Sequential", "1": "Linear(8→2)"}
