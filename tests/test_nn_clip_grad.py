"""nn.utils.clip_grad_norm_ and clip_grad_value_: PyTorch's semantics, checked against closed forms."""

import math

import numpy as np
import pytest

import nn
import optim
from tinygrad_notes import Tensor


def params_with_grads(*grads):
    """Parameters whose .grad is set by hand (None: a parameter backward never reached)."""
    out = []
    for g in grads:
        p = Tensor(np.zeros(np.shape(g) if g is not None else 3), requires_grad=True)
        p.grad = None if g is None else Tensor(np.array(g, dtype=np.float64))
        out.append(p)
    return out


def test_clip_grad_norm_scales_every_gradient_by_max_norm_over_the_joint_norm():
    a, b, skipped = params_with_grads([3.0, 4.0], [[12.0]], None)  # joint norm sqrt(9 + 16 + 144) = 13
    total = nn.utils.clip_grad_norm_([a, b, skipped], max_norm=6.5)
    assert isinstance(total, Tensor)
    assert total.item() == pytest.approx(13.0, abs=1e-12)  # the norm before clipping
    coef = 6.5 / (13.0 + 1e-6)
    np.testing.assert_allclose(a.grad.data, [3 * coef, 4 * coef], rtol=1e-15)
    np.testing.assert_allclose(b.grad.data, [[12 * coef]], rtol=1e-15)
    assert skipped.grad is None
    joint = math.sqrt(float((a.grad.data**2).sum() + (b.grad.data**2).sum()))
    assert joint == pytest.approx(6.5, rel=1e-6)  # the direction kept, the length now max_norm


def test_clip_grad_norm_leaves_small_gradients_alone_and_accepts_one_tensor():
    (a,) = params_with_grads([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(a, max_norm=5.1).item() == pytest.approx(5.0)
    np.testing.assert_array_equal(a.grad.data, [3.0, 4.0])
    assert nn.utils.clip_grad_norm_(params_with_grads(None, None), 1.0).item() == 0.0  # no gradient at all


@pytest.mark.parametrize("norm_type, total", [(1, 3 + 4 + 12), (math.inf, 12.0), (3, (27 + 64 + 1728) ** (1 / 3))])
def test_clip_grad_norm_of_other_orders(norm_type, total):
    a, b = params_with_grads([3.0, -4.0], [[12.0]])
    assert nn.utils.clip_grad_norm_([a, b], max_norm=total / 2, norm_type=norm_type).item() == pytest.approx(total)
    coef = (total / 2) / (total + 1e-6)
    np.testing.assert_allclose(a.grad.data, [3 * coef, -4 * coef], rtol=1e-12)
    np.testing.assert_allclose(b.grad.data, [[12 * coef]], rtol=1e-12)


def test_clip_grad_norm_bounds_the_optimizer_step():
    w = Tensor(np.zeros(4), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    (w * Tensor([100.0, -200.0, 0.0, 50.0])).sum().backward()  # gradient (100, -200, 0, 50): norm 229.1
    total = nn.utils.clip_grad_norm_([w], max_norm=1.0)
    opt.step()
    assert total.item() == pytest.approx(math.sqrt(100**2 + 200**2 + 50**2))
    assert np.linalg.norm(w.data) == pytest.approx(1.0, rel=1e-6)  # the step is at most max_norm * lr
    np.testing.assert_allclose(w.data / np.linalg.norm(w.data), -np.array([100, -200, 0, 50]) / total.item())


def test_clip_grad_norm_with_a_nonfinite_gradient():
    a, b = params_with_grads([1.0, np.nan], [2.0])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is nan"):
        nn.utils.clip_grad_norm_([a, b], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(b.grad.data, [2.0])  # raising leaves the gradients as they were
    assert math.isnan(nn.utils.clip_grad_norm_([a, b], 1.0).item())
    assert np.isnan(b.grad.data).all()  # as in PyTorch: scaled by a NaN coefficient


def test_clip_grad_value_clamps_each_entry():
    a, b, skipped = params_with_grads([-5.0, 0.5, 3.0], [[-0.2, 1.0000001]], None)
    assert nn.utils.clip_grad_value_([a, b, skipped], clip_value=1.0) is None
    np.testing.assert_array_equal(a.grad.data, [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(b.grad.data, [[-0.2, 1.0]])
    assert skipped.grad is None


def test_clipping_refuses_bad_arguments_clearly():
    (a,) = params_with_grads([1.0])
    with pytest.raises(ValueError, match=r"clip_grad_norm_: max_norm must be a number >= 0, got -1.0"):
        nn.utils.clip_grad_norm_([a], -1)
    with pytest.raises(ValueError, match=r"clip_grad_norm_: norm_type must be > 0"):
        nn.utils.clip_grad_norm_([a], 1.0, norm_type=0)
    with pytest.raises(ValueError, match=r"clip_grad_value_: clip_value must be a number >= 0, got -0.5"):
        nn.utils.clip_grad_value_([a], -0.5)
    with pytest.raises(TypeError, match=r"clip_grad_value_: parameter 1 is a ndarray, not a Tensor"):
        nn.utils.clip_grad_value_([a, np.ones(2)], 1.0)
