"""Sliding windows and their adjoint: the two primitives convolution and pooling are composed from.

`Windows` views the last two axes (..., H, W) as (..., kh, kw, oh, ow): entry [i, j, p, q] is
x[p * stride + i * dilation, q * stride + j * dilation], a read-only strided view (no copy). Its VJP,
`Fold`, adds every window's gradient back onto the (H, W) grid it was read from (overlapping windows add
up), in kh * kw strided additions; Fold's own VJP is Windows again. conv2d is then padding, Windows, a
reshape (the im2col copy) and one matmul; conv_transpose2d is a matmul and a Fold; pooling is a max or
a mean over the window axes (tensor_conv.py). Leading axes are carried as they are, so a batch axis in
front changes nothing (the batched replay rule).
"""

from __future__ import annotations

import numpy as np

from tinygrad_notes.batching import batch_leading_axes
from tinygrad_notes.errors import shape_of
from tinygrad_notes.primitives import Primitive
from tinygrad_notes.rules import on


def window_count(size: int, kernel: int, stride: int, dilation: int) -> int:
    """How many windows of `kernel` taps (spaced `dilation` apart) fit along an axis of `size`, `stride` apart."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


class Windows(Primitive):
    __slots__ = ()
    op_name = "windows"
    batched = classmethod(batch_leading_axes)
    is_view = True

    def forward(ctx, x, kernel, stride, dilation):
        (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
        h, w = x.shape[-2:]
        oh, ow = window_count(h, kh, sh, dh), window_count(w, kw, sw, dw)
        if oh <= 0 or ow <= 0:
            raise ValueError(f"windows: a {kh}x{kw} kernel with dilation {dilation} does not fit an input of "
                             f"size {h}x{w}")
        s = x.strides
        return np.lib.stride_tricks.as_strided(
            x, x.shape[:-2] + (kh, kw, oh, ow), s[:-2] + (s[-2] * dh, s[-1] * dw, s[-2] * sh, s[-1] * sw),
            writeable=False)

    @staticmethod
    def explain(err: Exception, arrays: list, attrs: dict) -> str:
        return (f"windows: {err} (input shape {shape_of(arrays[0])}, kernel {attrs['kernel']}, stride "
                f"{attrs['stride']}); pad the input or use a smaller kernel or dilation")

    def backward(ctx, g):  # each input entry gets the sum of the gradients of every window tap that read it
        size = ctx.inputs[0].shape[-2:]
        return on(Fold, g, size=size, kernel=ctx.attrs["kernel"], stride=ctx.attrs["stride"],
                  dilation=ctx.attrs["dilation"])


class Fold(Primitive):
    __slots__ = ()
    op_name = "fold"
    batched = classmethod(batch_leading_axes)

    def forward(ctx, cols, size, kernel, stride, dilation):
        (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
        oh, ow = cols.shape[-2:]
        out = np.zeros(cols.shape[:-4] + tuple(size), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
                out[..., rows, j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[..., i, j, :, :]
        return out

    def backward(ctx, gg):  # read the same windows back out
        return on(Windows, gg, kernel=ctx.attrs["kernel"], stride=ctx.attrs["stride"], dilation=ctx.attrs["dilation"])
