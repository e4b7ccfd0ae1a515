"""The silent traps issue 18 found: Tensor([p, 2p]) cutting the graph, transpose(0, 1), in-place ops on tensors
in the graph."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_notes as tn
from tinygrad_notes import Tensor, no_grad


@pytest.fixture(autouse=True)
def _float64():
    tn.set_default_dtype(np.float64)


# ---- Tensor([p, 2 * p]) ------------------------------------------------------------------------------
def test_a_list_of_tensors_that_require_grad_is_refused_with_stack_named():
    p = Tensor(2.0, requires_grad=True)
    with pytest.raises(TypeError, match=r"requires grad.*cut it from the graph.*tinygrad_notes\.stack"):
        Tensor([p, 2 * p])
    with pytest.raises(TypeError, match="stack"):
        Tensor([[1.0, p], [0.0, 3.0]])  # nested


def test_stack_keeps_the_graph_that_the_list_would_cut():
    p = Tensor(2.0, requires_grad=True)
    tn.stack([p, 2 * p]).sum().backward()
    assert p.grad.item() == 3.0


def test_lists_without_graph_tensors_still_work():
    p = Tensor(2.0, requires_grad=True)
    assert Tensor([p.detach(), Tensor(3.0)]).tolist() == [2.0, 3.0]
    with no_grad():
        assert Tensor([p, 2 * p]).tolist() == [2.0, 4.0]  # nothing is recorded there anyway
    assert Tensor([[1, 2], [3, 4]]).shape == (2, 2)


# ---- transpose keeps numpy's meaning -------------------------------------------------------------------
def test_transpose_permutes_all_axes_and_swapaxes_swaps_two():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.transpose(0, 1).numpy(), x.numpy())  # the identity permutation, as numpy
    np.testing.assert_array_equal(x.swapaxes(0, 1).numpy(), x.numpy().T)
    y = Tensor(np.zeros((2, 3, 4)))
    with pytest.raises(tn.ShapeError, match=r"transpose: axes \(0, 1\).*swapaxes\(a, b\)"):
        y.transpose(0, 1)
    assert y.swapaxes(0, 1).shape == (3, 2, 4)
    assert "swapaxes" in Tensor.transpose.__doc__


# ---- in-place arithmetic on intermediates is recorded --------------------------------------------------
def test_micrograds_more_ops_test_with_in_place_updates():
    """micrograd's test_more_ops; its reference values come from PyTorch (and match the out-of-place version)."""

    def run(inplace: bool) -> tuple[float, float, float]:
        a, b = Tensor(-4.0, requires_grad=True), Tensor(2.0, requires_grad=True)
        c = a + b
        d = a * b + b**3
        if inplace:
            c += c + 1
            c += 1 + c + (-a)
            d += d * 2 + (b + a).relu()
            d += 3 * d + (b - a).relu()
        else:
            c = c + (c + 1)
            c = c + (1 + c + (-a))
            d = d + (d * 2 + (b + a).relu())
            d = d + (3 * d + (b - a).relu())
        e = c - d
        f = e**2
        g = f / 2.0
        g += 10.0 / f
        g.backward()
        return g.item(), a.grad.item(), b.grad.item()

    assert run(True) == pytest.approx((24.70408163265306, 138.83381924198252, 645.5772594752186), rel=1e-12)
    assert run(True) == pytest.approx(run(False), rel=1e-14)


def test_in_place_rebinds_the_graph_and_writes_the_memory():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 3
    same = h
    h += 1
    assert h is same and h.grad_fn is not None and type(h.grad_fn).op_name == "add"
    np.testing.assert_array_equal(same.numpy(), [4.0, 7.0])
    (h * h).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (3 * x.numpy() + 1) * 3)


def test_ops_recorded_before_the_write_keep_the_old_value():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    w = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    h = x * 1
    squared = h * h  # saved h = x: its gradient needs the old value
    h *= w  # the in-place op itself needs the old h for w's gradient
    (h.sum() + squared.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), w.numpy() + 2 * x.numpy())
    np.testing.assert_allclose(w.grad.numpy(), x.numpy())


def test_a_saved_output_of_the_old_node_is_kept():
    x = Tensor(np.array([0.5, 1.0]), requires_grad=True)
    h = x.exp()  # exp's backward reads its output
    h += 1
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.numpy()))


def test_in_place_with_a_tensor_that_requires_grad_on_a_plain_tensor():
    w = Tensor(np.array([1.5, -2.0]), requires_grad=True)
    total = Tensor(np.zeros(2))
    for k in range(3):
        total += w * k  # total becomes part of the graph
    assert not total.is_leaf
    total.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0])


def test_leaves_that_require_grad_still_refuse():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"'\+=' cannot be recorded on a leaf tensor that requires grad"):
        w += 1
    with no_grad():
        w -= 1  # an optimizer step
    np.testing.assert_array_equal(w.numpy(), [0.0, 1.0])


def test_views_and_tensors_with_views_refuse_naming_the_fix():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    h = x * 2
    row = h[0]
    with pytest.raises(RuntimeError, match=r"on a view \(getitem of another tensor.*x = x \+ y"):
        row += 1
    with pytest.raises(RuntimeError, match=r"shares its memory with views.*x = x \* y"):
        h *= 2
    del row
    h *= 2  # the view is gone: nothing else sees the memory now
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 4.0))


def test_a_detached_copy_shares_the_memory_so_the_write_is_refused_and_its_saved_value_stays_right():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 1
    w = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    d = h.detach()  # shares h's memory and version
    y = (d * w).sum()  # saves d
    with pytest.raises(RuntimeError, match="shares its memory"):
        h += 1
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])


def test_in_place_shape_errors_name_both_shapes():
    h = Tensor(np.ones(3), requires_grad=True) * 1
    with pytest.raises(tn.ShapeError, match=r"'\+=': the result of shapes \(3,\) and \(2, 3\) has shape \(2, 3\)"):
        h += Tensor(np.ones((2, 3)), requires_grad=True)


def test_graph_pictures_and_the_checker_see_the_recorded_graph():
    from tinygrad_notes import gradcheck, inputs_of

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 2
    before = h + 1  # recorded before the write
    h += x
    inputs = inputs_of(before.grad_fn)
    assert inputs[0].node is not None and type(inputs[0].node).op_name == "mul"  # the old h, made by mul

    def f(a):
        g = a * 2
        kept = g * g
        g += a
        g *= a
        return g.sum() + kept.sum()

    assert gradcheck(f, [np.array([0.5, -1.5, 2.0])]).passed
