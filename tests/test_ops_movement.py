"""Movement ops against numpy's values, and their gradients: each entry's gradient goes back where it came from."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_notes as tn
from tinygrad_notes import Tensor


@pytest.fixture(autouse=True)
def _float64():
    tn.set_default_dtype(np.float64)


A = np.arange(24.0).reshape(2, 3, 4)
M = np.arange(12.0).reshape(3, 4)

CASES = [  # (tensor method call, numpy call)
    (lambda t: t.flip(), lambda a: np.flip(a)),
    (lambda t: t.flip(axis=(0, 2)), lambda a: np.flip(a, axis=(0, 2))),
    (lambda t: t.roll(5), lambda a: np.roll(a, 5)),
    (lambda t: t.roll((1, -7), axis=(0, 2)), lambda a: np.roll(a, (1, -7), axis=(0, 2))),
    (lambda t: t.repeat(2, axis=1), lambda a: np.repeat(a, 2, axis=1)),
    (lambda t: t.repeat([1, 0, 3], axis=-2), lambda a: np.repeat(a, [1, 0, 3], axis=-2)),
    (lambda t: t.repeat(2), lambda a: np.repeat(a, 2)),
    (lambda t: t.tile((2, 1, 3)), lambda a: np.tile(a, (2, 1, 3))),
    (lambda t: t.tile((2, 1, 1, 2)), lambda a: np.tile(a, (2, 1, 1, 2))),
    (lambda t: t.tile(2), lambda a: np.tile(a, 2)),
    (lambda t: t.tril(), lambda a: np.tril(a)),
    (lambda t: t.triu(1), lambda a: np.triu(a, 1)),
    (lambda t: t.tril(-2), lambda a: np.tril(a, -2)),
    (lambda t: t.diagonal(1, 1, 2), lambda a: np.diagonal(a, 1, 1, 2)),
    (lambda t: t.diagonal(-1, 2, 0), lambda a: np.diagonal(a, -1, 2, 0)),
]


@pytest.mark.parametrize("index", range(len(CASES)))
def test_values_equal_numpys(index):
    ours, theirs = CASES[index]
    np.testing.assert_array_equal(ours(Tensor(A)).numpy(), theirs(A))


def test_diag_both_ways():
    v = np.array([1.0, 2.0, 3.0])
    for k in (0, 2, -1):
        np.testing.assert_array_equal(Tensor(v).diag(k).numpy(), np.diag(v, k))
        np.testing.assert_array_equal(Tensor(M).diag(k).numpy(), np.diag(M, k))


@pytest.mark.parametrize("index", range(len(CASES)))
def test_gradients_count_how_often_each_entry_was_used(index):
    """With the output weighted by w, d sum(w * f(x)) / dx sums w over the output positions x landed in."""
    ours, theirs = CASES[index]
    x = Tensor(A, requires_grad=True)
    w = np.random.default_rng(index).standard_normal(theirs(A).shape)
    (ours(x) * w).sum().backward()
    labels = np.arange(A.size, dtype=float).reshape(A.shape)  # each entry's own label
    picked = theirs(labels).astype(int)  # which input entry every output position holds
    expected = np.bincount(picked.ravel(), weights=w.ravel(), minlength=A.size).reshape(A.shape)
    kept = theirs(np.ones_like(A)).astype(bool)
    if not kept.all():  # tril/triu write zeros: those positions hold no entry
        expected = np.bincount(picked[kept], weights=w[kept], minlength=A.size).reshape(A.shape)
    np.testing.assert_allclose(x.grad.numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("mode", ["reflect", "symmetric", "edge", "wrap"])
def test_pad_modes_equal_numpys_and_mirrored_entries_add_their_gradients(mode):
    widths = ((1, 2), (3, 1))
    x = Tensor(M, requires_grad=True)
    y = x.pad(widths, mode=mode)
    np.testing.assert_array_equal(y.numpy(), np.pad(M, widths, mode=mode))
    y.sum().backward()
    labels = np.pad(np.arange(M.size).reshape(M.shape), widths, mode=mode)
    np.testing.assert_array_equal(x.grad.numpy(), np.bincount(labels.ravel(), minlength=M.size).reshape(M.shape))


def test_pytorchs_names_for_pad_modes_and_the_errors():
    np.testing.assert_array_equal(Tensor(M).pad(1, mode="replicate").numpy(), np.pad(M, 1, mode="edge"))
    np.testing.assert_array_equal(Tensor(M).pad(2, mode="circular").numpy(), np.pad(M, 2, mode="wrap"))
    with pytest.raises(ValueError, match="pad: mode must be one of constant, reflect.*got 'mirror'"):
        Tensor(M).pad(1, mode="mirror")
    with pytest.raises(tn.ShapeError, match="pad: mode 'wrap' cannot pad axis 0 of size 0"):
        Tensor(np.ones((0, 3))).pad(((1, 1), (0, 0)), mode="wrap")
    with pytest.raises(tn.ShapeError, match="tril: needs at least 2 dimensions"):
        Tensor(np.ones(3)).tril()
    with pytest.raises(tn.ShapeError, match="roll: 2 shift"):
        Tensor(M).roll((1, 2), axis=0)


def test_flip_is_a_view_and_repeat_with_pytorchs_meaning_is_tile():
    t = Tensor(M)
    assert np.shares_memory(t.flip(0).numpy(), M)
    np.testing.assert_array_equal(Tensor(np.array([1, 2])).tile(3).numpy(), [1, 2, 1, 2, 1, 2])  # torch's repeat(3)
    np.testing.assert_array_equal(Tensor(np.array([1, 2])).repeat(3).numpy(), [1, 1, 1, 2, 2, 2])  # numpy's
