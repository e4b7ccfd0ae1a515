"""take_along_axis, scatter_add, masked_fill, sort, argsort, topk and one_hot: values and where gradients go."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import tinygrad_notes as tn
from tinygrad_notes import Tensor, gradcheck


@pytest.fixture(autouse=True)
def _float64():
    tn.set_default_dtype(np.float64)


def test_take_along_axis_equals_numpys_and_repeated_picks_add_up():
    a = np.arange(12.0).reshape(3, 4)
    idx = np.array([[0, 3, 3], [1, 1, 1], [2, 0, 3]])
    x = Tensor(a, requires_grad=True)
    y = x.take_along_axis(idx, axis=1)
    np.testing.assert_array_equal(y.numpy(), np.take_along_axis(a, idx, axis=1))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 0, 2], [0, 3, 0, 0], [1, 0, 1, 1]])


def test_scatter_add_is_pytorchs_and_differentiates_both_inputs():
    a, v = np.zeros((2, 4)), np.array([[1.0, 2.0], [3.0, 4.0]])
    idx = np.array([[0, 0], [3, 1]])
    x, values = Tensor(a, requires_grad=True), Tensor(v, requires_grad=True)
    y = x.scatter_add(idx, values, axis=1)
    np.testing.assert_array_equal(y.numpy(), [[3, 0, 0, 0], [0, 4, 0, 3]])
    w = np.arange(8.0).reshape(2, 4)
    (y * w).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), w)
    np.testing.assert_array_equal(values.grad.numpy(), np.take_along_axis(w, idx, axis=1))


def test_pytorchs_argument_order_is_refused_with_the_translation():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"PyTorch's x\.gather\(dim, index\) is x\.take_along_axis\(index, axis=dim\)"):
        x.take_along_axis(1, np.zeros((2, 1), dtype=int))
    with pytest.raises(TypeError, match="indices must be integers"):
        x.take_along_axis(np.zeros((2, 1)), 1)


def test_masked_fill_sends_no_gradient_to_the_filled_entries():
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    y = x.masked_fill(x.numpy() < 0, 0.0)
    assert y.tolist() == [1.0, 0.0, 3.0]
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]


def test_sort_argsort_and_descending_are_stable():
    a = np.array([[3.0, 1.0, 2.0, 1.0], [0.0, 5.0, 5.0, -1.0]])
    x = Tensor(a, requires_grad=True)
    np.testing.assert_array_equal(x.sort().numpy(), np.sort(a))
    np.testing.assert_array_equal(x.argsort().numpy(), np.argsort(a, kind="stable"))
    np.testing.assert_array_equal(x.sort(axis=0).numpy(), np.sort(a, axis=0))
    np.testing.assert_array_equal(x.sort(descending=True).numpy(), -np.sort(-a))
    np.testing.assert_array_equal(x.argsort(descending=True).numpy(), [[0, 2, 1, 3], [1, 2, 0, 3]])  # ties in order
    (x.sort() * np.array([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1000, 1, 100, 10], [10, 100, 1000, 1]])


def test_topk_returns_values_and_indices():
    x = Tensor(np.array([[0.5, 3.0, -1.0, 2.0], [4.0, 0.0, 1.0, 1.5]]), requires_grad=True)
    values, indices = x.topk(2)
    assert values.tolist() == [[3.0, 2.0], [4.0, 1.5]]
    assert indices.tolist() == [[1, 3], [0, 3]]
    assert x.topk(1, largest=False).indices.tolist() == [[2], [1]]
    values.sum().backward()
    assert x.grad.tolist() == [[0, 1, 0, 1], [1, 0, 0, 1]]
    with pytest.raises(tn.ShapeError, match="topk: k=5 is out of range for axis 1 of size 4"):
        x.topk(5)


def test_ties_in_sort_are_kinks_found_even_by_the_replay():
    """The sort order is found inside the op's forward, so the checker's replay re-sorts and sees the tie."""
    for _ in range(3):
        report = gradcheck(lambda t: t.sort(), [np.array([0.3, -1.0, 0.3])])
        assert report.passed and report.kinks > 0
        report = gradcheck(lambda t: t.topk(1).values, [np.array([1.5, 0.2, 1.5])])
        assert report.passed and report.kinks > 0


def test_one_hot_like_pytorch():
    y = nn.functional.one_hot(np.array([[0, 2], [1, 0]]), 3)
    assert y.dtype == np.int64 and y.shape == (2, 2, 3)
    assert y.numpy()[0, 1].tolist() == [0, 0, 1]
    assert nn.functional.one_hot(np.array([1, 3])).shape == (2, 4)  # num_classes from the largest label
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        nn.functional.one_hot(np.array([3]), 3)
