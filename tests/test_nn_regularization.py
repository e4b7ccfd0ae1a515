"""L2 and L1 penalties: the notes' formulas, weights only, and the weight-decay form of the gradient."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from nn import functional as F
from tinygrad_notes import Tensor, grad


def _model() -> nn.Sequential:
    rng = np.random.default_rng(0)
    return nn.Sequential(nn.Linear(4, 5, generator=rng), nn.ReLU(), nn.BatchNorm1d(5),
                         nn.Linear(5, 3, generator=rng)).double()


def test_l2_penalty_is_lambda_over_2m_times_the_squared_frobenius_norms_of_the_weights() -> None:
    model = _model()
    model[0].bias.inplace_data()[...] = 100.0  # biases (and batch norm's gamma, beta) must not count
    w1, w2 = model[0].weight.data, model[3].weight.data
    expected = 0.7 / (2 * 32) * ((w1 ** 2).sum() + (w2 ** 2).sum())
    assert nn.l2_penalty(model, lambd=0.7, m=32).item() == pytest.approx(expected, rel=1e-12)
    assert nn.l2_penalty(model.parameters(), 0.7, 32).item() == pytest.approx(expected, rel=1e-12)
    assert [w.shape for w in nn.weight_matrices(model)] == [(5, 4), (3, 5)]


def test_gradient_of_loss_plus_l2_is_dw_plus_lambda_over_m_w() -> None:
    model = _model()
    rng = np.random.default_rng(1)
    x, labels = Tensor(rng.standard_normal((32, 4))), rng.integers(0, 3, 32)
    lambd, m = 0.5, 32
    params = list(model.parameters())
    plain = grad(F.cross_entropy(model(x), labels), params)
    regularized = grad(F.cross_entropy(model(x), labels) + nn.l2_penalty(model, lambd, m), params)
    for (name, p), g, g_reg in zip(model.named_parameters(), plain, regularized):
        decay = lambd / m * p.data if p.ndim >= 2 else 0.0  # the notes: dW = (from backprop) + (lambda/m) W
        np.testing.assert_allclose(g_reg.data, g.data + decay, rtol=1e-10, atol=1e-14, err_msg=name)


def test_an_sgd_step_on_the_penalized_cost_is_weight_decay() -> None:
    w = Tensor(np.random.default_rng(2).standard_normal((3, 3)), requires_grad=True)
    data_grad = np.random.default_rng(3).standard_normal((3, 3))
    alpha, lambd, m = 0.1, 2.0, 10
    cost = (w * Tensor(data_grad)).sum() + nn.l2_penalty([w], lambd, m)
    (dw,) = grad(cost, w)
    stepped = w.data - alpha * dw.data
    np.testing.assert_allclose(stepped, (1 - alpha * lambd / m) * w.data - alpha * data_grad, rtol=1e-12)


def test_l1_penalty_value_and_sign_gradient() -> None:
    w = Tensor(np.array([[1.5, -2.0], [0.5, -0.25]]), requires_grad=True)
    b = Tensor(np.array([3.0, -3.0]), requires_grad=True)
    penalty = nn.l1_penalty([w, b], lambd=0.4, m=2)
    assert penalty.item() == pytest.approx(0.4 / 4 * 4.25)
    (dw,) = grad(penalty, w)
    np.testing.assert_allclose(dw.data, 0.1 * np.sign(w.data))


def test_penalties_check_their_arguments() -> None:
    assert nn.l2_penalty([Tensor(np.ones(3))], 1.0, 1).item() == 0.0  # no weight matrix: nothing to penalize
    with pytest.raises(ValueError, match="m is the number of training examples"):
        nn.l2_penalty(_model(), 0.1, 0)
    with pytest.raises(ValueError, match="lambd must be non-negative"):
        nn.l1_penalty(_model(), -1.0, 10)
    with pytest.raises(TypeError, match="item 1 is a ndarray, expected a Tensor"):
        nn.l2_penalty([Tensor(np.ones((2, 2))), np.ones((2, 2))], 0.1, 1)
