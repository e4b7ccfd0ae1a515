"""conv2d, conv_transpose2d and pooling against direct loops, the adjoint identity, and the nn layers.

The reference convolution is the definition written as loops: out[n, o, i, j] = b[o] + sum over the
group's channels c and taps (p, q) of x_padded[n, c, i s + p d, j s + q d] W[o, c, p, q].
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
import tinygrad_notes as tn
from tinygrad_notes import Tensor


@pytest.fixture(autouse=True)
def _float64():
    tn.set_default_dtype(np.float64)


def conv_loops(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for ni in range(n):
        for oi in range(o):
            g = oi // og
            for i in range(oh):
                for j in range(ow):
                    for ci in range(cg):
                        for p in range(kh):
                            for q in range(kw):
                                out[ni, oi, i, j] += (xp[ni, g * cg + ci, i * stride[0] + p * dilation[0],
                                                         j * stride[1] + q * dilation[1]] * w[oi, ci, p, q])
            if b is not None:
                out[ni, oi] += b[oi]
    return out


CONFIGS = [
    dict(stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1),
    dict(stride=(2, 1), padding=(1, 2), dilation=(1, 1), groups=1),
    dict(stride=(1, 2), padding=(2, 1), dilation=(2, 1), groups=1),
    dict(stride=(2, 2), padding=(1, 1), dilation=(1, 2), groups=2),
    dict(stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=4),  # depthwise
]


@pytest.mark.parametrize("config", CONFIGS)
def test_conv2d_equals_the_definition(config):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((4, 4 // config["groups"], 3, 2))
    b = rng.standard_normal(4)
    got = Tensor(x).conv2d(w, b, **config).numpy()
    np.testing.assert_allclose(got, conv_loops(x, w, b, **config), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("config", CONFIGS)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(config):
    """<conv2d(x, W), y> = <x, conv_transpose2d(y, W)>: the transpose, with output_padding restoring x's size."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((4, 4 // config["groups"], 3, 2))
    y_shape = Tensor(x).conv2d(w, **config).shape
    y = rng.standard_normal(y_shape)
    ct = Tensor(y).conv_transpose2d(w, **config)
    extra = (x.shape[2] - ct.shape[2], x.shape[3] - ct.shape[3])  # rows the strided conv never reached
    ct = Tensor(y).conv_transpose2d(w, output_padding=extra, **config) if any(extra) else ct
    assert ct.shape == x.shape
    lhs = float((Tensor(x).conv2d(w, **config).numpy() * y).sum())
    assert lhs == pytest.approx(float((x * ct.numpy()).sum()), rel=1e-12)


def test_conv2d_gradients_are_the_transposed_products():
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((2, 3, 5, 5)), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    b = Tensor(rng.standard_normal(4), requires_grad=True)
    g = rng.standard_normal((2, 4, 3, 3))
    x.conv2d(w, b, stride=1).backward(g)
    np.testing.assert_allclose(x.grad.numpy(), Tensor(g).conv_transpose2d(w.numpy()).numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), g.sum(axis=(0, 2, 3)), rtol=1e-12)
    dw = np.einsum("nohw,nchw->oc", g, x.numpy()[:, :, 0:3, 0:3])  # the tap (0, 0) of each filter
    np.testing.assert_allclose(w.grad.numpy()[:, :, 0, 0], dw, rtol=1e-12)


def pool_loops(x, k, s, p, reduce, fill):
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    oh, ow = (xp.shape[2] - k) // s + 1, (xp.shape[3] - k) // s + 1
    return np.array([[[[reduce(xp[n, c, i * s:i * s + k, j * s:j * s + k]) for j in range(ow)] for i in range(oh)]
                      for c in range(x.shape[1])] for n in range(x.shape[0])])


def test_pooling_equals_the_definition():
    x = np.random.default_rng(3).standard_normal((2, 3, 7, 7))
    np.testing.assert_allclose(Tensor(x).max_pool2d(3, 2, 1).numpy(), pool_loops(x, 3, 2, 1, np.max, -np.inf))
    np.testing.assert_allclose(Tensor(x).avg_pool2d(3, 2, 1).numpy(), pool_loops(x, 3, 2, 1, np.mean, 0.0))
    counts = pool_loops(np.ones_like(x), 3, 2, 1, np.sum, 0.0)
    np.testing.assert_allclose(Tensor(x).avg_pool2d(3, 2, 1, count_include_pad=False).numpy(),
                               pool_loops(x, 3, 2, 1, np.sum, 0.0) / counts)
    np.testing.assert_allclose(Tensor(x).max_pool2d(2).numpy(), pool_loops(x, 2, 2, 0, np.max, 0.0))


def test_max_pool_gradient_goes_to_the_max_and_splits_ties():
    x = Tensor(np.array([[[[1.0, 5.0], [2.0, 5.0]]]]), requires_grad=True)
    x.max_pool2d(2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 0.5], [0, 0.5]]]])  # PyTorch would give one 5 all of it
    y = Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    y.max_pool2d(3, stride=1).sum().backward()  # overlapping windows: the bottom-right entries win several
    np.testing.assert_array_equal(y.grad.numpy()[0, 0], [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]])


def test_errors_name_the_shapes_and_the_fix():
    x = Tensor(np.ones((1, 3, 5, 5)))
    with pytest.raises(tn.ShapeError, match=r"conv2d: an input with 3 channels and a weight of shape \(4, 2, 3, 3\)"):
        x.conv2d(np.ones((4, 2, 3, 3)))
    with pytest.raises(tn.ShapeError, match=r"conv2d: expected an input of shape \(N, C, H, W\)"):
        Tensor(np.ones(5)).conv2d(np.ones((1, 1, 1, 1)))
    with pytest.raises(tn.ShapeError, match="windows: a 7x7 kernel.*does not fit an input of size 5x5"):
        x.conv2d(np.ones((1, 3, 7, 7)))
    with pytest.raises(ValueError, match="conv2d: stride must be an int >= 1"):
        x.conv2d(np.ones((1, 3, 3, 3)), stride=0)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        x.conv2d(np.ones((1, 3, 3, 3)), stride=2, padding="same")
    with pytest.raises(ValueError, match="max_pool2d: padding .* at most half the kernel"):
        x.max_pool2d(2, padding=2)
    with pytest.raises(ValueError, match="output_padding"):
        x.conv_transpose2d(np.ones((3, 1, 3, 3)), stride=2, output_padding=2)


def test_unbatched_inputs_and_same_padding():
    x = np.random.default_rng(4).standard_normal((3, 6, 6))
    w = np.random.default_rng(5).standard_normal((2, 3, 3, 3))
    out = Tensor(x).conv2d(w, padding="same")
    assert out.shape == (2, 6, 6)
    np.testing.assert_allclose(out.numpy(), conv_loops(x[None], w, padding=(1, 1))[0], rtol=1e-12)


# ---- the layers -------------------------------------------------------------------------------------------
def test_conv2d_layer_uses_he_initialization_over_the_receptive_field():
    layer = nn.Conv2d(16, 64, 5, generator=np.random.default_rng(0))
    fan_in = 16 * 5 * 5
    assert layer.weight.shape == (64, 16, 5, 5)
    assert layer.weight.numpy().std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.03)
    assert (layer.bias.numpy() == 0).all()
    grouped = nn.Conv2d(8, 8, 3, groups=4, generator=np.random.default_rng(0))
    assert grouped.weight.shape == (8, 2, 3, 3)  # fan_in = 2 * 3 * 3
    with pytest.raises(ValueError, match="multiples of groups"):
        nn.Conv2d(6, 4, 3, groups=4)


def test_a_cnn_from_layers_runs_forward_and_backward():
    g = np.random.default_rng(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, generator=g), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 6, 3, padding=1, generator=g), nn.ReLU(), nn.AvgPool2d(2),
                          nn.Flatten(), nn.Linear(6 * 2 * 2, 3, generator=g))
    x = Tensor(np.random.default_rng(1).standard_normal((5, 1, 8, 8)))
    loss = nn.functional.cross_entropy(model(x), np.array([0, 1, 2, 1, 0]))
    loss.backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())
    assert "Conv2d(1, 4, kernel_size=(3, 3)" in repr(model)
    up = nn.ConvTranspose2d(4, 2, 2, stride=2, generator=g)
    assert up(Tensor(np.ones((1, 4, 3, 3)))).shape == (1, 2, 6, 6)
