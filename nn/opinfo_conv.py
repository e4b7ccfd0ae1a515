"""Op registry entries for convolution and pooling in nn: the functional forms and the layers.

A layer's entry runs the layer with its weight and bias taken from the sample's inputs (functional_call),
so dW and db are checked along with dx. The engine's entries (gradcheck/opinfo_conv.py) cover the Tensor
methods with more variants; these check that nn passes every argument through.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from nn import functional as F
from nn.conv import AvgPool2d, Conv2d, ConvTranspose2d, MaxPool2d
from nn.module import functional_call
from tinygrad_notes import Tensor
from tinygrad_notes.gradcheck.registry import OpInfo, Sample, non_differentiable_names

Rng = np.random.Generator


def _distinct(rng: Rng, shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.3 - 0.15 * n + rng.uniform(-0.05, 0.05, n)).reshape(shape)


def _conv_samples(rng: Rng) -> Iterator[Sample]:
    yield Sample((rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)),
                 {"stride": 2, "padding": 1}, "stride 2, padding 1, bias")
    yield Sample((rng.standard_normal((1, 4, 4, 4)), rng.standard_normal((2, 2, 2, 2))),
                 {"groups": 2, "dilation": 2, "padding": 1}, "groups 2, dilation 2, no bias")


def _conv_transpose_samples(rng: Rng) -> Iterator[Sample]:
    yield Sample((rng.standard_normal((1, 2, 3, 3)), rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(3)),
                 {"stride": 2, "padding": 1, "output_padding": 1}, "stride 2, output_padding 1, bias")


def _pool_samples(rng: Rng) -> Iterator[Sample]:
    yield Sample((_distinct(rng, (2, 2, 4, 4)),), {"kernel_size": 2}, "2x2")
    yield Sample((_distinct(rng, (1, 2, 5, 5)),), {"kernel_size": 3, "stride": 2, "padding": 1}, "3x3, stride 2, pad 1")


def _conv_layer(x: Tensor, weight: Tensor, bias: Tensor | None = None, **kwargs: Any) -> Tensor:
    out_ch, in_per_group, kh, kw = weight.shape
    groups = kwargs.get("groups", 1)
    layer = Conv2d(in_per_group * groups, out_ch, (kh, kw), bias=bias is not None, dtype=np.float64, **kwargs)
    params = {"weight": weight} if bias is None else {"weight": weight, "bias": bias}
    return functional_call(layer, params, x)


def _conv_transpose_layer(x: Tensor, weight: Tensor, bias: Tensor | None = None, **kwargs: Any) -> Tensor:
    in_ch, out_per_group, kh, kw = weight.shape
    groups = kwargs.get("groups", 1)
    layer = ConvTranspose2d(in_ch, out_per_group * groups, (kh, kw), bias=bias is not None, dtype=np.float64,
                            **kwargs)
    params = {"weight": weight} if bias is None else {"weight": weight, "bias": bias}
    return functional_call(layer, params, x)


_F = "nn.functional."
ENTRIES: list[OpInfo] = [  # read by the registry: this module is one of its PROVIDERS
    OpInfo(_F + "conv2d", lambda x, w, b=None, **kw: F.conv2d(x, w, b, **kw), _conv_samples),
    OpInfo(_F + "conv_transpose2d", lambda x, w, b=None, **kw: F.conv_transpose2d(x, w, b, **kw),
           _conv_transpose_samples),
    OpInfo(_F + "max_pool2d", lambda x, **kw: F.max_pool2d(x, **kw), _pool_samples, notes="distinct values: no ties"),
    OpInfo(_F + "avg_pool2d", lambda x, **kw: F.avg_pool2d(x, **kw), _pool_samples),
    OpInfo("nn.Conv2d", _conv_layer, _conv_samples, notes="differentiates x, weight and bias"),
    OpInfo("nn.ConvTranspose2d", _conv_transpose_layer, _conv_transpose_samples,
           notes="differentiates x, weight and bias"),
    OpInfo("nn.MaxPool2d", lambda x, **kw: MaxPool2d(**kw)(x), _pool_samples),
    OpInfo("nn.AvgPool2d", lambda x, **kw: AvgPool2d(**kw)(x), _pool_samples),
]
NON_DIFFERENTIABLE: dict[str, str] = {
    **non_differentiable_names("returns integer one-hot rows of integer labels", _F + "one_hot"),
}
