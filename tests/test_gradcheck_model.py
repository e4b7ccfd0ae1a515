"""gradcheck_model: θ flattened like the notes, per-parameter report, regularization, dropout, and no side effects.

The models here are built straight from Tensors (a dict of named parameters, or a
small class with `named_parameters()`), so the checker needs nothing from `nn`.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_notes import Function, Tensor, gradcheck_model
from tinygrad_notes.random import draw

rng = np.random.default_rng(0)


def make_params(sizes: list[int], seed: int = 0, dtype: type = np.float64) -> dict[str, Tensor]:
    r = np.random.default_rng(seed)
    params = {}
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = Tensor((r.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(dtype),
                                     requires_grad=True)
        params[f"b{layer}"] = Tensor((0.1 * r.standard_normal(n_out)).astype(dtype), requires_grad=True)
    return params


def forward(params: dict[str, Tensor], X: Tensor) -> Tensor:
    h = X
    n_layers = len(params) // 2
    for layer in range(1, n_layers + 1):
        h = h @ params[f"W{layer}"] + params[f"b{layer}"]
        if layer < n_layers:
            h = h.tanh()
    return h


def cross_entropy(logits: Tensor, y: np.ndarray) -> Tensor:
    return -(logits.log_softmax(-1) * y).sum() / len(y)


def data(n_in: int = 5, classes: int = 3, m: int = 8, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    r = np.random.default_rng(seed)
    return r.standard_normal((m, n_in)), np.eye(classes)[r.integers(0, classes, m)]


def test_theta_is_the_named_parameters_in_order_like_the_notes() -> None:
    params = make_params([5, 4, 3])
    X, y = data()
    report = gradcheck_model(params, cross_entropy, X, y, forward=forward)
    assert report.passed and report.rel_error < 1e-7
    assert [e.name for e in report.entries] == ["W1", "b1", "W2", "b2"]
    assert [(e.offset, e.size) for e in report.entries] == [(0, 20), (20, 4), (24, 12), (36, 3)]
    assert "θ has 39 components: [W1 0:20 | b1 20:24 | W2 24:36 | b2 36:39]" in report.notes[0]


@pytest.mark.parametrize("seed", range(5))
def test_no_false_alarms_on_correct_models_at_random_points(seed: int) -> None:
    params = make_params([6, 8, 8, 4], seed=seed)
    X, y = data(6, 4, m=10, seed=seed + 100)
    assert gradcheck_model(params, cross_entropy, X, y, forward=forward).passed
    assert gradcheck_model(params, cross_entropy, X, y, forward=forward, fast=True, seed=seed).passed


class Net:
    """A model object: parameters with dotted names, a train/eval switch, dropout drawn through `draw`."""

    def __init__(self, keep_prob: float = 1.0, seed: int = 0) -> None:
        p = make_params([5, 6, 3], seed)
        self.layers = [{"weight": p["W1"], "bias": p["b1"]}, {"weight": p["W2"], "bias": p["b2"]}]
        self.keep_prob = keep_prob
        self.training = True
        self.modes_seen: list[bool] = []
        self.running_mean = np.zeros(6)  # a buffer the forward updates in training mode, like batch norm's

    def named_parameters(self):
        for i, layer in enumerate(self.layers):
            yield f"layers.{i}.weight", layer["weight"]
            yield f"layers.{i}.bias", layer["bias"]

    def train(self, mode: bool = True) -> Net:
        self.training = mode
        return self

    def eval(self) -> Net:
        return self.train(False)

    def state_dict(self) -> dict:
        return {"running_mean": self.running_mean}

    def load_state_dict(self, state: dict) -> None:
        self.running_mean = np.array(state["running_mean"])

    def __call__(self, X: Tensor) -> Tensor:
        self.modes_seen.append(self.training)
        h = (X @ self.layers[0]["weight"] + self.layers[0]["bias"]).tanh()
        if self.training:
            self.running_mean = 0.9 * self.running_mean + 0.1 * h.data.mean(axis=0)
            if self.keep_prob < 1:  # inverted dropout, its mask drawn through tinygrad_notes.random.draw
                mask = draw(lambda g: g.random(h.shape) < self.keep_prob)
                h = h * mask / self.keep_prob
        return h @ self.layers[1]["weight"] + self.layers[1]["bias"]


def test_a_model_object_is_reported_by_its_dotted_parameter_names() -> None:
    X, y = data()
    report = gradcheck_model(Net(), cross_entropy, X, y)
    assert report.passed
    assert [e.name for e in report.entries] == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]


def test_dropout_masks_are_frozen_so_every_evaluation_sees_the_same_mask() -> None:
    X, y = data()
    model = Net(keep_prob=0.5)
    report = gradcheck_model(model, cross_entropy, X, y)
    assert report.passed and report.rel_error < 1e-7
    assert any(note.startswith("randomness frozen: the 1 random draw(s)") for note in report.notes)
    assert all(model.modes_seen)  # checked in training mode, dropout active


def test_dropout_off_switches_to_eval_for_the_check_and_restores_the_mode() -> None:
    X, y = data()
    model = Net(keep_prob=0.5)
    report = gradcheck_model(model, cross_entropy, X, y, dropout="off")
    assert report.passed
    assert not any(model.modes_seen) and model.training
    assert any("dropout off: model.eval()" in note for note in report.notes)
    assert not any(note.startswith("randomness frozen") for note in report.notes)


def test_the_model_is_left_exactly_as_it_was() -> None:
    X, y = data()
    model = Net(keep_prob=0.5)
    arrays = [t.data for _, t in model.named_parameters()]
    values = [a.copy() for a in arrays]
    mean_before = model.running_mean.copy()
    gradcheck_model(model, cross_entropy, X, y)
    for (_, t), array, value in zip(model.named_parameters(), arrays, values):
        assert t.data is array or np.shares_memory(t.data, array)
        np.testing.assert_array_equal(t.data, value)
        assert t.grad is None
    np.testing.assert_array_equal(model.running_mean, mean_before)  # restored through load_state_dict


def test_float32_parameters_are_checked_as_float64_copies_and_restored() -> None:
    params = make_params([5, 4, 3], dtype=np.float32)
    before = {k: v.data.copy() for k, v in params.items()}
    X, y = data()
    with pytest.warns(UserWarning, match=r"W1 \(float32\), b1 \(float32\), W2 \(float32\), b2 \(float32\) checked "
                                          "as float64 copies"):
        report = gradcheck_model(params, cross_entropy, X.astype(np.float32), y, forward=forward)
    assert report.passed and report.rel_error < 1e-7
    for k, v in params.items():
        assert v.dtype == np.float32
        np.testing.assert_array_equal(v.data, before[k])


class L2PenaltyHalfGradient(Function):
    """(λ/2m) ||W||_F², with the classic slip in its backward: (λ/2m) W instead of (λ/m) W."""

    def forward(ctx, W, lambd, m):
        return lambd / (2 * m) * np.sum(W * W)

    def backward(ctx, g):
        W, lambd, m = ctx.inputs
        return g * W * (lambd / (2 * m)), None, None


def test_a_bug_in_the_regularization_gradient_shows_only_when_the_term_is_in_the_cost() -> None:
    """The notes' advice: include the regularization term in J, or its gradient is never checked."""
    params = make_params([5, 4, 3])
    X, y = data()
    lambd, m = 0.7, len(X)

    def l2(p):
        return L2PenaltyHalfGradient.apply(p["W1"], lambd, m) + L2PenaltyHalfGradient.apply(p["W2"], lambd, m)

    with_term = gradcheck_model(params, cross_entropy, X, y, forward=forward, regularization=l2)
    assert [e.name for e in with_term.entries if not e.passed] == ["W1", "W2"]  # biases carry no penalty
    without_term = gradcheck_model(params, cross_entropy, X, y, forward=forward)
    assert without_term.passed  # the cost it checks has no penalty, so the slip goes unseen


def test_a_list_of_tensors_and_shared_parameters() -> None:
    W = Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    W.name = "W"
    b = Tensor(rng.standard_normal(3), requires_grad=True)
    frozen = Tensor(rng.standard_normal(3), requires_grad=False)
    report = gradcheck_model([W, b, W, frozen], lambda out: out.tanh().sum(), rng.standard_normal((2, 3)),
                             forward=lambda p, X: (X @ p[0] @ p[0]) + p[1] * p[3])
    assert [e.name for e in report.entries] == ["W", "param 1"] and report.passed
    assert any("not checked (requires_grad=False): param 3" in note for note in report.notes)


def test_bad_models_get_clear_errors() -> None:
    X, y = data()
    with pytest.raises(TypeError, match="cannot find the parameters of a int"):
        gradcheck_model(3, cross_entropy, X, y)
    with pytest.raises(TypeError, match="pass forward=lambda params, X"):
        gradcheck_model(make_params([5, 3]), cross_entropy, X, y)
    with pytest.raises(ValueError, match="dropout must be 'frozen' or 'off'"):
        gradcheck_model(Net(), cross_entropy, X, y, dropout="on")
    with pytest.raises(TypeError, match="parameter 'W' is a ndarray, not a Tensor"):
        gradcheck_model({"W": np.ones(3)}, cross_entropy, X, y, forward=forward)
    with pytest.raises(ValueError, match="no parameter that requires grad"):
        gradcheck_model({"W": Tensor(np.ones(3))}, cross_entropy, X, y, forward=forward)


def test_a_graph_recorded_before_the_check_can_still_be_backpropagated() -> None:
    """The check swaps arrays in and out instead of writing into the parameters: their versions do not move."""
    params = make_params([5, 4, 3])
    X, y = data()
    loss = cross_entropy(forward(params, Tensor(X)), y)
    assert gradcheck_model(params, cross_entropy, X, y, forward=forward).passed
    loss.backward()
    expected = make_params([5, 4, 3])
    cross_entropy(forward(expected, Tensor(X)), y).backward()
    for name in params:
        np.testing.assert_allclose(params[name].grad.data, expected[name].grad.data, rtol=1e-12)
