"""Registry entries for conv2d, conv_transpose2d, max_pool2d and avg_pool2d (tensor_conv.py).

Each sample differentiates the input, the weight and the bias together. Samples cover stride, padding
(including "same"), dilation, groups, rectangular kernels, an unbatched (C, H, W) input and output_padding.
Pooling samples use distinct values, so no window has a tied maximum (the split gradient at a tie is
the two-sided difference, but no second derivative exists there: tests/test_conv.py checks ties).
Sizes stay small: the full check compares every Jacobian entry.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tinygrad_notes.gradcheck.opinfo import _distinct, _normal
from tinygrad_notes.gradcheck.registry import OpInfo, Sample

Gen = np.random.Generator


def _conv_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_normal(rng, (2, 2, 5, 5)), _normal(rng, (3, 2, 3, 3)), _normal(rng, (3,))), {},
                 "3x3, no padding, bias")
    yield Sample((_normal(rng, (1, 2, 6, 5)), _normal(rng, (2, 2, 3, 2))), {"stride": 2, "padding": 1},
                 "stride 2, padding 1, a 3x2 kernel")
    yield Sample((_normal(rng, (1, 1, 7, 7)), _normal(rng, (2, 1, 3, 3))), {"dilation": 2, "padding": (2, 1)},
                 "dilation 2, padding (2, 1)")
    yield Sample((_normal(rng, (2, 4, 4, 4)), _normal(rng, (4, 2, 2, 2)), _normal(rng, (4,))), {"groups": 2},
                 "groups 2")
    yield Sample((_normal(rng, (2, 4, 4)), _normal(rng, (2, 2, 3, 3))), {"padding": "same"},
                 "an unbatched (C, H, W) input, padding='same'")


def _conv_transpose_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_normal(rng, (2, 2, 3, 3)), _normal(rng, (2, 3, 3, 3)), _normal(rng, (3,))), {}, "stride 1, bias")
    yield Sample((_normal(rng, (1, 2, 3, 2)), _normal(rng, (2, 2, 3, 3))),
                 {"stride": 2, "padding": 1, "output_padding": 1}, "stride 2, padding 1, output_padding 1")
    yield Sample((_normal(rng, (1, 4, 2, 2)), _normal(rng, (4, 1, 2, 2))), {"groups": 2, "dilation": 2},
                 "groups 2, dilation 2")


def _max_pool_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_distinct(rng, (2, 2, 4, 4)),), {"kernel_size": 2}, "2x2 windows, stride 2")
    yield Sample((_distinct(rng, (1, 2, 5, 5)),), {"kernel_size": 3, "stride": 2, "padding": 1},
                 "3x3, stride 2, padding 1 (counts as -inf)")
    yield Sample((_distinct(rng, (1, 1, 5, 6)),), {"kernel_size": (2, 3), "stride": 1, "dilation": 2},
                 "a 2x3 kernel, dilation 2, overlapping windows")
    yield Sample((_distinct(rng, (2, 4, 4)),), {"kernel_size": 2}, "unbatched")


def _avg_pool_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_normal(rng, (2, 2, 4, 4)),), {"kernel_size": 2}, "2x2, stride 2")
    yield Sample((_normal(rng, (1, 2, 5, 5)),), {"kernel_size": 3, "stride": 2, "padding": 1},
                 "padding counted in the divisor")
    yield Sample((_normal(rng, (1, 2, 5, 5)),), {"kernel_size": 3, "stride": 2, "padding": 1,
                                                 "count_include_pad": False}, "padding not counted")


ENTRIES: list[OpInfo] = [  # read by the registry: this module is one of its PROVIDERS
    OpInfo("Tensor.conv2d", lambda x, w, b=None, **kw: x.conv2d(w, b, **kw), _conv_samples,
           formula="dx = fold(W^T g), dW = g columns^T (im2col), db = sum of g: a matmul and sliding windows"),
    OpInfo("Tensor.conv_transpose2d", lambda x, w, b=None, **kw: x.conv_transpose2d(w, b, **kw),
           _conv_transpose_samples, formula="conv2d's gradient in its input, run forward: its own gradient is "
           "a conv2d (windows and a matmul)"),
    OpInfo("Tensor.max_pool2d", lambda x, **kw: x.max_pool2d(**kw), _max_pool_samples,
           formula="1 to each window's maximum (split at ties), summed where windows overlap"),
    OpInfo("Tensor.avg_pool2d", lambda x, **kw: x.avg_pool2d(**kw), _avg_pool_samples,
           formula="1 / (window size) to each entry of the window, summed where windows overlap"),
]

NON_DIFFERENTIABLE: dict[str, str] = {}
