"""The two ops nn defines as Functions instead of composing them, and why each is worth it.

Everything else in nn is composed from the engine's primitives. A fused op is
checked like a primitive: its backward is written with operations Tensors and
arrays share (so a recorded backward gives second derivatives) and its registry
entry gradient-checks both orders.

- `linear`: x @ W.T + b composed is three nodes (transpose, matmul, add), and
  W's gradient arrives transposed (a Fortran-ordered view), which makes every
  later elementwise pass over it (the optimizer's update) slow. Measured in
  benchmarks/nn.py: the composed form made the nn MLP step 1.4x the bare-Tensor
  one; fused, dW = g^T x is computed directly in W's own (out, in) layout. It is
  an engine `Primitive`: when no graph of the backward is wanted, its rule runs
  on plain numpy arrays, like the engine's own matmul.
- `softplus`: log(1 + exp(z)) composed stably as max(z, 0) + log(1 + exp(-|z|))
  has kinks at z = 0 (in max and |z|) that only cancel in the true function, not
  in the chain rule: the first derivative there depends on how ties are split
  (relu gives 0, not 1/2) and the second comes out 0 instead of 1/4. z = 0 is where
  a zero-initialized logistic regression starts. Fused, the forward is numpy's
  stable logaddexp(0, z) and the backward g * sigmoid(z): exact everywhere.

Both are `Primitive`s, each with its batched replay rule, like the engine's own ops.
"""

from __future__ import annotations

import numpy as np

from tinygrad_notes import Primitive, Tensor
from tinygrad_notes.batching import batch_elementwise, item_ndim, one_by_one, run_forward


def _batch_linear(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    """x @ W.T + b per copy: a batched x is a plain leading axis; batched W or b take one copy at a time."""
    x, weight, bias = (*args, None)[:3]
    if any(flags[1:]) or item_ndim(x, flags[0]) < 1:
        return one_by_one(cls, args, flags, attrs, size)
    return run_forward(cls, [x, weight] + ([bias] if bias is not None else []), attrs)


class Linear(Primitive):
    __slots__ = ()
    op_name = "linear"
    batched = classmethod(_batch_linear)

    def forward(ctx, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        y = x @ weight.T
        if bias is None:
            return y
        if np.result_type(y, bias) == y.dtype:
            y += bias  # y is a fresh array: add in place
            return y
        return y + bias

    def backward(ctx, g: Tensor) -> tuple[Tensor | None, ...]:
        # dx = g W;  dW = g^T x and db = sum of g, both summed over the leading (batch) axes
        operands = ctx.operands()  # Tensors when the backward is recorded, else their arrays
        x, weight = operands[0], operands[1]
        needs = ctx.needs_input_grad
        gx = g @ weight if needs[0] else None
        rows = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        gw = rows.T @ (x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x) if needs[1] else None
        if len(needs) == 2:
            return gx, gw
        return gx, gw, rows.sum(0) if needs[2] else None


class Softplus(Primitive):
    __slots__ = ()
    op_name = "softplus"
    batched = classmethod(batch_elementwise)

    def forward(ctx, z: np.ndarray) -> np.ndarray:
        return np.logaddexp(0, z)  # log(e^0 + e^z) without overflow

    def backward(ctx, g: Tensor) -> Tensor:  # d softplus(z)/dz = sigmoid(z)
        z = ctx.operands()[0]
        if isinstance(z, Tensor):
            return g * z.sigmoid()
        return g * np.exp(-np.logaddexp(0, -z))  # sigmoid(z) = 1 / (1 + e^-z), without overflow
