"""viz.draw_graph: the DOT text of known small graphs, read back and checked node by node."""

from __future__ import annotations

import numpy as np
import pytest
from test_viz_helpers import parse

import viz
from tinygrad_notes import Tensor, name_scope
from viz import style


def named(value, name, requires_grad=True):
    t = Tensor(value, requires_grad=requires_grad)
    t.name = name
    return t


def neuron():
    """micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b), with b chosen so that n = 0.8814 and o = 0.7071."""
    x1, x2 = named(2.0, "x1"), named(0.0, "x2")
    w1, w2 = named(-3.0, "w1"), named(1.0, "w2")
    b = named(6.8813735870195432, "b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.name = "o"
    return o, {"w1": w1, "w2": w2, "b": b}, (x1, x2)


def test_micrograd_neuron_values_gradients_and_kinds():
    o, params, _ = neuron()
    assert viz.retain_grads(o) == 5  # the four intermediates and the output
    o.backward(retain_graph=True)
    dot = parse(viz.draw_graph(o, params).source)
    nodes = dot.graph_nodes()
    assert len(dot.with_class("op")) == 5 and len(dot.with_class("tensor")) == 10 and len(nodes) == 15
    assert len(dot.graph_edges()) == 14  # 9 inputs into ops + 5 ops into their outputs
    assert sorted(n.rows[0] for n in dot.with_class("op")) == ["add", "add", "mul", "mul", "tanh"]
    # micrograd's numbers: o = 0.7071, do/dn = 1 - o^2 = 0.5, x1.grad = w1 * 0.5, w1.grad = x1 * 0.5 ...
    assert "data 0.7071" in dot.named("o").rows and "grad 1" in dot.named("o").rows
    for name, grad in {"x1": "-1.5", "w1": "1", "x2": "0.5", "w2": "0", "b": "0.5"}.items():
        assert f"grad {grad}" in dot.named(name).rows, (name, dot.named(name).rows)
    assert {n.rows[0] for n in dot.with_class("parameter")} == {"w1", "w2", "b"}
    assert {n.rows[0] for n in dot.with_class("leaf")} == {"x1", "x2"}
    assert [n.rows[0] for n in dot.with_class("output")] == ["o"]
    intermediates = dot.with_class("intermediate")
    assert sorted(r for n in intermediates for r in n.rows if r.startswith("data")) == \
        ["data -6", "data -6", "data 0", "data 0.8814"]
    assert all("grad 0.5" in n.rows for n in intermediates)
    # kinds differ by shape and colour, as the legend says
    looks = {kind: (dot.with_class(kind)[0].attrs["shape"], dot.with_class(kind)[0].attrs["fillcolor"])
             for kind in ("parameter", "leaf", "output", "intermediate", "op")}
    assert len(set(looks.values())) == 5
    assert dot.named("w1").attrs["style"] == "rounded,filled,bold" and dot.named("o").attrs["peripheries"] == "2"
    legend = {n.rows[0] for n in dot.nodes.values() if "legend" in n.classes}
    assert {"output", "parameter", "leaf (input that requires grad)", "intermediate", "op"} <= legend
    assert "gradient norm (log scale)" in legend
    # the wiring: tanh takes n, which comes out of the add that takes b
    tanh = next(n for n in dot.with_class("op") if n.rows[0] == "tanh")
    (n_id,) = dot.inputs_of(tanh.id)
    (add_id,) = dot.inputs_of(n_id)
    assert dot.named("b").id in dot.inputs_of(add_id)


def test_without_gradients_no_grad_rows_and_values_only_when_small():
    o, params, _ = neuron()
    dot = parse(viz.draw_graph(o, params, show_grads=True).source)
    assert not any(r.startswith("grad") for n in dot.graph_nodes() for r in n.rows)
    assert "gradient norm (log scale)" not in {n.rows[0] for n in dot.nodes.values()}
    big = named(np.arange(12.0, dtype=np.float32).reshape(3, 4), "big")
    dot = parse(viz.draw_graph(big.sum(), show_values="auto").source)
    assert not any(r.startswith("data") for r in dot.named("big").rows)
    assert "(3, 4) float32" in dot.named("big").rows
    dot = parse(viz.draw_graph(big.sum(), show_values=True).source)  # up to 16 elements: values
    assert "data [[0, 1, 2, 3],\n [4, 5, 6, 7],\n [8, 9, 10, 11]]" in dot.named("big").rows
    bigger = named(np.arange(20.0, dtype=np.float32).reshape(4, 5), "bigger")
    dot = parse(viz.draw_graph(bigger.sum(), show_values=True).source)  # more: a summary
    assert "data mean 9.5, min 0, max 19" in dot.named("bigger").rows
    dot = parse(viz.draw_graph(big.sum(), show_values=False).source)
    assert not any(r.startswith("data") for n in dot.graph_nodes() for r in n.rows)


def test_same_tensor_twice_is_one_node_with_two_edges_and_twins_stay_apart():
    x = named([1.0, 2.0], "x")
    twin = named([1.0, 2.0], "x")  # same name, same values, a different tensor
    y = x * x + twin * 2.0
    dot = parse(viz.draw_graph(y).source)
    xs = [n for n in dot.graph_nodes() if n.rows[0] == "x"]
    assert len(xs) == 2  # twins stay apart
    muls = {tuple(dot.inputs_of(n.id)) for n in dot.with_class("op") if n.rows[0] == "mul"}
    (constant,) = dot.with_class("constant")
    assert constant.rows == ["2"]
    assert muls in ({(xs[0].id, xs[0].id), (xs[1].id, constant.id)}, {(xs[1].id, xs[1].id), (xs[0].id, constant.id)})
    assert len(dot.graph_nodes()) == 9  # x, twin, the constant 2, two muls and their outputs, the add, the output


def test_two_layer_mlp_of_bare_named_tensors():
    rng = np.random.default_rng(0)
    X = named(rng.standard_normal((5, 3)).astype(np.float32), "X", requires_grad=False)
    W1 = named(rng.standard_normal((3, 4)).astype(np.float32), "W1")
    b1 = named(np.zeros(4, np.float32), "b1")
    W2 = named(rng.standard_normal((4, 1)).astype(np.float32), "W2")
    b2 = named(np.zeros(1, np.float32), "b2")
    loss = ((X @ W1 + b1).relu() @ W2 + b2).square().mean()
    loss.backward(retain_graph=True)
    dot = parse(viz.draw_graph(loss).source)
    ops = sorted(n.rows[0] for n in dot.with_class("op"))
    assert ops == ["add", "add", "matmul", "matmul", "mean", "mul", "relu"]
    assert [n.rows[0] for n in dot.with_class("constant") if n.rows[0] == "X"] == ["X"]
    assert "(5, 3) float32" in dot.named("X").rows
    assert "(3, 4) float32" in dot.named("W1").rows and "(1,) float32" in dot.named("b2").rows
    # the gradient of a 12-element weight is summarised by its norm, coloured on the scale
    norm = float(np.linalg.norm(W1.grad.numpy()))
    row = next(r for r in dot.named("W1").rows if r.startswith("grad norm"))
    assert row == f"grad norm {norm:.3g}"
    assert dot.named("W1").cell_colour("grad norm") == style.grad_color(norm)
    # matmul numbers its inputs (order matters), add does not
    matmul = next(n for n in dot.with_class("op") if n.rows[0] == "matmul" and dot.named("W1").id in
                  dot.inputs_of(n.id))
    labels = {a: e.get("headlabel") for a, b, e in dot.graph_edges() if b == matmul.id}
    assert labels[dot.named("X").id] == "0" and labels[dot.named("W1").id] == "1"
    add = next(n for n in dot.with_class("op") if n.rows[0] == "add" and dot.named("b1").id in dot.inputs_of(n.id))
    assert all("headlabel" not in e for a, b, e in dot.graph_edges() if b == add.id)
    assert dot.clusters == ["legend"]


class Linear:
    def __init__(self, n_in, n_out, rng):
        self.weight = Tensor(rng.standard_normal((n_in, n_out)).astype(np.float32), requires_grad=True)
        self.bias = Tensor(np.zeros(n_out, np.float32), requires_grad=True)

    def __call__(self, x):
        return x @ self.weight + self.bias


class MLP:
    """Stands in for an nn.Module: named_parameters(), and ops recorded under name_scope per layer."""

    def __init__(self, sizes, rng):
        self.layers = [Linear(a, b, rng) for a, b in zip(sizes, sizes[1:])]

    def named_parameters(self):
        for i, layer in enumerate(self.layers):
            yield f"layers.{i}.weight", layer.weight
            yield f"layers.{i}.bias", layer.bias

    def __call__(self, x):
        for i, layer in enumerate(self.layers):
            with name_scope(f"layers.{i}"):
                x = layer(x)
                if i < len(self.layers) - 1:
                    x = x.relu()
        return x


def test_module_clusters_and_collapse_to_one_node_per_module():
    rng = np.random.default_rng(1)
    model = MLP([3, 4, 1], rng)
    X = named(rng.standard_normal((6, 3)).astype(np.float32), "X", requires_grad=False)
    loss = model(X).square().mean()
    loss.backward(retain_graph=True)
    dot = parse(viz.draw_graph(loss, model).source)
    assert sorted(dot.clusters) == ["layers", "layers.0", "layers.1", "legend"]
    assert dot.named("layers.0.weight").clusters == ["layers", "layers.0"]
    assert dot.named("layers.1.bias").clusters == ["layers", "layers.1"]
    assert dot.named("X").clusters == [] and dot.named("output").clusters == []
    relu = next(n for n in dot.with_class("op") if n.rows[0] == "relu")
    assert relu.clusters == ["layers", "layers.0"]
    assert {n.rows[0] for n in dot.with_class("parameter")} == {
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"}

    dot = parse(viz.draw_graph(loss, model, collapse=True).source)
    modules = dot.with_class("module")
    assert sorted(n.rows[0] for n in modules) == ["layers.0", "layers.1"]
    first = dot.named("layers.0")
    ops_row = next(r for r in first.rows if r.startswith("ops: "))
    assert sorted(ops_row[len("ops: "):].split(", ")) == ["add", "matmul", "relu"]
    assert "weight (3, 4) float32" in first.rows and "bias (4,) float32" in first.rows
    w_norm = float(np.linalg.norm(model.layers[0].weight.grad.numpy()))
    assert first.cell_colour("weight grad norm") == style.grad_color(w_norm)
    assert not dot.with_class("parameter")
    assert all(n.clusters == [] for n in dot.with_class("intermediate"))  # only the loss's own steps are left
    # X -> layers.0 -> layers.1 -> (square, mean) -> output
    assert dot.inputs_of(first.id) == [dot.named("X").id]
    assert dot.inputs_of(dot.named("layers.1").id) == [first.id]
    assert dot.clusters.count("layers") == 1 and dot.named("layers.1").clusters == ["layers"]

    dot = parse(viz.draw_graph(loss, model, collapse=1).source)
    assert [n.rows[0] for n in dot.with_class("module")] == ["layers"]

    dot = parse(viz.draw_graph(loss, model, group_modules=False).source)
    assert dot.clusters == ["legend"]


def test_op_attributes_are_shown():
    x = named(np.arange(12.0).reshape(3, 4), "x")
    parts = [x.sum(axis=1, keepdims=True), x.clip(-1.0, 5.0), x[:, 1:3], x.reshape(4, 3).T, x.leaky_relu(0.2),
             x.max(axis=0)]
    y = parts[0].sum() + parts[1].sum() + parts[2].sum() + parts[3].sum() + parts[4].sum() + parts[5].sum()
    ops = {n.rows[0]: n.rows[1:] for n in parse(viz.draw_graph(y).source).with_class("op")}
    assert ops["clip"] == ["lo=-1", "hi=5"]
    assert ops["getitem"] == ["index=[:, 1:3]"]
    assert ops["reshape"] == ["shape=(4, 3)"]
    assert ops["where"] == []
    assert ops["max"] == ["axis=0"]
    sums = [n.rows[1:] for n in parse(viz.draw_graph(y).source).with_class("op") if n.rows[0] == "sum"]
    assert ["axis=1", "keepdims=True"] in sums
    constants = [n.rows for n in parse(viz.draw_graph(y).source).with_class("constant")]
    assert ["0.2"] in constants  # leaky_relu's slope, as the constant of its mul


def test_drawing_after_a_plain_backward_shows_leaves_output_and_every_shape():
    o, params, (x1, x2) = neuron()
    o.backward()  # no retain_graph: the saved arrays are freed, the structure stays
    dot = parse(viz.draw_graph(o, params).source)
    assert len(dot.graph_nodes()) == 15 and len(dot.graph_edges()) == 14
    assert sorted(n.rows[0] for n in dot.with_class("op")) == ["add", "add", "mul", "mul", "tanh"]
    for name, (value, grad) in {"x1": ("2", "-1.5"), "w1": ("-3", "1"), "x2": ("0", "0.5"), "w2": ("1", "0"),
                                "b": ("6.881", "0.5")}.items():
        assert f"data {value}" in dot.named(name).rows, (name, dot.named(name).rows)
        assert f"grad {grad}" in dot.named(name).rows, (name, dot.named(name).rows)
    assert "data 0.7071" in dot.named("o").rows
    for node in dot.with_class("intermediate"):  # freed: the shape only
        assert node.rows == ["scalar float32"]


def test_retain_grads_without_retain_graph_keeps_intermediate_values_and_gradients():
    o, params, _ = neuron()
    assert viz.retain_grads(o) == 5
    o.backward()
    assert o.grad_fn.inputs is None  # the graph itself was freed
    dot = parse(viz.draw_graph(o, params).source)
    intermediates = dot.with_class("intermediate")
    assert sorted(r for n in intermediates for r in n.rows if r.startswith("data")) == \
        ["data -6", "data -6", "data 0", "data 0.8814"]
    assert all("grad 0.5" in n.rows for n in intermediates)
    assert "grad 1" in dot.named("o").rows
    with pytest.raises(viz.GraphFreedError, match=r"before loss.backward\(\)"):
        viz.retain_grads(o)  # too late: the values are gone


def test_intermediate_shapes_after_backward_and_their_arrays_stay_freed():
    import gc
    import weakref

    rng = np.random.default_rng(0)
    X = named(rng.standard_normal((6, 3)).astype(np.float32), "X", requires_grad=False)
    W = named(rng.standard_normal((3, 4)).astype(np.float32), "W")
    h = X @ W
    ref = weakref.ref(h.numpy().base if h.numpy().base is not None else h.numpy())
    loss = h.relu().sum()
    del h
    loss.backward()
    dot = parse(viz.draw_graph(loss).source)
    gc.collect()
    assert ref() is None  # drawing did not bring the freed array back
    shapes = sorted(n.rows[0] for n in dot.with_class("intermediate"))
    assert shapes == ["(6, 4) float32", "(6, 4) float32"]  # matmul's and relu's outputs, inferred
    assert "grad norm" in " ".join(dot.named("W").rows)
    assert dot.named("X").rows == ["X", "(6, 3) float32"]  # the data keeps its name after backward, its shape only


def test_escaping_of_hostile_names_in_the_dot_text():
    names = ['<b>bold</b>', 'a & b', 'say "hi"', "back\\slash\\", "two\nlines", "port:colon", "{rec|ord}"]
    tensors = [named(float(i), n) for i, n in enumerate(names)]
    total = tensors[0]
    for t in tensors[1:]:
        total = total + t
    dot = parse(viz.draw_graph(total).source)
    for name in names:
        assert len([n for n in dot.graph_nodes() if n.rows[0] == name]) == 1, name
    assert all(n.id.startswith("n") and n.id[1:].isdigit() for n in dot.graph_nodes())
    assert len(dot.graph_nodes()) == 7 + 6 + 6  # leaves, adds, their outputs


def test_nan_and_inf_are_red_and_the_op_that_made_them_is_marked():
    x = named([1.0, -1.0, 0.0], "x")
    with np.errstate(all="ignore"):
        y = x.log()  # log(-1) = NaN, log(0) = -Inf
        z = (y * 2.0).sum()
        z.backward(retain_graph=True)
    dot = parse(viz.draw_graph(z).source)
    bad = [n for n in dot.with_class("intermediate") if "data has 1 NaN and 1 Inf" in n.rows]
    assert len(bad) == 2  # log's output and y * 2
    assert all(n.attrs["color"] == style.PROBLEM_COLOR and "nonfinite" in n.classes for n in bad)
    origin = dot.with_class("nan-origin")  # only the op where the NaN first appears
    assert [n.rows for n in origin] == [["log", "NaN/Inf appears here"]]
    assert "data [1, -1, 0]" in dot.named("x").rows
    assert "grad [2, -2, inf]" in dot.named("x").rows and "grad has 1 Inf" in dot.named("x").rows  # 2/x
    assert dot.named("x").attrs["fillcolor"] == style.PROBLEM_FILL
    assert dot.named("x").cell_colour("grad [") == style.PROBLEM_COLOR
    assert any(n.rows[0] == "NaN or Inf" for n in dot.nodes.values() if "legend" in n.classes)


class Entry:
    """A stand-in for one entry of the gradient checker's report (the gradcheck branch is written in parallel):
    duck typed on the contract's .name, .passed, .rel_error."""

    def __init__(self, name, passed, rel_error):
        self.name, self.passed, self.rel_error = name, passed, rel_error


class Report:
    def __init__(self, *entries):
        self.entries = list(entries)
        self.passed = all(e.passed for e in entries)
        self.rel_error = max(e.rel_error for e in entries)


def test_gradcheck_report_marks_failed_parameters_and_their_ops():
    rng = np.random.default_rng(2)
    model = MLP([3, 4, 1], rng)
    X = named(rng.standard_normal((6, 3)).astype(np.float32), "X", requires_grad=False)
    loss = model(X).square().mean()
    report = Report(Entry("layers.0.weight", True, 3e-9), Entry("layers.1.weight", False, 0.21),
                    Entry("input 0", True, 1e-8))
    dot = parse(viz.draw_graph(loss, model, report=report).source)
    bad = dot.named("layers.1.weight")
    assert "gradcheck FAILED (rel err 2.1e-01)" in bad.rows
    assert bad.attrs["color"] == style.PROBLEM_COLOR and "gradcheck-failed" in bad.classes
    good = dot.named("layers.0.weight")
    assert "gradcheck passed (rel err 3.0e-09)" in good.rows and good.attrs["color"] != style.PROBLEM_COLOR
    flagged = dot.with_class("op", "gradcheck-failed")
    assert [n.rows for n in flagged] == [["matmul", "input failed gradcheck"]]
    assert bad.id in dot.inputs_of(flagged[0].id)
    assert [e for a, b, e in dot.graph_edges() if a == bad.id][0]["color"] == style.PROBLEM_COLOR
    note = dot.with_class("note")
    assert len(note) == 1 and "gradcheck entries not drawn: input 0" in note[0].rows
    # collapsed, the module holding the failed weight is marked
    dot = parse(viz.draw_graph(loss, model, report=report, collapse=True).source)
    assert "gradcheck-failed" in dot.named("layers.1").classes
    assert "gradcheck-failed" not in dot.named("layers.0").classes
    assert "weight: gradcheck FAILED (rel err 2.1e-01)" in dot.named("layers.1").rows


def test_bad_arguments_get_clear_errors():
    o, params, _ = neuron()
    with pytest.raises(TypeError, match=r"draw_graph: give the Tensor"):
        viz.draw_graph(3.0)
    with pytest.raises(ValueError, match=r"rankdir must be one of"):
        viz.draw_graph(o, rankdir="sideways")
    with pytest.raises(ValueError, match=r"max_nodes must be an int of at least 5"):
        viz.draw_graph(o, max_nodes=2)
    with pytest.raises(TypeError, match=r"params must be a dict"):
        viz.draw_graph(o, params=42)
    with pytest.raises(TypeError, match=r"\(name, Tensor\) pair"):
        viz.draw_graph(o, params={"w": 1.0})
    with pytest.raises(ValueError, match=r"show_values must be"):
        viz.draw_graph(o, show_values="some")
    with pytest.raises(TypeError, match=r"\.name, \.passed and \.rel_error"):
        viz.draw_graph(o, report=[object()])


def test_several_roots_and_top_to_bottom():
    x = named([1.0, 2.0], "x")
    a, b = x.exp(), x.sin()
    a.name, b.name = "a", "b"
    source = viz.draw_graph([a, b], rankdir="TB").source
    dot = parse(source)
    assert {n.rows[0] for n in dot.with_class("output")} == {"a", "b"}
    assert len(dot.graph_nodes()) == 5 and "rankdir=TB" in source
    assert "{rank=same;" in source  # the legend sits in one row


def test_graph_of_a_gradient_shares_the_forward_nodes():
    from tinygrad_notes import grad

    x = named([0.5, -1.0], "x")
    o = x.tanh()
    o.name = "o"
    (g,) = grad(o.sum(), x, create_graph=True)  # the backward was recorded: g * (1 - y * y), y = tanh(x)
    g.name = "dx"
    dot = parse(viz.draw_graph([o, g]).source)
    assert [n.rows[0] for n in dot.with_class("op")].count("tanh") == 1  # tanh's output is one node...
    consumers = [b for a, b, _ in dot.graph_edges() if a == dot.named("o").id]
    assert len(consumers) == 2 and consumers[0] == consumers[1]  # ...read twice by the backward's y * y
    assert dot.nodes[consumers[0]].rows[0] == "mul"
    assert {n.rows[0] for n in dot.with_class("output")} == {"o", "dx"}


def test_what_retain_grads_keeps_goes_with_the_graph():
    import gc
    import weakref

    import tinygrad_notes

    x1, w1 = named(2.0, "x1"), named(-3.0, "w1")
    a = x1 * w1
    kept = weakref.ref(a.numpy().base)  # the array behind the intermediate a
    o = (a + 1.0).tanh()
    del a
    viz.retain_grads(o)
    o.backward()
    gc.collect()
    assert kept() is not None  # kept for pictures, though backward freed the graph
    rows = sorted(r for n in parse(viz.draw_graph(o).source).with_class("intermediate") for r in n.rows)
    grad = f"grad {1 - np.tanh(-5.0) ** 2:.4g}"  # d tanh(a + 1)/da = 1 - tanh(-5)^2, to both a and a + 1
    assert rows == ["data -5", "data -6", grad, grad, "scalar float32", "scalar float32"]
    del o
    gc.collect()
    assert kept() is None  # and freed with it: no cycle, no process-wide cache holds it
    assert viz.GraphFreedError is tinygrad_notes.GraphFreedError  # the engine's error, re-exported
