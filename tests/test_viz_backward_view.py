"""draw_graph(..., view="backward"): one node per backward rule, the gradient's direction, saved tensors dotted."""

from __future__ import annotations

import numpy as np
import pytest
from test_viz_helpers import parse

import viz
from tinygrad_notes import Tensor


def named(value, name):
    t = Tensor(value, requires_grad=True)
    t.name = name
    return t


def neuron():
    x1, x2, w1, w2 = named(2.0, "x1"), named(0.0, "x2"), named(-3.0, "w1"), named(1.0, "w2")
    b = named(6.8813735870195432, "b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.name = "o"
    return o


def test_one_node_per_rule_with_its_formula_and_the_gradient_flowing_to_the_leaves():
    o = neuron()
    dot = parse(viz.draw_graph(o, view="backward").source)
    rules = dot.with_class("vjp")
    assert sorted(n.rows[0] for n in rules) == ["add backward", "add backward", "mul backward", "mul backward",
                                                "tanh backward"]
    tanh = next(n for n in rules if n.rows[0] == "tanh backward")
    assert tanh.rows[1] == "d tanh x/dx = 1 - tanh(x)^2"
    assert tanh.rows[2] == "gets the gradient of its output, scalar"
    # the output starts the walk; gradient edges point from a rule to the rules and leaves it feeds
    assert sorted(dot.nodes[a].rows[0] for a in dot.inputs_of(tanh.id)) == ["o", "saved input 0", "saved output"]
    flows = {(dot.nodes[a].rows[0], dot.nodes[b].rows[0]) for a, b, e in dot.graph_edges()
             if "vjp" in dot.nodes[a].classes}
    assert ("tanh backward", "add backward") in flows
    assert {(r, leaf) for r, leaf in flows if leaf in ("x1", "w1", "x2", "w2", "b")} == {
        ("mul backward", "x1"), ("mul backward", "w1"), ("mul backward", "x2"), ("mul backward", "w2"),
        ("add backward", "b")}
    # what each rule saved: tanh its input and its output, each mul its two inputs
    saved = dot.with_class("saved")
    assert sorted(n.rows[0] for n in saved) == sorted(["saved input 0", "saved output"] + ["saved input 0",
                                                      "saved input 1"] * 4)
    assert all(e.get("style") == "dotted" for a, b, e in dot.graph_edges() if "saved" in dot.nodes[a].classes)
    saved_x1 = next(n for n in saved if "x1" in n.rows)
    assert saved_x1.rows[-1] == "2"  # live: the value it holds
    assert saved_x1.attrs["style"] == "dotted"


def test_after_a_plain_backward_the_saved_tensors_are_freed_and_the_leaves_have_gradients():
    o = neuron()
    o.backward()
    dot = parse(viz.draw_graph(o, view="backward").source)
    assert all(n.rows[-1] == "freed by backward" for n in dot.with_class("saved"))
    assert "grad -1.5" in dot.named("x1").rows and "grad 1" in dot.named("w1").rows
    assert len(dot.with_class("vjp")) == 5


def test_a_big_backward_graph_stays_under_max_nodes_and_says_so():
    x = Tensor(np.ones(3), requires_grad=True)
    x.name = "x"
    h = x
    for _ in range(300):
        h = (h * 1.001).tanh()
    dot = parse(viz.draw_graph(h.sum(), view="backward", max_nodes=50).source)
    assert len(dot.graph_nodes()) <= 50
    (note,) = [n for n in dot.graph_nodes() if n.id == "note"]
    assert any("left out (max_nodes=50)" in r for r in note.rows)
    assert any(r.endswith("saved tensors left out to stay under max_nodes") for r in note.rows)
    with pytest.raises(ValueError, match=r"view must be one of forward, backward"):
        viz.draw_graph(h, view="sideways")
