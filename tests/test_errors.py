"""Errors a user will meet name the op and the shapes, and say what to do: never a bare numpy traceback."""

import numpy as np
import pytest

import tinygrad_notes as tn
from tinygrad_notes import Function, ShapeError, Tensor


def ones(*shape):
    return Tensor(np.ones(shape))


def test_matmul_not_aligned():
    with pytest.raises(ShapeError, match=r"^matmul: shapes \(3, 4\) and \(5, 2\) are not aligned: 4 \(dim 1\) != 5 "
                                         r"\(dim 0\)$"):
        ones(3, 4) @ ones(5, 2)
    with pytest.raises(ShapeError, match=r"matmul: shapes \(4,\) and \(3,\) are not aligned: 4 \(dim 0\) != 3"):
        ones(4) @ ones(3)
    with pytest.raises(ShapeError, match=r"matmul: batch dimensions \(2,\) and \(3,\)"):
        ones(2, 3, 4) @ ones(3, 4, 5)
    with pytest.raises(ShapeError, match="at least one dimension; use \\* to scale"):
        ones(3) @ Tensor(2.0)


def test_broadcast_clash_names_both_shapes_and_the_axis():
    with pytest.raises(ShapeError, match=r"add: shapes \(3, 4\) and \(5,\) cannot be broadcast together: sizes 4 "
                                         r"vs 5 clash at axis -1"):
        ones(3, 4) + ones(5)
    with pytest.raises(ShapeError, match=r"mul: shapes \(2, 3, 4\) and \(5, 4\).*axis -2"):
        ones(2, 3, 4) * ones(5, 4)
    with pytest.raises(ShapeError, match=r"where: shapes"):
        tn.where(np.ones((2, 3), bool), ones(2, 3), ones(4))
    with pytest.raises(ShapeError, match=r"less: shapes \(2,\) and \(3,\)"):
        _ = ones(2) < ones(3)


def test_reshape_concatenate_and_friends():
    with pytest.raises(ShapeError, match=r"reshape: cannot reshape a tensor of shape \(3, 4\) \(12 elements\) into "
                                         r"shape \(5, -1\)"):
        ones(3, 4).reshape(5, -1)
    with pytest.raises(ShapeError, match=r"concatenate: .* except along axis 0; got shapes \(3, 4\), \(2, 5\)"):
        tn.concatenate([ones(3, 4), ones(2, 5)])
    with pytest.raises(ShapeError, match="stack: all tensors must have the same shape"):
        tn.stack([ones(2), ones(3)])
    with pytest.raises(ShapeError, match=r"broadcast_to: cannot broadcast a tensor of shape \(3,\) to \(4, 2\)"):
        ones(3).broadcast_to((4, 2))
    with pytest.raises(ShapeError, match=r"transpose: axes \(0, 2\) do not fit a tensor of shape \(3, 4\)"):
        ones(3, 4).transpose(0, 2)
    with pytest.raises(ShapeError, match=r"squeeze: axis 0 has size 3, not 1"):
        ones(3, 1).squeeze(0)
    with pytest.raises(ShapeError, match="split: axis 0 of size 5 cannot be split into 2 equal parts"):
        ones(5).split(2)
    with pytest.raises(ShapeError, match=r"pad: pad_width .* does not fit a tensor of shape \(3,\)"):
        ones(3).pad(((1, 1), (1, 1), (1, 1)))


def test_index_and_axis_errors():
    with pytest.raises(ShapeError, match=r"getitem: index 5 is out of bounds for axis 0 with size 3 \(tensor shape "
                                         r"\(3,\)"):
        ones(3)[5]
    with pytest.raises(ShapeError, match=r"sum: axis 2 is out of range for a tensor with 2 dimension\(s\); use an "
                                         r"axis in \[-2, 1\]"):
        ones(3, 4).sum(axis=2)
    with pytest.raises(ShapeError, match="mean: axis 0 is out of range for a tensor with 0 dimension.*axis=None"):
        Tensor(1.0).mean(axis=0)
    with pytest.raises(ShapeError, match="max: axis 1 is repeated"):
        ones(3, 4).max(axis=(1, -1))
    with pytest.raises(ValueError, match="var: ddof=1 leaves no degrees of freedom for 1 element"):
        ones(1).var(ddof=1)
    with pytest.raises(ValueError, match=r"^max: cannot take the max over no elements \(tensor shape \(0,\), "
                                         r"axis=None\): an empty set has no max"):
        ones(0).max()


def test_operand_type_errors_are_not_swallowed():
    with pytest.raises(TypeError, match=r"^add: the second operand is a str \('a'\); expected a Tensor, a number "):
        ones(2) + "a"


def test_a_users_function_errors_pass_through_unchanged():
    class Broken(Function):
        def forward(ctx, x):
            raise ValueError("my own message")

        def backward(ctx, grad):
            return grad

    with pytest.raises(ValueError, match="^my own message$"):
        Broken.apply(ones(2))
