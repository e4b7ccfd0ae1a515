"""Tensor's 2-D convolution and pooling, composed from primitives: a family of methods Tensor takes (tensor.py).

conv2d is im2col and one matmul: pad, take the sliding windows as a strided view (primitives_conv.Windows,
no copy), lay them out as columns (N, C * kh * kw, oh * ow) (the one copy, in the windows' own order, so
it streams), and multiply the weight as an (O, C * kh * kw) matrix by each image's columns: the result is
already (N, O, oh * ow), with no transpose on the way in or out. Its gradient is that composition's:
the matmul's two products and the windows' adjoint (Fold, overlapping windows add up). conv_transpose2d
runs the same pieces the other way (a matmul, then Fold), which makes it exactly the gradient of conv2d
with respect to its input. max_pool2d and avg_pool2d reduce the window axes with max and mean. Shapes
follow PyTorch: input (N, C, H, W) (or (C, H, W)), weight (O, C / groups, kh, kw), and conv_transpose2d's
weight (C, O / groups, kh, kw).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes import primitives_conv as W
from tinygrad_notes.errors import ShapeError
from tinygrad_notes.tensor import Tensor


def pair(value: Any, name: str, op: str, minimum: int = 0) -> tuple[int, int]:
    """An int or a pair of ints as (height, width), each at least `minimum`."""
    pair_ = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair_) != 2 or not all(isinstance(v, (int, np.integer)) and v >= minimum for v in pair_):
        raise ValueError(f"{op}: {name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return int(pair_[0]), int(pair_[1])


def _batched(x: Tensor, op: str) -> tuple[Tensor, bool]:
    """(x as (N, C, H, W), whether a batch axis was added to a (C, H, W) input)."""
    if x.ndim == 4:
        return x, False
    if x.ndim == 3:
        return x.unsqueeze(0), True
    raise ShapeError(f"{op}: expected an input of shape (N, C, H, W) or (C, H, W), got {x.shape}")


def _padded(x: Tensor, padding: tuple[int, int], value: float = 0.0) -> Tensor:
    ph, pw = padding
    return x.pad(((0, 0), (0, 0), (ph, ph), (pw, pw)), value) if ph or pw else x


def _as_tensor(v: Any) -> Tensor:
    return v if isinstance(v, Tensor) else Tensor(v)


def _same_padding(kernel: tuple[int, int], dilation: tuple[int, int], stride: tuple[int, int], op: str) -> tuple:
    if stride != (1, 1):
        raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    if any(t % 2 for t in total):
        raise ValueError(f"{op}: padding='same' needs an even total padding (dilation * (kernel - 1)), got {total}; "
                         "pad the input yourself with x.pad(...)")
    return total[0] // 2, total[1] // 2


class ConvOps:
    """conv2d, conv_transpose2d, max_pool2d, avg_pool2d (tensor.py makes them methods of Tensor)."""

    def conv2d(self: Tensor, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
               groups: int = 1) -> Tensor:
        """2-D cross-correlation (PyTorch's conv2d): weight (O, C / groups, kh, kw), bias (O,).

        padding is an int, a pair, "valid" (0) or "same" (stride 1); the output is (N, O, oh, ow) with
        oh = (H + 2 ph - dilation (kh - 1) - 1) // stride + 1.
        """
        x, unbatched = _batched(self, "conv2d")
        weight = _as_tensor(weight)
        n, c, h, w = x.shape
        if weight.ndim != 4:
            raise ShapeError(f"conv2d: weight must have shape (out_channels, in_channels / groups, kh, kw), "
                             f"got {weight.shape}")
        o, cg, kh, kw = weight.shape
        if not isinstance(groups, (int, np.integer)) or groups < 1 or c % groups or o % groups or cg * groups != c:
            raise ShapeError(f"conv2d: an input with {c} channels and a weight of shape {weight.shape} do not fit "
                             f"groups={groups}: the weight's second axis must be in_channels / groups = {c} / "
                             f"{groups}, and out_channels ({o}) a multiple of groups")
        stride, dilation = pair(stride, "stride", "conv2d", 1), pair(dilation, "dilation", "conv2d", 1)
        if padding == "valid":
            padding = 0
        pad = _same_padding((kh, kw), dilation, stride, "conv2d") if padding == "same" else \
            pair(padding, "padding", "conv2d")
        windows = W.Windows.apply(_padded(x, pad), kernel=(kh, kw), stride=stride, dilation=dilation)
        oh, ow = windows.shape[-2:]
        g, og = groups, o // groups
        columns = windows.reshape(n, g, cg * kh * kw, oh * ow)  # im2col: the one copy, in the windows' own order
        out = (weight.reshape(g, og, cg * kh * kw) @ columns).reshape(n, o, oh, ow)  # per image and group
        if bias is not None:
            out = out + _as_tensor(bias).reshape(o, 1, 1)
        return out.squeeze(0) if unbatched else out

    def conv_transpose2d(self: Tensor, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                         output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
        """The transpose of conv2d (PyTorch's conv_transpose2d): weight (C, O / groups, kh, kw), bias (O,).

        The output is (N, O, H', W') with H' = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1:
        conv2d's gradient with respect to its input, given the same stride, padding and dilation.
        """
        x, unbatched = _batched(self, "conv_transpose2d")
        weight = _as_tensor(weight)
        n, c, h, w = x.shape
        if weight.ndim != 4 or weight.shape[0] != c or not isinstance(groups, (int, np.integer)) or groups < 1 \
                or c % groups:
            raise ShapeError(f"conv_transpose2d: an input with {c} channels needs a weight of shape (in_channels = "
                             f"{c}, out_channels / groups, kh, kw) with in_channels a multiple of groups={groups}, "
                             f"got {weight.shape}")
        _, og, kh, kw = weight.shape
        g, cg, o = groups, c // groups, weight.shape[1] * groups
        stride = pair(stride, "stride", "conv_transpose2d", 1)
        dilation = pair(dilation, "dilation", "conv_transpose2d", 1)
        (ph, pw), (oph, opw) = pair(padding, "padding", "conv_transpose2d"), \
            pair(output_padding, "output_padding", "conv_transpose2d")
        if oph >= max(stride[0], dilation[0]) or opw >= max(stride[1], dilation[1]):
            raise ValueError(f"conv_transpose2d: output_padding {(oph, opw)} must be smaller than stride {stride} "
                             f"or dilation {dilation}")
        full = ((h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + oph,
                (w - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + opw)
        if full[0] - 2 * ph <= 0 or full[1] - 2 * pw <= 0:
            raise ShapeError(f"conv_transpose2d: padding {(ph, pw)} leaves no output for an input of size {h}x{w}")
        rows = weight.reshape(g, cg, og * kh * kw).swapaxes(1, 2)  # (g, og kh kw, cg)
        cols = (rows @ x.reshape(n, g, cg, h * w)).reshape(n, o, kh, kw, h, w)  # per image and group
        out = W.Fold.apply(cols, size=full, kernel=(kh, kw), stride=stride, dilation=dilation)
        if ph or pw:
            out = out[..., ph:full[0] - ph, pw:full[1] - pw]
        if bias is not None:
            out = out + _as_tensor(bias).reshape(o, 1, 1)
        return out.squeeze(0) if unbatched else out

    def _pool_windows(self: Tensor, op: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                      fill: float) -> tuple[Tensor, bool, tuple[int, int], tuple[int, int]]:
        """(windows of the padded input, whether a batch axis was added, padding, stride)."""
        x, unbatched = _batched(self, op)
        kernel = pair(kernel_size, "kernel_size", op, 1)
        stride = kernel if stride is None else pair(stride, "stride", op, 1)
        pad = pair(padding, "padding", op)
        if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
            raise ValueError(f"{op}: padding {pad} must be at most half the kernel size {kernel}")
        windows = W.Windows.apply(_padded(x, pad, fill), kernel=kernel, stride=stride,
                                  dilation=pair(dilation, "dilation", op, 1))
        return windows, unbatched, pad, stride

    def max_pool2d(self: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1) -> Tensor:
        """The max of each kernel_size window (stride defaults to the kernel size; padding counts as -inf).

        At ties inside a window the gradient is split evenly among the maxima (PyTorch gives it all to one).
        """
        if self.dtype.kind != "f":
            raise TypeError(f"max_pool2d: needs a float tensor, got {self.dtype}")
        windows, unbatched, _, _ = self._pool_windows("max_pool2d", kernel_size, stride, padding, dilation, -np.inf)
        out = windows.max(axis=(2, 3))
        return out.squeeze(0) if unbatched else out

    def avg_pool2d(self: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                   count_include_pad: bool = True) -> Tensor:
        """The mean of each kernel_size window (stride defaults to the kernel size).

        With padding, count_include_pad=True divides by the full window size (PyTorch's default);
        False divides by the number of real entries in each window.
        """
        windows, unbatched, pad, step = self._pool_windows("avg_pool2d", kernel_size, stride, padding, 1, 0.0)
        if count_include_pad or pad == (0, 0):
            out = windows.mean(axis=(2, 3))
        else:  # the same windows over ones padded with zeros count the real entries of each
            ones = np.pad(np.ones(self.shape[-2:], dtype=self.dtype), [pad, pad])
            counts = W.Windows.forward(None, ones, kernel=windows.shape[2:4], stride=step, dilation=(1, 1))
            out = windows.sum(axis=(2, 3)) / counts.sum(axis=(0, 1))
        return out.squeeze(0) if unbatched else out
