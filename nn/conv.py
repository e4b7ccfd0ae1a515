"""Convolution and pooling layers: Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d (PyTorch's arguments).

Conv2d's weight (out_channels, in_channels / groups, kh, kw) starts from He initialization by default:
N(0, 2 / fan_in) with fan_in = in_channels / groups * kh * kw, the inputs each output sums over (the
notes' choice for ReLU networks, counted over the receptive field, as nn.init.fan_in_and_fan_out does
for any weight of this layout). The bias starts at 0, as in nn.Linear.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nn import conv_functions as F
from nn.init import get_initializer
from nn.module import Module
from nn.parameter import Parameter
from tinygrad_notes import Tensor, get_default_dtype
from tinygrad_notes.tensor_conv import pair


def _positive(value: Any, name: str, layer: str) -> int:
    if not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive int, got {value!r}")
    return int(value)


class _ConvNd(Module):
    """What Conv2d and ConvTranspose2d share: the checks, the parameters, their initialization."""

    def __init__(self, layer: str, in_channels: int, out_channels: int, kernel_size: Any, weight_axes: tuple,
                 groups: int, bias: bool, init: str | Callable[..., Any], generator: np.random.Generator | None,
                 dtype: Any) -> None:
        super().__init__()
        self.in_channels = _positive(in_channels, "in_channels", layer)
        self.out_channels = _positive(out_channels, "out_channels", layer)
        self.groups = _positive(groups, "groups", layer)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"{layer}: in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                             f"multiples of groups ({groups})")
        self.kernel_size = pair(kernel_size, "kernel_size", layer, 1)
        dt = get_default_dtype() if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty(weight_axes + self.kernel_size, dtype=dt))
        get_initializer(init)(self.weight, generator=generator)
        self.bias = Parameter(np.zeros(self.out_channels, dtype=dt)) if bias else None


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) inputs: weight (out_channels, in_channels / groups, kh, kw), bias (out,).

    `init` picks the weight initializer (default "he": Var = 2 / fan_in), by name or as a function, as in
    nn.Linear; `generator` seeds it.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, init: str | Callable[..., Any] = "he",
                 generator: np.random.Generator | None = None, dtype: Any = None) -> None:
        axes = (out_channels, in_channels // groups if isinstance(groups, int) and groups > 0 else in_channels)
        super().__init__("Conv2d", in_channels, out_channels, kernel_size, axes, groups, bias, init, generator, dtype)
        self.stride, self.dilation = pair(stride, "stride", "Conv2d", 1), pair(dilation, "dilation", "Conv2d", 1)
        self.padding = padding if padding in ("same", "valid") else pair(padding, "padding", "Conv2d")

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, bias={self.bias is not None}")


class ConvTranspose2d(_ConvNd):
    """The transpose of Conv2d (upsampling): weight (in_channels, out_channels / groups, kh, kw), bias (out,)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 init: str | Callable[..., Any] = "he", generator: np.random.Generator | None = None,
                 dtype: Any = None) -> None:
        axes = (in_channels, out_channels // groups if isinstance(groups, int) and groups > 0 else out_channels)
        super().__init__("ConvTranspose2d", in_channels, out_channels, kernel_size, axes, groups, bias, init,
                         generator, dtype)
        self.stride = pair(stride, "stride", "ConvTranspose2d", 1)
        self.padding = pair(padding, "padding", "ConvTranspose2d")
        self.output_padding = pair(output_padding, "output_padding", "ConvTranspose2d")
        self.dilation = pair(dilation, "dilation", "ConvTranspose2d", 1)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.groups, self.dilation)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, output_padding={self.output_padding}, groups={self.groups}")


class MaxPool2d(Module):
    """The max of each kernel_size window; stride defaults to kernel_size."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """The mean of each kernel_size window; stride defaults to kernel_size."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad = count_include_pad

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
