"""Tensor construction, dtypes, metadata, operators, comparisons and the in-place rules."""

import numpy as np
import pytest

import tinygrad_notes as tn
from tinygrad_notes import Tensor, no_grad


def test_python_numbers_and_lists_become_the_default_float():
    assert Tensor(3).dtype == np.float32
    assert Tensor([[1, 2], [3, 4]]).dtype == np.float32
    assert Tensor([True, False]).dtype == np.bool_
    tn.set_default_dtype(np.float64)
    assert Tensor([1.5]).dtype == np.float64


def test_numpy_arrays_keep_their_dtype_and_share_memory():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = Tensor(a)
    assert t.dtype == np.float64 and t.shape == (2, 3) and t.ndim == 2 and t.size == 6
    assert np.shares_memory(t.data, a)
    assert Tensor(np.arange(3)).dtype == np.int64
    assert Tensor(a, dtype=np.float32).dtype == np.float32


def test_default_dtype_must_be_float():
    with pytest.raises(TypeError, match="float dtype"):
        tn.set_default_dtype(np.int32)


def test_integer_and_bool_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require grad.*int64"):
        Tensor(np.arange(3), requires_grad=True)
    with pytest.raises(TypeError, match="bool"):
        Tensor([True], requires_grad=True)
    with pytest.raises(TypeError, match="cannot make a tensor of dtype"):
        Tensor(["a", "b"])


def test_metadata_item_numpy_detach_astype():
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    assert x.is_leaf and x.grad is None and x.grad_fn is None
    y = x * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None
    assert Tensor(2.5).item() == 2.5
    with pytest.raises(ValueError, match="one-element tensor.*shape \\(1, 2\\)"):
        x.item()
    np.testing.assert_array_equal(x.numpy(), [[1.0, 2.0]])
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and np.shares_memory(d.data, y.data)
    z = x.astype(np.float64)
    assert z.dtype == np.float64 and z.requires_grad
    assert x.astype(np.float32) is x
    assert x.astype(np.int32).dtype == np.int32 and not x.astype(np.int32).requires_grad


def test_repr_is_readable():
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == "Tensor([1., 2.], dtype=float32, requires_grad=True)"
    assert repr(Tensor([1.0], requires_grad=True) * 2) == "Tensor([2.], dtype=float32, grad_fn=<mul>)"
    assert "[[1., 2.],\n        [3., 4.]]" in repr(Tensor([[1, 2], [3, 4]]))


def test_operators_and_reflected_forms_with_scalars_and_arrays():
    x = Tensor([1.0, 2.0, 4.0])
    a = np.array([2.0, 2.0, 2.0], dtype=np.float32)
    np.testing.assert_allclose((x + 1).data, [2, 3, 5])
    np.testing.assert_allclose((1 - x).data, [0, -1, -3])
    np.testing.assert_allclose((2 * x).data, [2, 4, 8])
    np.testing.assert_allclose((8 / x).data, [8, 4, 2])
    np.testing.assert_allclose((x ** 2).data, [1, 4, 16])
    np.testing.assert_allclose((2 ** x).data, [2, 4, 16])
    np.testing.assert_allclose((-x).data, [-1, -2, -4])
    np.testing.assert_allclose((a * x).data, [2, 4, 8])
    assert isinstance(a * x, Tensor) and isinstance(a - x, Tensor)
    np.testing.assert_allclose((a @ x).data, 14)
    np.testing.assert_allclose((x @ a).data, 14)


def test_comparisons_return_bool_tensors_without_graph():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [(x < 2, [1, 0, 0]), (x <= 2, [1, 1, 0]), (x > 2, [0, 0, 1]),
                             (x >= 2, [0, 1, 1]), (x == 2, [0, 1, 0]), (x != 2, [1, 0, 1])]:
        assert result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.data, np.array(expected, dtype=bool))
    assert {x: 1}[x] == 1  # hashable by identity although == is elementwise


def test_float32_stays_float32_with_python_scalars():
    x = Tensor([1.0, 2.0])
    assert (x * 0.5 + 1).dtype == np.float32
    assert (x / 3).sqrt().exp().dtype == np.float32


def test_inplace_operators_work_without_grad_and_are_refused_with_it():
    x = Tensor([1.0, 2.0])
    x += 1
    x *= 3
    np.testing.assert_allclose(x.data, [6, 9])
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"'-=' cannot be recorded.*x = x - y.*no_grad"):
        w -= 1
    with no_grad():
        w -= 1
    np.testing.assert_allclose(w.data, [0, 1])
    assert w.is_leaf and w.requires_grad


def test_inplace_shape_error_names_both_shapes():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(tn.ShapeError, match=r"'\+=': cannot write.*\(2, 3\) and \(4,\)"):
        x += np.ones(4)


def test_setitem_rules():
    x = Tensor(np.zeros(4))
    x[1:3] = 5
    x[Tensor(np.array([0]))] = Tensor(np.array([7.0]))
    np.testing.assert_allclose(x.data, [7, 5, 5, 0])
    w = Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem.*where\\(\\)/concatenate\\(\\).*no_grad"):
        w[0] = 1
    with pytest.raises(tn.ShapeError, match="setitem: cannot assign a value of shape \\(2,\\)"):
        x[0:3] = np.ones(2)


def test_len_iter_bool_float():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(x) == 2
    assert [r.tolist() for r in x] == [[1.0, 2.0], [3.0, 4.0]]
    assert float(Tensor([2.0])) == 2.0 and int(Tensor(3.0)) == 3
    assert bool(Tensor(1.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


def test_numpy_interop_asarray_and_ufuncs_defer():
    x = Tensor([1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(x), [1.0, 2.0])
    with pytest.raises(TypeError):
        np.exp(x)  # numpy does not silently drop the graph: use x.exp()


def test_creation_helpers():
    assert tn.zeros((2, 3)).shape == (2, 3) and tn.ones(4).data.sum() == 4
    assert tn.full((2,), 7.0).data.tolist() == [7.0, 7.0]
    assert tn.eye(3).data.trace() == 3
    assert tn.arange(4).dtype == np.int64  # integer arguments give integers, like numpy (issue 18)
    assert tn.arange(1, 4).tolist() == [1, 2, 3]
    assert tn.arange(0, 1, 0.5).dtype == np.float32
    a = tn.randn(3, 4, generator=np.random.default_rng(1))
    b = tn.randn((3, 4), generator=np.random.default_rng(1))
    np.testing.assert_array_equal(a.data, b.data)
    assert tn.rand(5, generator=np.random.default_rng(0), requires_grad=True).requires_grad
    z = tn.zeros_like(np.ones((2, 2), dtype=np.float64))
    assert z.dtype == np.float64 and tn.ones_like(z).data.sum() == 4


def test_copy_and_worker_shipping_keep_data_but_not_the_graph():
    import copy
    import pickle

    w = Tensor([1.0, 2.0], requires_grad=True)
    w.name = "w"
    loss = (w * w).sum()  # w is now held by a graph (weak references in its bookkeeping)
    clone = pickle.loads(pickle.dumps(w))  # what joblib does with arguments it ships to a worker
    assert clone.tolist() == [1.0, 2.0] and clone.requires_grad and clone.name == "w" and clone.is_leaf
    assert clone.data.flags.writeable  # no graph came along
    deep = copy.deepcopy(w)
    deep.data[0] = 9.0
    assert w.tolist() == [1.0, 2.0]
    loss.backward()
    np.testing.assert_allclose(w.grad.data, [2, 4])
