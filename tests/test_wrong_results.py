"""The wrong results issue 18 found: min of integers and bools, pow's exponent gradient at bases <= 0, arange's
dtype."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_notes as tn
from tinygrad_notes import Tensor


# ---- min is computed directly: -max(-x) overflows integers and refuses bools -----------------------
@pytest.mark.parametrize(("values", "dtype", "expected"), [
    ([0, -2**31], np.int32, -2**31),  # -(-2**31) wraps to -2**31 in int32
    ([0, 128, 255, 64, 32, 16], np.uint8, 0),  # -x wraps in uint8
    ([True, False, True], np.bool_, False),  # -x is refused for bools
    ([3.5, -1.25, 2.0], np.float32, -1.25),
])
def test_min_of_any_dtype_is_the_smallest_entry(values, dtype, expected):
    m = Tensor(np.array(values, dtype=dtype)).min()
    assert m.item() == expected
    assert m.dtype == np.dtype(dtype)


def test_min_along_an_axis_of_unsigned_integers():
    x = Tensor(np.array([[3, 1], [0, 7]], dtype=np.uint8))
    np.testing.assert_array_equal(x.min(axis=1).numpy(), [1, 0])
    np.testing.assert_array_equal(x.min(axis=0, keepdims=True).numpy(), [[0, 1]])


def test_min_gradient_goes_to_the_minimum_and_splits_ties():
    x = Tensor(np.array([[2.0, -1.0, 5.0], [0.5, 0.5, 3.0]]), requires_grad=True)
    x.min(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [0.5, 0.5, 0]])


# ---- pow: the exponent's gradient x^y log x follows the math (PyTorch's values) -------------------------
def _exponent_grad(base: float, exponent: float) -> float:
    y = Tensor(np.array(exponent), requires_grad=True)
    with np.errstate(all="ignore"):
        (Tensor(np.array(base)) ** y).backward()
    return float(y.grad.item())


@pytest.mark.parametrize(("base", "exponent", "expected"), [
    (0.0, -1.5, -np.inf),  # 0^y = inf for y < 0, times log 0 = -inf
    (0.0, 2.0, 0.0),  # 0^y log 0 -> 0 as the base goes to 0+ (y > 0)
    (0.0, 0.0, 0.0),  # PyTorch's value at 0^0
    (-2.0, 3.0, np.nan),  # log of a negative number: the derivative in y does not exist
    (-2.0, 0.5, np.nan),
    (-np.inf, 0.0, np.nan),  # (-inf)^0 = 1, log(-inf) is NaN
    (2.0, 3.0, 8.0 * np.log(2.0)),
])
def test_exponent_gradient_at_every_kind_of_base(base, exponent, expected):
    got = _exponent_grad(base, exponent)
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-12)


def test_exponent_gradient_elementwise_with_broadcasting():
    y = Tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    x = Tensor(np.array([[0.0], [-3.0], [4.0]]))
    with np.errstate(all="ignore"):
        (x ** y).sum().backward()
    expected_last_row = 4.0 ** np.array([-1.0, 0.0, 2.0]) * np.log(4.0)
    g = y.grad.numpy()
    assert np.isnan(g).all()  # every column has a negative base (-3): NaN poisons the sum, as it should
    y.grad = None
    (x[2:] ** y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), expected_last_row, rtol=1e-12)


def test_the_base_gradient_is_unchanged_for_negative_bases_and_integer_exponents():
    x = Tensor(np.array([-2.0, 3.0]), requires_grad=True)
    (x ** 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [12.0, 27.0])


# ---- arange: integer arguments give integers, like numpy ----------------------------------------------
@pytest.mark.parametrize(("args", "dtype"), [((5,), np.int64), ((1, 7, 2), np.int64), ((-3, 3), np.int64),
                                             ((0.0, 1.0, 0.25), np.float32), ((3.0,), np.float32)])
def test_arange_keeps_numpys_kind_of_dtype(args, dtype):
    t = tn.arange(*args)
    assert t.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(t.numpy(), np.arange(*args))


def test_arange_dtype_argument_and_the_default_float():
    assert tn.arange(3, dtype=np.float64).dtype == np.float64
    with tn.default_dtype(np.float64):
        assert tn.arange(0.5, 2).dtype == np.float64
