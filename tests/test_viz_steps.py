"""backprop_steps: the backward walk one node at a time, checked against micrograd's neuron worked by hand, and
against the engine's own backward on a small MLP."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import viz
from tinygrad_notes import Tensor


def named(value, name, dtype=np.float64):
    t = Tensor(np.array(value, dtype=dtype), requires_grad=True)
    t.name = name
    return t


def neuron():
    """o = tanh(x1·w1 + x2·w2 + b), micrograd's numbers, in float64 so the hand computation matches closely."""
    x1, x2, w1, w2 = named(2.0, "x1"), named(0.0, "x2"), named(-3.0, "w1"), named(1.0, "w2")
    b = named(6.8813735870195432, "b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.name = "o"
    return o


def test_the_neurons_steps_match_the_closed_form(tmp_path):
    o = neuron()
    x1, x2, w1, w2, b = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432
    n = x1 * w1 + x2 * w2 + b
    do_dn = 1 - np.tanh(n) ** 2  # the only non-trivial local derivative: 1 - tanh(n)^2 = 0.5
    steps = viz.backprop_steps(o, tmp_path / "steps.html")
    assert [(s.op, s.output) for s in steps] == [("start", "o"), ("tanh", "o"), ("add", "add2"), ("add", "add1"),
                                                 ("mul", "mul2"), ("mul", "mul1")]
    # the walk runs the newest node first: x2*w2 (mul2) was made after x1*w1 (mul1)
    expected = [
        # (gradient arriving, [(input, local derivative, gradient sent)])
        (1.0, []),
        (1.0, [("add2", do_dn, do_dn)]),
        (do_dn, [("add1", 1.0, do_dn), ("b", 1.0, do_dn)]),
        (do_dn, [("mul1", 1.0, do_dn), ("mul2", 1.0, do_dn)]),
        (do_dn, [("x2", w2, w2 * do_dn), ("w2", x2, x2 * do_dn)]),
        (do_dn, [("x1", w1, w1 * do_dn), ("w1", x1, x1 * do_dn)]),
    ]
    for step, (arriving, flows) in zip(steps, expected):
        np.testing.assert_allclose(step.grad_in, arriving, rtol=1e-12)
        assert [name for name, _ in step.sent] == [name for name, _, _ in flows]
        for (name, local), (_, want_local, _) in zip(step.local, flows):
            np.testing.assert_allclose(local, want_local, rtol=1e-12, atol=1e-15, err_msg=name)
        for (name, sent), (_, _, want_sent) in zip(step.sent, flows):
            np.testing.assert_allclose(sent, want_sent, rtol=1e-12, atol=1e-15, err_msg=name)
    assert steps[1].formula == "d tanh x/dx = 1 - tanh(x)^2"
    assert steps[4].formula == "d(xy)/dx = y, d(xy)/dy = x"
    # what is accumulated grows step by step, to micrograd's final gradients
    assert list(steps[2].accumulated) == ["o", "add2", "add1", "b"]
    final = steps[-1].accumulated
    want = {"x1": w1 * do_dn, "w1": x1 * do_dn, "x2": w2 * do_dn, "w2": x2 * do_dn, "b": do_dn}
    for name, value in want.items():
        np.testing.assert_allclose(final[name], value, rtol=1e-12, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(final["x1"], -1.5, rtol=1e-9)
    np.testing.assert_allclose(final["w1"], 1.0, rtol=1e-9)


def test_the_replay_changes_no_grad_and_agrees_with_backward_on_an_mlp(tmp_path):
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4, generator=rng), nn.Tanh(), nn.Linear(4, 2, generator=rng))
    X = Tensor(rng.standard_normal((5, 3)).astype(np.float32))
    loss = nn.functional.cross_entropy(model(X), np.array([0, 1, 1, 0, 1]))
    steps = viz.backprop_steps(loss, tmp_path / "mlp.html", params=model)
    assert all(p.grad is None for p in model.parameters())  # the replay touched no .grad
    loss.backward()
    final = steps[-1].accumulated
    for name, p in model.named_parameters():
        np.testing.assert_allclose(final[name], p.grad.numpy(), rtol=1e-6, atol=1e-7, err_msg=name)
    ops = [s.op for s in steps[1:]]
    assert ops.count("linear") == 2 and "tanh" in ops and "log_softmax" in ops
    assert steps[-1].op == "linear"  # the first layer is the last step
    text = (tmp_path / "mlp.html").read_text()
    assert '"title":"Step 1: the backward of mean that made mean1"' in text  # cross_entropy ends in the mean


def test_a_freed_graph_is_refused_with_what_to_do(tmp_path):
    o = neuron()
    o.backward()
    with pytest.raises(viz.GraphFreedError, match=r"before loss.backward\(\), or pass retain_graph=True"):
        viz.backprop_steps(o, tmp_path / "steps.html")
    o = neuron()
    o.backward(retain_graph=True)
    steps = viz.backprop_steps(o, tmp_path / "steps.html")  # a kept graph replays
    assert len(steps) == 6


def test_bad_outputs_get_clear_errors(tmp_path):
    x = named([1.0, 2.0], "x")
    with pytest.raises(ValueError, match=r"one element \(a loss\).*\.sum\(\)"):
        viz.backprop_steps(x * 2, tmp_path / "s.html")
    with pytest.raises(ValueError, match=r"not made by an op"):
        viz.backprop_steps(named(1.0, "leaf"), tmp_path / "s.html")
    with pytest.raises(FileNotFoundError, match=r"does not exist"):
        viz.backprop_steps(neuron(), tmp_path / "missing" / "s.html")


def test_a_gradient_from_two_uses_is_summed_before_its_node_runs(tmp_path):
    """micrograd's famous bug: b = a + a must send 1 + 1 to a, and a's node runs once, with 2 arriving."""
    x = named(3.0, "x")
    a = x * x
    a.name = "a"
    b = a + a
    steps = viz.backprop_steps(b, tmp_path / "twice.html")
    assert [(s.op, s.output) for s in steps] == [("start", "add1"), ("add", "add1"), ("mul", "a")]
    assert [(name, float(g)) for name, g in steps[1].sent] == [("a", 1.0), ("a", 1.0)]
    assert float(steps[2].grad_in) == 2.0  # both uses, summed before a's node ran
    assert [(name, float(g)) for name, g in steps[2].sent] == [("x", 6.0), ("x", 6.0)]  # d(x*x)/dx = x + x
    assert float(steps[2].accumulated["x"]) == 12.0
