"""prod, cumsum, cumprod, cummax, cummin, norm, einsum, all/any: values against numpy, gradients against closed forms.

The edge points are checked here directly: zeros in prod and cumprod (the gradient is the product of the
other entries, never a division by 0), ties in cummax (the gradient goes to one entry), and the 2-norm of
the zero vector (gradient 0, not NaN).
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_notes as tn
from tinygrad_notes import Tensor, einsum, gradcheck, gradgradcheck


@pytest.fixture(autouse=True)
def _float64():
    tn.set_default_dtype(np.float64)


def _others_product(x: np.ndarray) -> np.ndarray:
    """d prod/dx_i = prod of every other entry, by brute force."""
    return np.array([np.prod(np.delete(x, i)) for i in range(x.size)])


@pytest.mark.parametrize("values", [[1.5, -2.0, 0.5, 3.0], [1.5, 0.0, 0.5, 3.0], [0.0, 2.0, 0.0, 3.0], [0.0]])
def test_prod_gradient_is_the_product_of_the_others_also_at_zeros(values):
    x = Tensor(np.array(values), requires_grad=True)
    p = x.prod()
    assert p.item() == np.prod(values)
    p.backward()
    np.testing.assert_allclose(x.grad.numpy(), _others_product(np.array(values)), rtol=1e-14)
    assert np.isfinite(x.grad.numpy()).all()


def test_prod_axes_keepdims_and_the_empty_product():
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    np.testing.assert_allclose(Tensor(a).prod(axis=(0, 2), keepdims=True).numpy(), a.prod(axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(Tensor(a).prod(axis=-1).numpy(), a.prod(axis=-1))
    assert Tensor(np.ones((0, 3))).prod().item() == 1.0


def test_cumsum_and_cumprod_equal_numpys():
    a = np.random.default_rng(1).standard_normal((3, 4))
    for axis in (0, 1, -1, None):
        np.testing.assert_allclose(Tensor(a).cumsum(axis).numpy(), np.cumsum(a, axis=axis))
        np.testing.assert_allclose(Tensor(a).cumprod(axis).numpy(), np.cumprod(a, axis=axis))


def test_cumsum_gradient_counts_later_positions():
    x = Tensor(np.ones(4), requires_grad=True)
    x.cumsum(0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4, 3, 2, 1])


@pytest.mark.parametrize("values", [[1.5, 0.0, -2.0, 0.7], [0.0, 1.3, 0.0, 2.0], [1.1, -0.4, 2.0, 0.9]])
def test_cumprod_gradient_by_brute_force_at_zeros(values):
    x = np.array(values)
    t = Tensor(x, requires_grad=True)
    weights = np.array([0.3, -1.1, 0.8, 2.0])
    (t.cumprod(0) * weights).sum().backward()
    expected = sum(w * np.concatenate([_others_product(x[:k + 1]), np.zeros(x.size - k - 1)])
                   for k, w in enumerate(weights))
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-13, atol=1e-15)


def test_cumprod_second_order_at_zeros():
    for values in ([1.5, 0.0, -2.0, 0.7], [0.0, 1.3, 0.0, 2.0]):
        assert gradgradcheck(lambda x: x.cumprod(0), [np.array(values)]).passed


def test_cummax_and_cummin_values_and_where_the_gradient_goes():
    a = np.array([0.5, 2.0, 1.0, 2.0, 3.0, -1.0])
    x = Tensor(a, requires_grad=True)
    np.testing.assert_array_equal(x.cummax().numpy(), np.maximum.accumulate(a))
    np.testing.assert_array_equal(x.cummin().numpy(), np.minimum.accumulate(a))
    x.cummax().sum().backward()
    # running max 0.5, 2, 2, 2, 3, 3, held by entries 0, 1, 1, 3 (a tie: the later entry, as PyTorch), 4, 4
    np.testing.assert_array_equal(x.grad.numpy(), [1, 2, 0, 1, 2, 0])


def test_a_tie_in_cummax_is_reported_as_a_kink_not_a_bug():
    report = gradcheck(lambda x: x.cummax(0), [np.array([0.5, 1.5, -0.3, 1.5])])
    assert report.passed
    assert report.kinks > 0


def test_norm_orders_equal_numpys():
    a = np.random.default_rng(2).standard_normal((3, 4))
    x = Tensor(a)
    np.testing.assert_allclose(x.norm().item(), np.linalg.norm(a))  # all entries: Frobenius
    np.testing.assert_allclose(x.norm(axis=1).numpy(), np.linalg.norm(a, axis=1))
    for ord in (1, 3, np.inf, -np.inf):
        np.testing.assert_allclose(x.norm(ord, axis=0).numpy(), np.linalg.norm(a, ord, axis=0))
    with pytest.raises(ValueError, match="norm: ord must be"):
        x.norm(0.5)


def test_norm_gradient_is_x_over_norm_and_zero_at_the_zero_vector():
    a = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, -4.0]])
    x = Tensor(a, requires_grad=True)
    x.norm(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0, 0], [0.6, 0, -0.8]])
    y = Tensor(np.zeros(3), requires_grad=True)
    (y.norm() * 2).backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 0.0, 0.0])  # composed sqrt(sum(x^2)) gives NaN here


def test_norm_second_derivative_is_the_projection():
    x = np.array([1.0, -2.0, 2.0])
    assert gradgradcheck(lambda t: t.norm(), [x]).passed


@pytest.mark.parametrize(("spec", "shapes"), [
    ("ij,jk->ik", [(3, 4), (4, 2)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("ii->", [(3, 3)]),
    ("ii->i", [(4, 4)]), ("ij->", [(2, 3)]), ("i,j->ij", [(3,), (2,)]), ("ij,ij", [(2, 3), (2, 3)]),
    ("...j,jk->...k", [(2, 3, 4), (4, 5)]), ("ij,jk,k->i", [(2, 3), (3, 4), (4,)]), ("iij->ji", [(2, 2, 3)]),
])
def test_einsum_values_and_gradients(spec, shapes):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in shapes]
    np.testing.assert_allclose(einsum(spec, *[Tensor(a) for a in arrays]).numpy(), np.einsum(spec, *arrays),
                               rtol=1e-13, atol=1e-13)
    assert gradcheck(lambda *xs: einsum(spec, *xs), arrays).passed


def test_einsum_gradient_of_a_matrix_product_is_the_closed_form():
    rng = np.random.default_rng(4)
    a = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = Tensor(rng.standard_normal((4, 2)), requires_grad=True)
    g = rng.standard_normal((3, 2))
    einsum("ij,jk->ik", a, b).backward(g)
    np.testing.assert_allclose(a.grad.numpy(), g @ b.numpy().T)
    np.testing.assert_allclose(b.grad.numpy(), a.numpy().T @ g)


def test_einsum_errors_name_the_subscripts():
    with pytest.raises(tn.ShapeError, match="einsum: subscripts 'ij,jk' name 2 operand"):
        einsum("ij,jk", Tensor(np.ones((2, 2))))
    with pytest.raises(tn.ShapeError, match="sizes 3 and 4"):
        einsum("ij,jk->ik", Tensor(np.ones((2, 3))), Tensor(np.ones((4, 2))))


def test_all_and_any_are_bool_constants():
    x = Tensor(np.array([[1.0, 0.0], [2.0, 3.0]]), requires_grad=True)
    assert x.all().item() is False and x.any().item() is True
    assert x.all(axis=1).tolist() == [False, True]
    assert x.any(axis=0, keepdims=True).shape == (1, 2)
    assert not x.all().requires_grad
