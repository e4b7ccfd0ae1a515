"""In-place changes never silently corrupt a gradient: write stamps make backward refuse, live graphs refuse raw writes.

The rule (documented in tinygrad_notes/tensor.py and README): every write made through the library
(`t[...] = v`, `+=` and friends, `t.data = a`, `t.inplace_data()`) stamps the tensor, and backward
refuses to go through an op whose input or saved output was written after the op ran. Raw numpy
writes into `t.data` are refused outright while a graph that has not run backward holds the tensor.
"""

import numpy as np
import pytest

import tinygrad_notes as tn
from tinygrad_notes import Tensor, no_grad


def test_setitem_on_a_saved_input_makes_backward_refuse_naming_the_op():
    x = Tensor([1.0, 2.0], requires_grad=True)
    a = Tensor([3.0, 4.0])
    loss = (x * a).sum()
    a[0] = 10.0
    with pytest.raises(RuntimeError, match=r"backward of mul: input 1 \(shape \(2,\)\) was modified in place"):
        loss.backward()


def test_inplace_operator_on_a_parameter_after_forward_is_caught():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w.tanh() * w).sum()
    with no_grad():
        w -= 0.1  # an optimizer step before backward
    with pytest.raises(RuntimeError, match="modified in place after the op used it"):
        loss.backward()


def test_assigning_data_counts_as_a_write():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    x.data = np.array([5.0, 5.0])
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_a_saved_output_modified_in_place_is_caught():
    x = Tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()  # exp's backward reuses its output
    with no_grad():
        y *= 0
    with pytest.raises(RuntimeError, match="backward of exp: its output .* was modified in place"):
        y.backward(np.ones(2))
    z = x.exp()
    loss = (z * 2).sum()
    with no_grad():
        z *= 0
    with pytest.raises(RuntimeError, match="backward of mul: input 0 .* was modified in place"):
        loss.backward()  # a consumer of the output notices first


def test_views_share_the_stamp_with_their_base():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = x.reshape(3, 1)
    loss = (v * v).sum()
    with no_grad():
        x[0] = 7.0  # changes v's memory too
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_detach_shares_the_stamp():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    d = x.detach()
    d += 1
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_writes_before_the_op_or_after_backward_are_fine():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        x += 1
    loss = (x * x).sum()
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [4, 6])
    with no_grad():
        x -= 1  # after backward: nothing left to corrupt
    np.testing.assert_allclose(x.data, [1, 2])


def test_raw_writes_into_data_are_refused_while_a_graph_holds_the_tensor():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    assert not w.data.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        w.data[0] = 5.0
    h = w * 3
    with pytest.raises(ValueError, match="read-only"):
        h.data[:] = 0.0
    loss.backward()
    assert not w.data.flags.writeable  # h's graph, never backpropagated, still holds w
    del h
    assert w.data.flags.writeable  # free again once every graph holding it is gone or has run backward
    w.data[0] = 5.0
    assert w.tolist() == [5.0, 2.0]


def test_optimizer_style_update_through_inplace_data():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w.inplace_data()[...] -= 0.5 * w.grad.data
    np.testing.assert_allclose(w.data, [0.0, 0.0])


def test_detect_anomaly_names_the_op_and_where_it_was_created():
    x = Tensor([1.0, -1.0], requires_grad=True)
    with tn.detect_anomaly(), np.errstate(invalid="ignore"), pytest.raises(FloatingPointError) as err:
        x.log()  # the line that makes the NaN
    message = str(err.value)
    assert "forward of log produced NaN" in message and "test_inplace.py" in message and "x.log()" in message


def test_detect_anomaly_in_backward():
    x = Tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt()  # fine forward, infinite slope at 0
    with tn.detect_anomaly(), np.errstate(divide="ignore"), pytest.raises(FloatingPointError) as err:
        y.sum().backward()
    assert "backward of sqrt produced Inf" in str(err.value)


def test_without_anomaly_mode_nan_flows_silently_like_numpy():
    x = Tensor([-1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        assert np.isnan(x.log().item())


def test_a_leaf_read_by_many_live_ops_stays_read_only_until_the_last_one_is_gone():
    """Past a few readers the list of graphs holding a leaf is cleaned up only as it doubles (recording
    y = y + x[i] for 100,000 i used to scan the whole list at every op); the answer stays the same."""
    w = Tensor(np.ones(3), requires_grad=True)
    first = [w * i for i in range(100)]
    keep = first[37]
    del first
    second = [w + i for i in range(300)]  # enough new readers to clean the list up more than once
    del second
    assert not w.data.flags.writeable  # `keep` still holds w
    keep.sum().backward()
    assert w.data.flags.writeable
    np.testing.assert_array_equal(w.grad.numpy(), [37.0, 37.0, 37.0])
