"""Layers: Linear's layout and init, inverted dropout, batch norm's statistics, activations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn import functional as F
from tinygrad_notes import ShapeError, Tensor, grad
from tinygrad_notes.random import frozen_randomness, manual_seed


# ---- Linear ------------------------------------------------------------------------------------
def test_linear_is_x_times_w_transposed_plus_b() -> None:
    lin = nn.Linear(3, 2)
    assert lin.weight.shape == (2, 3) and lin.bias.shape == (2,)
    lin.load_state_dict({"weight": np.arange(6, dtype=np.float32).reshape(2, 3), "bias": np.array([1, -1], np.float32)})
    x = np.array([[1.0, 0.0, 2.0], [0.5, 1.0, -1.0]], dtype=np.float32)
    np.testing.assert_allclose(lin(Tensor(x)).data, x @ lin.weight.data.T + lin.bias.data)
    assert lin(Tensor(x[0])).shape == (2,)  # one example
    assert lin(Tensor(np.stack([x, x]))).shape == (2, 2, 2)  # extra leading axes


def test_linear_gradients_have_the_closed_forms() -> None:
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = Tensor(rng.standard_normal(2), requires_grad=True)
    g = rng.standard_normal((5, 2))
    gx, gw, gb = grad(F.linear(x, w, b), [x, w, b], grad_outputs=Tensor(g))
    np.testing.assert_allclose(gx.data, g @ w.data)
    np.testing.assert_allclose(gw.data, g.T @ x.data)  # dW = dZ^T A, in W's (out, in) layout
    np.testing.assert_allclose(gb.data, g.sum(axis=0))
    assert gw.data.flags.c_contiguous


@settings(deadline=None, max_examples=25)
@given(lead=st.lists(st.integers(1, 4), max_size=2), n_in=st.integers(1, 5), n_out=st.integers(1, 5),
       seed=st.integers(0, 2**16))
def test_linear_forward_and_gradients_for_any_batch_shape(lead: list[int], n_in: int, n_out: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((*lead, n_in)), requires_grad=True)
    w = Tensor(rng.standard_normal((n_out, n_in)), requires_grad=True)
    b = Tensor(rng.standard_normal(n_out), requires_grad=True)
    out = F.linear(x, w, b)
    np.testing.assert_allclose(out.data, x.data @ w.data.T + b.data, rtol=1e-12)
    g = rng.standard_normal(out.shape)
    gx, gw, gb = grad(out, [x, w, b], grad_outputs=Tensor(g))
    rows, xs = g.reshape(-1, n_out), x.data.reshape(-1, n_in)
    np.testing.assert_allclose(gx.data, g @ w.data, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gw.data, rows.T @ xs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb.data, rows.sum(axis=0), rtol=1e-10, atol=1e-12)


def test_linear_default_init_is_he_with_zero_bias() -> None:
    lin = nn.Linear(400, 300, generator=np.random.default_rng(0))
    assert abs(lin.weight.data.var() / (2 / 400) - 1) < 0.02
    assert abs(lin.weight.data.mean()) < 0.002
    assert not lin.bias.data.any()


def test_linear_init_is_selectable_by_name_or_function() -> None:
    xavier = nn.Linear(500, 200, init="xavier", generator=np.random.default_rng(0))
    assert abs(xavier.weight.data.var() / (1 / 500) - 1) < 0.02
    glorot = nn.Linear(500, 200, init="glorot_uniform", generator=np.random.default_rng(0))
    assert abs(glorot.weight.data.var() / (2 / 700) - 1) < 0.02
    assert np.abs(glorot.weight.data).max() <= np.sqrt(6 / 700)
    custom = nn.Linear(3, 2, init=lambda w, generator=None: nn.init.constant_(w, 0.5))
    assert (custom.weight.data == 0.5).all()
    assert not nn.Linear(3, 2, init=nn.init.zeros_).weight.data.any()
    assert not nn.Linear(3, 2, init="zeros").weight.data.any()
    same = [nn.Linear(4, 3, generator=np.random.default_rng(7)).weight.data for _ in range(2)]
    np.testing.assert_array_equal(*same)
    with pytest.raises(ValueError, match="unknown initializer 'lecun'"):
        nn.Linear(3, 2, init="lecun")


def test_linear_refuses_inputs_that_do_not_fit() -> None:
    with pytest.raises(ShapeError, match=r"linear: input of shape \(4, 5\) does not fit a weight of shape \(2, 3\)"):
        nn.Linear(3, 2)(Tensor(np.ones((4, 5), dtype=np.float32)))
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        nn.Linear(0, 2)
    with pytest.raises(ShapeError, match=r"bias of shape \(3,\)"):
        F.linear(Tensor(np.ones((1, 3))), Tensor(np.ones((2, 3))), Tensor(np.ones(3)))


def test_linear_dtype_follows_the_default_or_the_argument() -> None:
    assert nn.Linear(2, 2).weight.dtype == np.float32
    lin = nn.Linear(2, 2, dtype=np.float64)
    assert lin.weight.dtype == lin.bias.dtype == np.float64


# ---- activations ------------------------------------------------------------------------------
def test_activation_layers_match_their_formulas() -> None:
    z = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    x = Tensor(z)
    np.testing.assert_allclose(nn.ReLU()(x).data, np.maximum(z, 0))
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(x).data, np.where(z > 0, z, 0.1 * z))
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh(z))
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp(-z)))
    soft = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(nn.Softmax()(x).data, soft)
    np.testing.assert_allclose(nn.LogSoftmax(axis=1)(x).data, np.log(soft))
    np.testing.assert_allclose(F.softplus(x).data, np.log1p(np.exp(z)))
    assert repr(nn.LeakyReLU(0.1)) == "LeakyReLU(negative_slope=0.1)"


def test_softplus_is_stable_and_its_derivatives_are_exact_at_zero_and_far_out() -> None:
    z = Tensor(np.array([-800.0, -40.0, 0.0, 40.0, 800.0]), requires_grad=True)
    out = F.softplus(z)
    np.testing.assert_allclose(out.data, [0.0, np.exp(-40.0), np.log(2.0), 40.0, 800.0], rtol=1e-12)
    (g,) = grad(out.sum(), z, create_graph=True)
    e = np.exp(-np.abs(z.data))
    s = np.where(z.data >= 0, 1 / (1 + e), e / (1 + e))  # sigmoid without overflow
    np.testing.assert_allclose(g.data, s, rtol=1e-12)
    (gg,) = grad(g.sum(), z)
    np.testing.assert_allclose(gg.data, s * (1 - s), rtol=1e-12, atol=1e-300)
    assert gg.data[2] == 0.25


# ---- dropout ----------------------------------------------------------------------------------
def test_inverted_dropout_keeps_the_mean_and_the_keep_rate() -> None:
    x = Tensor(np.full((400, 500), 3.0, dtype=np.float32))
    out = F.dropout(x, p=0.3, generator=np.random.default_rng(0)).data
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.005  # 200,000 draws: 5 standard errors is 0.005
    np.testing.assert_allclose(out[kept], 3.0 / 0.7, rtol=1e-6)  # scaled by 1 / keep_prob
    assert abs(out.mean() - 3.0) < 0.03  # the expected value is unchanged


def test_dropout_is_the_identity_in_eval_mode_and_p_zero() -> None:
    x = Tensor(np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32))
    layer = nn.Dropout(0.5).eval()
    assert layer(x) is x
    assert F.dropout(x, p=0.0) is x
    with pytest.raises(ValueError, match=r"must be in \[0, 1\)"):
        nn.Dropout(1.0)


def test_dropout_gradient_is_the_scaled_mask() -> None:
    x = Tensor(np.ones((6, 7)), requires_grad=True)
    out = nn.Dropout(0.25, generator=np.random.default_rng(1))(x)
    out.sum().backward()
    mask = out.data != 0
    np.testing.assert_allclose(x.grad.data, mask / 0.75)


def test_dropout_takes_the_notes_keep_prob_or_p_but_not_both() -> None:
    x = Tensor(np.ones((50, 40), dtype=np.float32))
    notes = nn.Dropout(keep_prob=0.8, generator=np.random.default_rng(5))
    torch_style = nn.Dropout(0.2, generator=np.random.default_rng(5))
    assert notes.p == pytest.approx(0.2)
    assert torch_style.keep_prob == pytest.approx(0.8)
    np.testing.assert_array_equal(notes(x).data, torch_style(x).data)  # the same layer, the same masks
    kept = notes(x).data
    np.testing.assert_allclose(kept[kept != 0], 1 / 0.8, rtol=1e-6)  # scaled by 1 / keep_prob
    assert nn.Dropout().p == 0.5
    assert nn.Dropout(keep_prob=1.0).p == 0.0
    with pytest.raises(ValueError, match=r"got both p=0.2 and keep_prob=0.8; give one of them"):
        nn.Dropout(0.2, keep_prob=0.8)
    with pytest.raises(ValueError, match=r"keep_prob .* must be in \(0, 1\], got 0"):
        nn.Dropout(keep_prob=0)


def test_dropout_masks_are_seeded_fresh_each_call_and_frozen_on_demand() -> None:
    x = Tensor(np.ones((8, 8), dtype=np.float32))
    a = nn.Dropout(0.5, generator=np.random.default_rng(3))
    b = nn.Dropout(0.5, generator=np.random.default_rng(3))
    first, second = a(x).data, a(x).data
    np.testing.assert_array_equal(first, b(x).data)  # same seed, same masks
    assert not np.array_equal(first, second)  # a different mask every iteration
    with frozen_randomness() as replay:
        frozen = a(x).data
        replay.restart()
        np.testing.assert_array_equal(a(x).data, frozen)
        with pytest.raises(ShapeError, match=r"replayed mask has shape \(8, 8\) but the input has shape \(2, 8\)"):
            replay.restart()
            a(Tensor(np.ones((2, 8), dtype=np.float32)))
    manual_seed(11)
    c = nn.Dropout(0.5)(x).data
    manual_seed(11)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).data, c)  # no generator: the library's default one


# ---- batch norm -------------------------------------------------------------------------------
def _batches(rng: np.random.Generator, n: int, shape: tuple[int, ...]) -> list[np.ndarray]:
    return [(rng.standard_normal(shape) * 2 + 5).astype(np.float64) for _ in range(n)]


def test_batch_norm_training_normalizes_with_the_batch_statistics() -> None:
    x = np.random.default_rng(0).standard_normal((16, 3)) * [1.0, 5.0, 0.1] + [0.0, -3.0, 10.0]
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    bn.load_state_dict({"weight": np.array([1.0, 2.0, 0.5]), "bias": np.array([0.0, 1.0, -1.0])}, strict=False)
    out = bn(Tensor(x)).data
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0]
    np.testing.assert_allclose(out, expected, rtol=1e-10)


def test_batch_norm_running_statistics_match_a_hand_computation() -> None:
    batches = _batches(np.random.default_rng(1), 4, (8, 3))
    bn = nn.BatchNorm1d(3, momentum=0.2, dtype=np.float64)
    mean, var = np.zeros(3), np.ones(3)
    for b in batches:
        bn(Tensor(b))
        mean = 0.8 * mean + 0.2 * b.mean(0)  # the notes' EWMA with beta = 1 - momentum = 0.8
        var = 0.8 * var + 0.2 * b.var(0, ddof=1)  # fed the unbiased variance, like PyTorch
    np.testing.assert_allclose(bn.running_mean.data, mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, var, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 4
    # the docstring's reading: the running variance is the notes' EWMA of the biased sigma^2 (from 0), times
    # m / (m - 1), plus what is left of the starting value 1
    notes_ewma = np.zeros(3)
    for b in batches:
        notes_ewma = 0.8 * notes_ewma + 0.2 * b.var(0)
    np.testing.assert_allclose(bn.running_var.data, 0.8**4 + notes_ewma * 8 / 7, rtol=1e-12)


def test_batch_norm_momentum_none_is_the_cumulative_average() -> None:
    batches = _batches(np.random.default_rng(2), 3, (5, 2))
    bn = nn.BatchNorm1d(2, momentum=None, dtype=np.float64)
    for b in batches:
        bn(Tensor(b))
    np.testing.assert_allclose(bn.running_mean.data, np.mean([b.mean(0) for b in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, np.mean([b.var(0, ddof=1) for b in batches], axis=0), rtol=1e-12)


def test_batch_norm_eval_uses_running_statistics_even_for_one_example() -> None:
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    for b in _batches(np.random.default_rng(3), 5, (10, 3)):
        bn(Tensor(b))
    bn.eval()
    one = np.array([[5.0, 4.0, 6.0]])
    expected = (one - bn.running_mean.data) / np.sqrt(bn.running_var.data + 1e-5)
    np.testing.assert_allclose(bn(Tensor(one)).data, expected, rtol=1e-12)
    before = bn.running_mean.data.copy()
    bn(Tensor(one))
    np.testing.assert_array_equal(bn.running_mean.data, before)  # eval does not update


def test_batch_norm_refuses_to_train_on_one_example_per_feature() -> None:
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"training needs more than one value per feature.*\(1, 3\).*\.eval\(\)"):
        bn(Tensor(np.ones((1, 3), dtype=np.float32)))
    assert bn.num_batches_tracked.item() == 0 and not bn.running_mean.data.any()
    with pytest.raises(ShapeError, match=r"expected input of shape \(N, 3\)"):
        bn(Tensor(np.ones((4, 2), dtype=np.float32)))


def test_batch_norm_on_n_c_l_inputs_normalizes_over_batch_and_length() -> None:
    x = np.random.default_rng(4).standard_normal((4, 2, 5)) * 3 + 1
    bn = nn.BatchNorm1d(2, dtype=np.float64)
    out = bn(Tensor(x)).data
    mean, var = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(bn.running_var.data, 0.9 + 0.1 * x.var(axis=(0, 2), ddof=1), rtol=1e-12)


def test_batch_norm_without_running_stats_or_affine() -> None:
    bn = nn.BatchNorm1d(2, affine=False, track_running_stats=False, dtype=np.float64).eval()
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(bn(Tensor(x)).data, [[-1, -1], [1, 1]], atol=1e-5)
    assert list(bn.state_dict()) == []
