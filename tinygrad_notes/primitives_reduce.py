"""Reduction and cumulative primitives beyond sum/mean/max: min, cumsum, cumprod and the vector 2-norm.

Each is one class (forward in numpy, backward written with what Tensor and ndarray share, a formula
comment beside it, its batched replay rule). `prod` is composed: the last entry of `cumprod`, whose rule
handles zeros; `cummax`/`cummin` are composed from `take_along_axis` (tensor_reduce.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes.batching import batch_along_axis, batch_reduction
from tinygrad_notes.errors import normalize_axes
from tinygrad_notes.primitives import Max, Pad, Primitive, _keepdims_shape
from tinygrad_notes.rules import choose, data, move_back, move_to_end, on, reverse


class Min(Max):
    """The smallest entry, computed directly (-max(-x) overflows integers: -(-2**31) wraps; and refuses bools)."""

    __slots__ = ()
    op_name = "min"
    extreme = staticmethod(np.min)  # Max's forward, with the smallest entry

    def backward(ctx, g):  # 1 to the minimum; k tied minima get 1/k each (Max's rule: ctx.top is the minimum)
        return Max.backward(ctx, g)


class CumSum(Primitive):
    __slots__ = ()
    op_name = "cumsum"
    batched = classmethod(batch_along_axis)

    def forward(ctx, x, axis=0):
        return np.cumsum(x, axis=axis)

    def backward(ctx, g):  # d cumsum/dx: x_i reaches every y_k with k >= i, so gx = reverse cumsum of g
        axis = ctx.attrs.get("axis", 0)
        return reverse(on(CumSum, reverse(g, axis), axis=axis), axis)


class CumProd(Primitive):
    """Running products along `axis`; the backward rule is exact at zeros (the inputs' and the gradient's)."""

    __slots__ = ()
    op_name = "cumprod"
    batched = classmethod(batch_along_axis)
    saves_output = True

    def forward(ctx, x, axis=0):
        return np.cumprod(x, axis=axis)

    def backward(ctx, g):  # gx_i = sum_{k>=i} g_k prod_{j<=k, j!=i} x_j (= revcumsum(g y)_i / x_i without zeros)
        (x,) = ctx.operands()
        axis = ctx.attrs.get("axis", 0) % x.ndim
        if np.all(data(x) != 0):
            y = ctx.output()
            return reverse(on(CumSum, reverse(g * y, axis), axis=axis), axis) / x
        return _cumprod_grad_with_zeros(x, g, axis)


def _cumprod_grad_with_zeros(x: Any, g: Any, axis: int) -> Any:
    """cumprod's VJP without dividing by x: prod_{j<=k, j!=i} x_j = prod_{j<i} x_j * prod_{i<j<=k} x_j.

    For every pair i <= k along the axis (n^2 of them: only inputs with zeros take this path), the
    products over i < j <= k are a cumprod of x with the entries j <= i replaced by 1. Written in the
    ops Tensor and ndarray share, so its own gradient (second order) is exact at zeros too.
    """
    moved_x = move_to_end(x, axis)
    moved_g = move_to_end(g, axis)
    n = moved_x.shape[-1]
    after = np.arange(n)[:, None] < np.arange(n)[None, :]  # after[i, j]: j > i
    rows = moved_x.reshape(moved_x.shape[:-1] + (1, n))  # (..., 1, n) against (n, n)
    ones_before = choose(after, rows, 1.0)  # (..., i, j): x_j for j > i, else 1
    between = on(CumProd, ones_before, axis=-1)  # (..., i, k): prod_{i<j<=k} x_j (k < i gives 1: masked below)
    reach = ~(np.arange(n)[:, None] > np.arange(n)[None, :])  # k >= i
    inner = (choose(reach, between, 0.0) * moved_g.reshape(moved_g.shape[:-1] + (1, n))).sum(-1)  # (..., i)
    widths = [(0, 0)] * (moved_x.ndim - 1) + [(1, 0)]
    before = on(CumProd, on(Pad, moved_x[..., :-1], pad_width=widths, constant_values=1), axis=-1)  # prod_{j<i} x_j
    return move_back(before * inner, axis)


class VectorNorm(Primitive):
    """sqrt(sum x^2) over `axis`, one op so that its gradient at the zero vector is 0 (PyTorch's subgradient)."""

    __slots__ = ("axes",)
    op_name = "norm"
    batched = classmethod(batch_reduction)
    saves_output = True

    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axes = normalize_axes("norm", axis, np.ndim(x))
        return np.sqrt(np.sum(x * x, axis=ctx.axes, keepdims=keepdims))

    def backward(ctx, g):  # d ||x||/dx = x / ||x||, and 0 at x = 0 (a kink: any subgradient in the unit ball)
        (x,) = ctx.operands()
        shape = _keepdims_shape(x.shape, ctx.axes)
        n = ctx.output().reshape(shape)
        positive = data(n) > 0
        safe = choose(positive, n, 1.0)
        return choose(positive, x / safe, 0.0) * g.reshape(shape)
