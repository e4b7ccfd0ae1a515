"""Convolution and pooling with PyTorch's functional signatures (nn.functional re-exports them), and one_hot.

Each is the Tensor method of the same name (tinygrad_notes/tensor_conv.py: im2col through strided
windows and one matmul), so the layers in nn/conv.py and a user's own code run the same op.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes import Tensor

__all__ = ["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "one_hot"]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) of (N, C, H, W) with weight (O, C / groups, kh, kw): Tensor.conv2d."""
    return _tensor(input).conv2d(weight, bias, stride, padding, dilation, groups)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """The transpose of conv2d, weight (C, O / groups, kh, kw): Tensor.conv_transpose2d."""
    return _tensor(input).conv_transpose2d(weight, bias, stride, padding, output_padding, groups, dilation)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1) -> Tensor:
    """The max of each window (stride defaults to kernel_size): Tensor.max_pool2d."""
    return _tensor(input).max_pool2d(kernel_size, stride, padding, dilation)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               count_include_pad: bool = True) -> Tensor:
    """The mean of each window (stride defaults to kernel_size): Tensor.avg_pool2d."""
    return _tensor(input).avg_pool2d(kernel_size, stride, padding, count_include_pad)


def one_hot(labels: Any, num_classes: int = -1) -> Tensor:
    """Class indices (any shape) as one-hot rows along a new last axis, int64 like PyTorch's (not differentiable).

    num_classes=-1 takes the largest label + 1. Use .astype(np.float32) for float targets.
    """
    y = np.asarray(labels.numpy() if isinstance(labels, Tensor) else labels)
    if y.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {y.dtype}")
    n = int(y.max()) + 1 if num_classes == -1 and y.size else num_classes
    if num_classes == -1 and not y.size:
        raise ValueError("one_hot: num_classes=-1 needs at least one label to infer the count from")
    if y.size and (y.min() < 0 or y.max() >= n):
        raise ValueError(f"one_hot: labels must be in [0, {n}), got values from {y.min()} to {y.max()}")
    return Tensor(np.eye(n, dtype=np.int64)[y])
