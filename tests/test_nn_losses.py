"""Losses: values and gradients against closed forms, stability at the extremes, reductions, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn import functional as F
from tinygrad_notes import ShapeError, Tensor, grad


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_cross_entropy_value_and_the_notes_gradient_dz_equals_yhat_minus_y() -> None:
    rng = np.random.default_rng(0)
    z = Tensor(rng.standard_normal((6, 4)), requires_grad=True)
    labels = rng.integers(0, 4, 6)
    onehot = np.eye(4)[labels]
    loss = F.cross_entropy(z, labels)
    y_hat = _softmax(z.data)
    assert loss.item() == pytest.approx(-np.mean(np.log(y_hat[np.arange(6), labels])), rel=1e-12)
    (dz,) = grad(loss, z)
    np.testing.assert_allclose(dz.data, (y_hat - onehot) / 6, rtol=1e-10, atol=1e-15)


@settings(deadline=None, max_examples=30)
@given(n=st.integers(1, 6), c=st.integers(2, 6), scale=st.sampled_from([0.1, 1.0, 30.0]), seed=st.integers(0, 2**16))
def test_cross_entropy_gradient_is_softmax_minus_one_hot_for_any_shape(n: int, c: int, scale: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = Tensor(rng.standard_normal((n, c)) * scale, requires_grad=True)
    labels = rng.integers(0, c, n)
    for reduction, divisor in (("mean", n), ("sum", 1)):
        (dz,) = grad(F.cross_entropy(z, labels, reduction=reduction), z)
        np.testing.assert_allclose(dz.data, (_softmax(z.data) - np.eye(c)[labels]) / divisor, rtol=1e-9, atol=1e-14)


def test_cross_entropy_with_indices_equals_one_hot_and_handles_soft_targets() -> None:
    rng = np.random.default_rng(1)
    z = Tensor(rng.standard_normal((5, 3)))
    labels = rng.integers(0, 3, 5)
    for reduction in ("mean", "sum", "none"):
        by_index = F.cross_entropy(z, labels, reduction=reduction).data
        by_onehot = F.cross_entropy(z, np.eye(3)[labels], reduction=reduction).data
        np.testing.assert_allclose(by_index, by_onehot, rtol=1e-6)
    soft = _softmax(rng.standard_normal((5, 3)))
    expected = -(soft * np.log(_softmax(z.data))).sum(axis=1)
    np.testing.assert_allclose(F.cross_entropy(z, soft, reduction="none").data, expected, rtol=1e-5)
    per_example = F.cross_entropy(z, labels, reduction="none").data
    assert nn.CrossEntropyLoss(reduction="sum")(z, Tensor(labels)).item() == pytest.approx(per_example.sum())


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    z = Tensor(np.array([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 0.0]]), requires_grad=True)
    loss = F.cross_entropy(z, np.array([2, 1]))
    assert loss.item() == pytest.approx(1000.0)  # (2000 + 0) / 2, no overflow, no NaN
    (dz,) = grad(loss, z)
    np.testing.assert_allclose(dz.data, [[0.5, 0, -0.5], [0, 0, 0]], atol=1e-12)


def test_nll_loss_picks_the_target_log_probability() -> None:
    logp = Tensor(np.log(np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])))
    np.testing.assert_allclose(F.nll_loss(logp, [1, 0, 1], reduction="none").data, -np.log([0.8, 0.6, 0.5]))
    assert nn.NLLLoss()(logp, np.array([1, 0, 1])).item() == pytest.approx(-np.log([0.8, 0.6, 0.5]).mean())
    assert F.nll_loss(Tensor(np.log([0.3, 0.7])), np.array(1)).item() == pytest.approx(-np.log(0.7))


def test_mse_loss_and_its_gradient() -> None:
    a = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    b = np.array([[0.0, 2.0], [5.0, 4.5]])
    loss = nn.MSELoss()(a, b)
    assert loss.item() == pytest.approx((1 + 0 + 4 + 0.25) / 4)
    (da,) = grad(loss, a)
    np.testing.assert_allclose(da.data, 2 * (a.data - b) / 4)
    assert F.mse_loss(a, b, reduction="sum").item() == pytest.approx(5.25)
    assert F.mse_loss(a, b, reduction="none").shape == (2, 2)


def test_binary_cross_entropy_is_finite_at_zero_and_one() -> None:
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0, 0.3]), requires_grad=True)
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    losses = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_allclose(losses.data, [0, 0, -np.log(1e-12), -np.log(1e-12), -np.log(0.3)], atol=1e-12)
    (dp,) = grad(losses.sum(), p)
    assert np.isfinite(dp.data).all()
    assert dp.data[4] == pytest.approx(-1 / 0.3)  # d/dp -log p
    np.testing.assert_array_equal(dp.data[2:4], 0)  # flat where the clamp holds
    inside = Tensor(np.array([0.2, 0.9]), requires_grad=True)
    (d,) = grad(nn.BCELoss()(inside, np.array([1.0, 0.0])), inside)
    np.testing.assert_allclose(d.data, [-1 / 0.2 / 2, 1 / 0.1 / 2])
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(Tensor(np.array([1.5])), np.array([1.0]))


def test_binary_cross_entropy_with_logits_is_stable_and_its_gradient_is_sigmoid_minus_y() -> None:
    z = Tensor(np.array([-1000.0, -40.0, -3.0, 0.0, 0.0, 3.0, 40.0, 1000.0]), requires_grad=True)
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    losses = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    expected = np.logaddexp(0, z.data) - z.data * y  # log(1 + e^z) - z y
    np.testing.assert_allclose(losses.data, expected, rtol=1e-12)
    assert losses.data[0] == 1000.0 and losses.data[-1] == 1000.0
    (dz,) = grad(losses.sum(), z)
    e = np.exp(-np.abs(z.data))
    sigmoid = np.where(z.data >= 0, 1 / (1 + e), e / (1 + e))
    np.testing.assert_allclose(dz.data, sigmoid - y, rtol=1e-12, atol=1e-300)
    assert dz.data[3] == 0.5 and dz.data[4] == -0.5  # exact at z = 0
    probs = Tensor(sigmoid[2:6])
    np.testing.assert_allclose(nn.BCEWithLogitsLoss()(Tensor(z.data[2:6]), y[2:6]).item(),
                               F.binary_cross_entropy(probs, y[2:6]).item(), rtol=1e-12)


@pytest.mark.parametrize("loss", [F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
def test_elementwise_losses_refuse_mismatched_shapes(loss) -> None:
    with pytest.raises(ShapeError, match=r"input of shape \(4, 1\) and target of shape \(4,\) must have the same"):
        loss(Tensor(np.full((4, 1), 0.5)), np.full(4, 0.5))


def test_loss_errors_name_the_problem() -> None:
    z = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.cross_entropy(z, [0, 1, 2], reduction="avg")
    with pytest.raises(ValueError, match="reduction must be"):
        nn.MSELoss(reduction="max")
    with pytest.raises(IndexError, match=r"class indices must be in \[0, 4\).*from 0 to 4"):
        F.cross_entropy(z, np.array([0, 4, 1]))
    with pytest.raises(ShapeError, match=r"class-index target must have shape \(3,\), got \(2,\)"):
        F.cross_entropy(z, np.array([0, 1]))
    with pytest.raises(ShapeError,
                       match=r"\(batch, classes, d1, ...\) the class-index target must have shape \(2, 4\)"):
        F.cross_entropy(Tensor(np.zeros((2, 3, 4))), np.zeros((2, 3), dtype=int))
    with pytest.raises(TypeError, match="nll_loss: target must hold class indices"):
        F.nll_loss(z, np.zeros((3, 4)))
