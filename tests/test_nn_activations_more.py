"""The activations of issue 18 against their definitions, their gradients at the kinks (PyTorch's values), and
the layers that hold their parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import tinygrad_notes as tn
from nn import functional as F
from tinygrad_notes import Tensor


@pytest.fixture(autouse=True)
def _float64():
    tn.set_default_dtype(np.float64)


X = np.array([-25.0, -3.0, -1.0, -0.4, 0.3, 1.0, 2.5, 7.0, 30.0])
sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
softplus_np = lambda x: np.logaddexp(0, x)  # noqa: E731
Phi = np.vectorize(lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2))))

DEFINITIONS = [  # (function, kwargs, definition in numpy)
    (F.gelu, {}, lambda x: x * Phi(x)),
    (F.gelu, {"approximate": "tanh"}, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    (F.elu, {"alpha": 0.7}, lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1))),
    (F.selu, {}, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1))),
    (F.celu, {"alpha": 2.0}, lambda x: np.maximum(x, 0) + np.minimum(0, 2.0 * (np.exp(x / 2.0) - 1))),
    (F.silu, {}, lambda x: x * sigmoid(x)),
    (F.swish, {}, lambda x: x * sigmoid(x)),
    (F.mish, {}, lambda x: x * np.tanh(softplus_np(x))),
    (F.relu6, {}, lambda x: np.clip(x, 0, 6)),
    (F.hardtanh, {"min_val": -2.0, "max_val": 1.5}, lambda x: np.clip(x, -2.0, 1.5)),
    (F.hardsigmoid, {}, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    (F.hardswish, {}, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    (F.softsign, {}, lambda x: x / (1 + np.abs(x))),
    (F.logsigmoid, {}, lambda x: -softplus_np(-x)),
    (F.softplus, {"beta": 2.0, "threshold": 5.0}, lambda x: np.where(2 * x > 5, x, softplus_np(2 * x) / 2)),
    (F.softmin, {}, lambda x: np.exp(-x - (-x).max()) / np.exp(-x - (-x).max()).sum()),
]


@pytest.mark.parametrize(("fn", "kwargs", "definition"), DEFINITIONS,
                         ids=[f"{f.__name__}{k or ''}" for f, k, _ in DEFINITIONS])
def test_values_equal_the_definition(fn, kwargs, definition):
    np.testing.assert_allclose(fn(Tensor(X), **kwargs).numpy(), definition(X), rtol=1e-12, atol=1e-14)


def _slope(fn, at, **kwargs):
    x = Tensor(np.array(at), requires_grad=True)
    fn(x, **kwargs).sum().backward()
    return x.grad.numpy()


def test_gradients_at_the_kinks_are_pytorchs():
    np.testing.assert_array_equal(_slope(F.hardtanh, [-1.0, 0.0, 1.0]), [0.0, 1.0, 0.0])  # 0 at the bounds
    np.testing.assert_array_equal(_slope(F.relu6, [0.0, 3.0, 6.0]), [0.0, 1.0, 0.0])
    np.testing.assert_allclose(_slope(F.hardsigmoid, [-3.0, 0.0, 3.0]), [0.0, 1 / 6, 0.0])
    np.testing.assert_allclose(_slope(F.elu, [0.0], alpha=0.5), [0.5])  # the x <= 0 branch at 0
    np.testing.assert_allclose(_slope(F.selu, [0.0]), [1.0507009873554805 * 1.6732632423543772])


def test_smooth_gradients_equal_their_closed_forms():
    x = X[1:-1]
    s = sigmoid(x)
    np.testing.assert_allclose(_slope(F.silu, x), s * (1 + x * (1 - s)), rtol=1e-12)
    np.testing.assert_allclose(_slope(F.gelu, x), Phi(x) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi), rtol=1e-12)
    np.testing.assert_allclose(_slope(F.softsign, x), 1 / (1 + np.abs(x)) ** 2, rtol=1e-12)
    np.testing.assert_allclose(_slope(F.logsigmoid, x), 1 - s, rtol=1e-12)


def test_no_overflow_and_no_nan_far_out():
    far = np.array([-1000.0, 1000.0])
    for fn in (F.elu, F.selu, F.celu, F.silu, F.mish, F.logsigmoid, F.softplus, F.gelu):
        x = Tensor(far, requires_grad=True)
        with np.errstate(over="raise", invalid="raise"):
            fn(x).sum().backward()
        assert np.isfinite(x.grad.numpy()).all(), fn.__name__


def test_layers_hold_their_parameters_and_check_them_when_built():
    x = Tensor(X)
    for layer, fn, kwargs in [(nn.GELU("tanh"), F.gelu, {"approximate": "tanh"}), (nn.ELU(0.3), F.elu, {"alpha": 0.3}),
                              (nn.CELU(1.5), F.celu, {"alpha": 1.5}), (nn.Hardtanh(-0.5, 0.5), F.hardtanh,
                                                                       {"min_val": -0.5, "max_val": 0.5}),
                              (nn.Softplus(3.0, 10.0), F.softplus, {"beta": 3.0, "threshold": 10.0}),
                              (nn.SELU(), F.selu, {}), (nn.SiLU(), F.silu, {}), (nn.Mish(), F.mish, {}),
                              (nn.ReLU6(), F.relu6, {}), (nn.Hardsigmoid(), F.hardsigmoid, {}),
                              (nn.Hardswish(), F.hardswish, {}), (nn.Softsign(), F.softsign, {}),
                              (nn.LogSigmoid(), F.logsigmoid, {}), (nn.Softmin(0), F.softmin, {"axis": 0})]:
        np.testing.assert_array_equal(layer(x).numpy(), fn(x, **kwargs).numpy())
    assert repr(nn.Hardtanh(-2, 2)) == "Hardtanh(min_val=-2, max_val=2)"
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU("erf")
    with pytest.raises(ValueError, match="min_val .* must not exceed max_val"):
        nn.Hardtanh(1.0, -1.0)
