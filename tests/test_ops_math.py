"""Elementwise math, the non-differentiable rounding and tests, and the integer and bitwise operators.

Values against numpy (and math.erf), gradients against closed forms written out here; the registry
(gradcheck/opinfo_math.py) checks every differentiable one at first and second order.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_notes as tn
from tinygrad_notes import Tensor


@pytest.fixture(autouse=True)
def _float64():
    tn.set_default_dtype(np.float64)


def _grad(name: str, x: np.ndarray) -> np.ndarray:
    t = Tensor(x, requires_grad=True)
    getattr(t, name)().sum().backward()
    return t.grad.numpy()


CASES = [  # name, numpy forward, derivative, inputs inside the domain
    ("tan", np.tan, lambda x: 1 / np.cos(x) ** 2, [-1.2, 0.3, 1.0]),
    ("arcsin", np.arcsin, lambda x: 1 / np.sqrt(1 - x * x), [-0.9, 0.0, 0.6]),
    ("arccos", np.arccos, lambda x: -1 / np.sqrt(1 - x * x), [-0.9, 0.0, 0.6]),
    ("arctan", np.arctan, lambda x: 1 / (1 + x * x), [-3.0, 0.0, 2.0]),
    ("sinh", np.sinh, np.cosh, [-2.0, 0.0, 1.5]),
    ("cosh", np.cosh, np.sinh, [-2.0, 0.0, 1.5]),
    ("arcsinh", np.arcsinh, lambda x: 1 / np.sqrt(x * x + 1), [-3.0, 0.0, 2.0]),
    ("arccosh", np.arccosh, lambda x: 1 / np.sqrt(x * x - 1), [1.1, 2.0, 5.0]),
    ("arctanh", np.arctanh, lambda x: 1 / (1 - x * x), [-0.9, 0.0, 0.5]),
    ("log2", np.log2, lambda x: 1 / (x * np.log(2)), [0.25, 1.0, 8.0]),
    ("log10", np.log10, lambda x: 1 / (x * np.log(10)), [0.1, 1.0, 1000.0]),
    ("log1p", np.log1p, lambda x: 1 / (1 + x), [-0.5, 1e-10, 3.0]),
    ("exp2", np.exp2, lambda x: np.exp2(x) * np.log(2), [-2.0, 0.0, 3.0]),
    ("expm1", np.expm1, np.exp, [-2.0, 1e-10, 3.0]),
    ("rsqrt", lambda x: 1 / np.sqrt(x), lambda x: -0.5 * x ** -1.5, [0.25, 1.0, 4.0]),
    ("erf", np.vectorize(math.erf), lambda x: 2 / np.sqrt(np.pi) * np.exp(-x * x), [-2.0, 0.0, 0.7]),
    ("reciprocal", lambda x: 1 / x, lambda x: -1 / x ** 2, [-2.0, 0.5, 4.0]),
]


@pytest.mark.parametrize(("name", "forward", "derivative", "values"), CASES, ids=[c[0] for c in CASES])
def test_values_and_derivatives(name, forward, derivative, values):
    x = np.array(values)
    np.testing.assert_allclose(getattr(Tensor(x), name)().numpy(), forward(x), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(_grad(name, x), derivative(x), rtol=1e-12)


def test_exact_where_it_matters():
    assert Tensor(np.array(8.0)).log2().item() == 3.0  # log(8) / log(2) is 2.9999999999999996
    assert Tensor(np.array(1e-12)).log1p().item() == pytest.approx(1e-12, rel=1e-15)
    assert Tensor(np.array(1e-12)).expm1().item() == pytest.approx(1e-12, rel=1e-15)
    assert Tensor(np.array([0.5], dtype=np.float32)).erf().dtype == np.float32


def test_abs_of_a_tensor_is_its_abs_method():
    x = Tensor(np.array([-1.5, 0.0, 2.0]), requires_grad=True)
    y = abs(x)
    np.testing.assert_array_equal(y.numpy(), [1.5, 0.0, 2.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc"])
def test_rounding_gives_constants_like_numpy(name):
    x = Tensor(np.array([-1.5, -0.5, 0.5, 1.5, 2.7]), requires_grad=True)
    y = getattr(x, name)()
    np.testing.assert_array_equal(y.numpy(), getattr(np, name)(x.numpy()))
    assert not y.requires_grad


def test_nan_inf_and_closeness_tests():
    x = Tensor(np.array([1.0, np.nan, np.inf, -np.inf]))
    assert x.isnan().tolist() == [False, True, False, False]
    assert x.isinf().tolist() == [False, False, True, True]
    assert x.isfinite().tolist() == [True, False, False, False]
    close = Tensor(np.array([1.0, 1.0 + 1e-9, 1.1])).isclose(1.0)
    assert close.tolist() == [True, True, False]
    assert Tensor(np.array([np.nan])).isclose(np.nan, equal_nan=True).tolist() == [True]


# ---- integer and bitwise operators --------------------------------------------------------------------
def test_integer_operators_follow_numpy():
    a, b = np.array([7, -7, 12, 5]), np.array([2, 2, -5, 3])
    x, y = Tensor(a), Tensor(b)
    for got, want in [(x // y, a // b), (x % y, a % b), (x & y, a & b), (x | y, a | b), (x ^ y, a ^ b), (~x, ~a),
                      (x << 2, a << 2), (x >> 1, a >> 1), (17 // y, 17 // b), (17 % y, 17 % b), (3 & y, 3 & b),
                      (1 << y.abs(), 1 << np.abs(b))]:
        np.testing.assert_array_equal(got.numpy(), want)
        assert got.dtype == want.dtype


def test_bitwise_operators_combine_bool_masks():
    x = Tensor(np.array([-2.0, 0.5, 3.0]))
    inside = (x > 0) & (x < 1)
    assert inside.tolist() == [False, True, False]
    assert ((x < 0) | (x > 1)).tolist() == [True, False, True]
    assert (~inside).tolist() == [True, False, True]
    assert ((x > 0) ^ (x > 1)).tolist() == [False, True, False]


def test_bitwise_operators_refuse_floats_naming_the_fix():
    x = Tensor(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"'&': not defined for dtypes float64 and int64.*integer or bool"):
        x & 1
    with pytest.raises(TypeError, match=r"'~': not defined for dtype float64"):
        _ = ~x
    with pytest.raises(tn.ShapeError, match=r"'\|'"):
        Tensor(np.ones((2, 3), dtype=int)) | Tensor(np.ones(4, dtype=int))


def test_floor_division_is_a_constant_and_mod_has_its_slopes():
    x = Tensor(np.array([7.5, -2.5, 3.0]), requires_grad=True)
    y = Tensor(np.array([2.0, 2.0, -2.5]), requires_grad=True)
    assert not (x // y).requires_grad
    r = x % y
    np.testing.assert_allclose(r.numpy(), np.remainder(x.numpy(), y.numpy()))
    r.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(y.grad.numpy(), -np.floor(x.numpy() / y.numpy()))
