"""Loss options of issue 18 against the formulas computed by hand in numpy: class weights, ignore_index,
label smoothing, pos_weight, and (N, C, d1, ...) inputs."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import tinygrad_notes as tn
from nn import functional as F
from tinygrad_notes import Tensor


@pytest.fixture(autouse=True)
def _float64():
    tn.set_default_dtype(np.float64)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


RNG = np.random.default_rng(0)
Z = RNG.standard_normal((6, 4))
Y = np.array([0, 3, 1, -100, 2, 3])
W = np.array([0.5, 2.0, 1.0, 1.5])


def test_weighted_mean_with_ignored_targets_divides_by_the_kept_weights():
    lp = log_softmax(Z)
    kept = Y != -100
    per = -W[Y[kept]] * lp[np.arange(6)[kept], Y[kept]]
    expected = per.sum() / W[Y[kept]].sum()
    assert F.cross_entropy(Tensor(Z), Y, weight=W).item() == pytest.approx(expected, rel=1e-13)
    assert F.nll_loss(Tensor(lp), Y, weight=W).item() == pytest.approx(expected, rel=1e-13)
    none = F.cross_entropy(Tensor(Z), Y, "none", weight=W).numpy()
    assert none[3] == 0.0
    np.testing.assert_allclose(none[kept], per, rtol=1e-13)


def test_ignored_examples_get_no_gradient_and_the_rest_get_softmax_minus_onehot():
    z = Tensor(Z, requires_grad=True)
    F.cross_entropy(z, Y, "sum").backward()
    kept = Y != -100
    onehot = np.eye(4)[np.where(kept, Y, 0)]
    expected = (np.exp(log_softmax(Z)) - onehot) * kept[:, None]
    np.testing.assert_allclose(z.grad.numpy(), expected, rtol=1e-12, atol=1e-15)


def test_label_smoothing_mixes_in_the_uniform_distribution():
    eps, y = 0.2, np.array([0, 3, 1, 2, 2, 3])
    lp = log_softmax(Z)
    target = (1 - eps) * np.eye(4)[y] + eps / 4
    expected = -(target * lp).sum(axis=1).mean()
    assert F.cross_entropy(Tensor(Z), y, label_smoothing=eps).item() == pytest.approx(expected, rel=1e-13)
    soft = F.cross_entropy(Tensor(Z), np.eye(4)[y], label_smoothing=eps).item()  # probability targets too
    assert soft == pytest.approx(expected, rel=1e-13)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        F.cross_entropy(Tensor(Z), y, label_smoothing=1.5)


def test_label_smoothing_with_weights_and_ignore_index_follows_pytorch():
    eps = 0.1
    lp = log_softmax(Z)
    kept = Y != -100
    rows = np.arange(6)[kept]
    nll = (-W[Y[kept]] * lp[rows, Y[kept]]).sum()
    smooth = (-(lp[kept] * W).sum(axis=1)).sum()
    expected = ((1 - eps) * nll + eps / 4 * smooth) / W[Y[kept]].sum()
    assert F.cross_entropy(Tensor(Z), Y, weight=W, label_smoothing=eps).item() == pytest.approx(expected, rel=1e-13)


def test_spatial_inputs_equal_the_flattened_loss():
    z = RNG.standard_normal((2, 4, 3, 5))  # (N, C, d1, d2)
    y = RNG.integers(0, 4, (2, 3, 5))
    flat_z = z.transpose(0, 2, 3, 1).reshape(-1, 4)
    for reduction in ("mean", "sum"):
        assert F.cross_entropy(Tensor(z), y, reduction).item() == pytest.approx(
            F.cross_entropy(Tensor(flat_z), y.reshape(-1), reduction).item(), rel=1e-13)
    none = F.cross_entropy(Tensor(z), y, "none")
    assert none.shape == (2, 3, 5)
    np.testing.assert_allclose(none.numpy().reshape(-1), F.cross_entropy(Tensor(flat_z), y.reshape(-1), "none").numpy())
    with pytest.raises(tn.ShapeError, match=r"class-index target must have shape \(2, 3, 5\), got \(2, 5\)"):
        F.cross_entropy(Tensor(z), y[:, 0])


def test_pos_weight_weighs_the_positive_term():
    z, t = RNG.standard_normal((5, 3)) * 3, RNG.uniform(0, 1, (5, 3))
    pw, w = np.array([1.0, 3.0, 0.5]), RNG.uniform(0.5, 2, (5, 3))
    s = 1 / (1 + np.exp(-z))
    expected = (-w * (pw * t * np.log(s) + (1 - t) * np.log(1 - s))).mean()
    got = F.binary_cross_entropy_with_logits(Tensor(z), t, weight=w, pos_weight=pw).item()
    assert got == pytest.approx(expected, rel=1e-12)
    zt = Tensor(z, requires_grad=True)
    F.binary_cross_entropy_with_logits(zt, t, "sum", pos_weight=pw).backward()
    np.testing.assert_allclose(zt.grad.numpy(), (1 - t + pw * t) * s - pw * t, rtol=1e-12)  # d/dz of the loss
    with pytest.raises(tn.ShapeError, match="pos_weight of shape"):
        F.binary_cross_entropy_with_logits(Tensor(z), t, pos_weight=np.ones(4))


def test_bce_weight_scales_each_element():
    p, t = RNG.uniform(0.1, 0.9, (4, 2)), RNG.uniform(0, 1, (4, 2))
    w = np.array([[1.0], [2.0], [0.0], [0.5]])
    expected = (-w * (t * np.log(p) + (1 - t) * np.log(1 - p))).sum()
    assert F.binary_cross_entropy(Tensor(p), t, "sum", weight=w).item() == pytest.approx(expected, rel=1e-12)


def test_loss_modules_hold_the_options():
    loss = nn.CrossEntropyLoss(weight=W, ignore_index=3, label_smoothing=0.05)
    assert loss(Tensor(Z), Y.clip(0)).item() == pytest.approx(
        F.cross_entropy(Tensor(Z), Y.clip(0), weight=W, ignore_index=3, label_smoothing=0.05).item(), rel=1e-14)
    assert "ignore_index=3" in repr(loss) and "label_smoothing=0.05" in repr(loss)
    assert nn.NLLLoss(ignore_index=0)(Tensor(log_softmax(Z)), Y.clip(0)).item() == pytest.approx(
        F.nll_loss(Tensor(log_softmax(Z)), Y.clip(0), ignore_index=0).item())
    pw = np.array([2.0, 1.0])
    assert nn.BCEWithLogitsLoss(pos_weight=pw)(Tensor(Z[:, :2]), np.ones((6, 2))).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(Tensor(Z[:, :2]), np.ones((6, 2)), pos_weight=pw).item())
    with pytest.raises(tn.ShapeError, match=r"weight must have one entry per class, shape \(4,\)"):
        nn.CrossEntropyLoss(weight=np.ones(3))(Tensor(Z), Y.clip(0))
