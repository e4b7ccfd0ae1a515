"""Every op family's gradient against its closed form, and against central differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numdiff import assert_grads_match

import tinygrad_notes as tn
from tinygrad_notes import Tensor


def grads_of(f, *arrays):
    xs = [Tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    f(*xs).sum().backward()
    return [x.grad.data for x in xs]


@pytest.fixture(autouse=True)
def _float64():
    tn.set_default_dtype(np.float64)


# ---- closed forms ---------------------------------------------------------------------------
def test_elementwise_binary_closed_forms(rng):
    x, y = rng.random(5) + 0.5, rng.random(5) + 0.5
    gx, gy = grads_of(lambda a, b: a * b, x, y)
    np.testing.assert_allclose(gx, y)
    np.testing.assert_allclose(gy, x)
    gx, gy = grads_of(lambda a, b: a / b, x, y)
    np.testing.assert_allclose(gx, 1 / y)
    np.testing.assert_allclose(gy, -x / y**2)
    gx, gy = grads_of(lambda a, b: a ** b, x, y)
    np.testing.assert_allclose(gx, y * x ** (y - 1))
    np.testing.assert_allclose(gy, x**y * np.log(x))
    gx, gy = grads_of(lambda a, b: a - b, x, y)
    np.testing.assert_allclose(gx, 1)
    np.testing.assert_allclose(gy, -1)


def test_maximum_minimum_route_the_gradient_and_split_ties():
    x, y = np.array([1.0, 3.0, 2.0]), np.array([2.0, 1.0, 2.0])
    gx, gy = grads_of(tn.maximum, x, y)
    np.testing.assert_allclose(gx, [0, 1, 0.5])
    np.testing.assert_allclose(gy, [1, 0, 0.5])
    gx, gy = grads_of(tn.minimum, x, y)
    np.testing.assert_allclose(gx, [1, 0, 0.5])
    np.testing.assert_allclose(gy, [0, 1, 0.5])


@pytest.mark.parametrize("name, derivative", [
    ("exp", np.exp), ("log", lambda x: 1 / x), ("sqrt", lambda x: 0.5 / np.sqrt(x)),
    ("square", lambda x: 2 * x), ("sin", np.cos), ("cos", lambda x: -np.sin(x)),
    ("tanh", lambda x: 1 - np.tanh(x) ** 2),
    ("sigmoid", lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    ("relu", lambda x: (x > 0).astype(float)), ("abs", np.sign), ("neg", lambda x: -np.ones_like(x)),
])
def test_unary_closed_forms(name, derivative):
    x = np.array([0.3, 0.7, 1.9, 2.5]) * np.array([1, -1, 1, -1]) if name not in ("log", "sqrt") else \
        np.array([0.3, 0.7, 1.9, 2.5])
    (g,) = grads_of(lambda a: getattr(a, name)(), x)
    np.testing.assert_allclose(g, derivative(x), rtol=1e-12)


def test_relu_and_abs_are_zero_at_the_kink_and_leaky_relu_and_clip():
    (g,) = grads_of(lambda a: a.relu() + a.abs(), np.array([0.0]))
    assert g.tolist() == [0.0]
    (g,) = grads_of(lambda a: a.leaky_relu(0.1), np.array([-2.0, 3.0]))
    np.testing.assert_allclose(g, [0.1, 1.0])
    (g,) = grads_of(lambda a: a.clip(-1, 1), np.array([-2.0, -0.5, 1.0, 3.0]))
    np.testing.assert_allclose(g, [0, 1, 1, 0])  # bounds included, like PyTorch's clamp
    (g,) = grads_of(lambda a: a.clip(hi=0.0), np.array([-1.0, 1.0]))
    np.testing.assert_allclose(g, [1, 0])


def test_sign_is_a_constant():
    s = Tensor([-2.0, 0.0, 3.0], requires_grad=True).sign()
    assert s.tolist() == [-1.0, 0.0, 1.0] and not s.requires_grad


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1), (-1, 0)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy_values_and_closed_form_gradients(rng, axis, keepdims):
    x = rng.standard_normal((3, 4))
    t = Tensor(x)
    for name in ("sum", "mean", "max", "min"):
        np.testing.assert_allclose(getattr(t, name)(axis, keepdims).data, getattr(np, name)(x, axis=axis,
                                   keepdims=keepdims))
    np.testing.assert_allclose(t.var(axis, keepdims, ddof=1).data, np.var(x, axis=axis, keepdims=keepdims, ddof=1))
    np.testing.assert_allclose(t.std(axis, keepdims).data, np.std(x, axis=axis, keepdims=keepdims))
    lse = np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(t.logsumexp(axis, keepdims).data, lse)
    (g,) = grads_of(lambda a: a.sum(axis, keepdims), x)
    np.testing.assert_allclose(g, np.ones_like(x))
    n = x.size if axis is None else np.prod([x.shape[a] for a in np.atleast_1d(axis)])
    (g,) = grads_of(lambda a: a.mean(axis, keepdims), x)
    np.testing.assert_allclose(g, np.full_like(x, 1 / n))
    (g,) = grads_of(lambda a: a.logsumexp(axis, keepdims), x)
    np.testing.assert_allclose(g, np.exp(x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))))
    (g,) = grads_of(lambda a: a.var(axis, keepdims), x)
    np.testing.assert_allclose(g, 2 * (x - x.mean(axis=axis, keepdims=True)) / n)


def test_max_splits_the_gradient_evenly_among_ties():
    (g,) = grads_of(lambda a: a.max(), np.array([1.0, 3.0, 3.0, 2.0]))
    np.testing.assert_allclose(g, [0, 0.5, 0.5, 0])
    (g,) = grads_of(lambda a: a.max(axis=1), np.array([[1.0, 1.0, 1.0], [0.0, 2.0, 1.0]]))
    np.testing.assert_allclose(g, [[1 / 3, 1 / 3, 1 / 3], [0, 1, 0]])
    (g,) = grads_of(lambda a: a.min(axis=0), np.array([[1.0, 2.0], [1.0, 0.0]]))
    np.testing.assert_allclose(g, [[0.5, 0], [0.5, 1]])


def test_argmax_argmin_values():
    t = Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    assert t.argmax(axis=1).tolist() == [1, 0] and t.argmin().item() == 4
    assert t.argmax(axis=0, keepdims=True).shape == (1, 3) and not t.argmax().requires_grad


def test_logsumexp_softmax_are_stable_for_huge_inputs():
    x = Tensor(np.array([1000.0, 1000.0, -1000.0]), requires_grad=True)
    assert np.isclose(x.logsumexp().item(), 1000 + np.log(2))
    p = x.softmax()
    np.testing.assert_allclose(p.data, [0.5, 0.5, 0])
    np.testing.assert_allclose(x.log_softmax().data, [-np.log(2), -np.log(2), -2000 - np.log(2)])
    x.log_softmax()[2].backward()
    np.testing.assert_allclose(x.grad.data, [-0.5, -0.5, 1])
    with np.errstate(divide="ignore"):
        assert Tensor(np.full(3, -np.inf)).logsumexp().item() == -np.inf  # log(0), not NaN


def test_softmax_jacobian_closed_form(rng):
    z = rng.standard_normal(4)
    p = np.exp(z) / np.exp(z).sum()
    for k in range(4):
        zt = Tensor(z, requires_grad=True)
        zt.softmax()[k].backward()
        np.testing.assert_allclose(zt.grad.data, p[k] * ((np.arange(4) == k) - p))


@pytest.mark.parametrize("sa, sb", [((4,), (4,)), ((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)),
                                    ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,))])
def test_matmul_shapes_values_and_gradients_follow_numpy(rng, sa, sb):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, a @ b)
    assert_grads_match(lambda x, y: x @ y, [a, b])


def test_matmul_2d_gradient_closed_form(rng):
    a, b, g = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal((3, 2))
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    (ta @ tb).backward(g)
    np.testing.assert_allclose(ta.grad.data, g @ b.T)
    np.testing.assert_allclose(tb.grad.data, a.T @ g)


def test_movement_values(rng):
    x = rng.standard_normal((2, 3, 4))
    t = Tensor(x)
    np.testing.assert_array_equal(t.reshape(4, -1).data, x.reshape(4, -1))
    np.testing.assert_array_equal(t.reshape((6, 4)).data, x.reshape(6, 4))
    np.testing.assert_array_equal(t.transpose().data, x.transpose())
    np.testing.assert_array_equal(t.transpose(1, 0, 2).data, x.transpose(1, 0, 2))
    np.testing.assert_array_equal(t.permute(2, 0, 1).data, x.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.T.data, x.T)
    np.testing.assert_array_equal(t.swapaxes(0, 2).data, x.swapaxes(0, 2))
    np.testing.assert_array_equal(t[:, :1].broadcast_to((2, 3, 4)).data, np.broadcast_to(x[:, :1], (2, 3, 4)))
    np.testing.assert_array_equal(t[:, :1].expand(-1, 3, -1).data, np.broadcast_to(x[:, :1], (2, 3, 4)))
    np.testing.assert_array_equal(t[:, :1].squeeze().data, x[:, 0])
    np.testing.assert_array_equal(t[:, :1].squeeze(1).data, x[:, 0])
    np.testing.assert_array_equal(t.unsqueeze(-1).data, x[..., None])
    np.testing.assert_array_equal(t.flatten().data, x.ravel())
    np.testing.assert_array_equal(t.flatten(1).data, x.reshape(2, 12))
    parts = t.split(3, axis=1)
    assert [p.shape for p in parts] == [(2, 1, 4)] * 3
    parts = t.split([1, 3], axis=-1)
    assert [p.shape for p in parts] == [(2, 3, 1), (2, 3, 2), (2, 3, 1)]
    np.testing.assert_array_equal(t.pad(1).data, np.pad(x, 1))
    np.testing.assert_array_equal(t.pad(((0, 0), (1, 2), (0, 1)), 5.0).data,
                                  np.pad(x, ((0, 0), (1, 2), (0, 1)), constant_values=5.0))
    np.testing.assert_array_equal(tn.stack([t, t], axis=-1).data, np.stack([x, x], axis=-1))
    np.testing.assert_array_equal(tn.concatenate([t, t], axis=1).data, np.concatenate([x, x], axis=1))


@pytest.mark.parametrize("index", [
    1, -1, slice(None, None, 2), (slice(1, None), 2), (None, Ellipsis, 1), (Ellipsis, slice(None, None, -1)),
    np.array([0, 0, 2, 0]), (np.array([0, 2, 2]), np.array([1, 1, 3])), [1, 1],
])
def test_getitem_gradients_accumulate_over_repeats(rng, index):
    x = rng.standard_normal((3, 4))
    t = Tensor(x, requires_grad=True)
    out = t[index]
    np.testing.assert_array_equal(out.data, x[index])
    w = rng.standard_normal(out.shape)
    (out * w).sum().backward()
    expected = np.zeros_like(x)
    np.add.at(expected, index if not isinstance(index, list) else np.asarray(index), w)
    np.testing.assert_allclose(t.grad.data, expected)


def test_getitem_with_bool_mask_and_tensor_index():
    x = np.array([[1.0, -2.0], [-3.0, 4.0]])
    t = Tensor(x, requires_grad=True)
    t[t > 0].sum().backward()
    np.testing.assert_array_equal(t.grad.data, [[1, 0], [0, 1]])
    t2 = Tensor(x, requires_grad=True)
    t2[Tensor(np.array([1, 1]))].sum().backward()
    np.testing.assert_array_equal(t2.grad.data, [[0, 0], [2, 2]])


def test_concatenate_stack_split_pad_where_gradients(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 2))
    assert_grads_match(lambda x, y: tn.concatenate([x, y], axis=1) * Tensor(np.arange(5.0)), [a, b])
    assert_grads_match(lambda x, y: tn.stack([x, y * 2], axis=0) ** 2, [a, a + 1])
    assert_grads_match(lambda x: x.split([1], axis=1)[1] * 3, [a])
    assert_grads_match(lambda x: x.pad(((1, 0), (2, 1))) ** 2, [a])
    cond = a > 0
    gx, gy = grads_of(lambda x, y: tn.where(cond, x, y[:, :1]), a, b)
    np.testing.assert_array_equal(gx, cond)
    np.testing.assert_array_equal(gy[:, 0], (~cond).sum(axis=1))
    np.testing.assert_array_equal(gy[:, 1], 0)


def test_astype_gradient_comes_back_in_the_input_dtype():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x.astype(np.float64) * np.float64(3)
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 3.0]


def test_mixed_dtype_gradients_are_cast_to_each_input():
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    w = Tensor(np.full(2, 2.0), requires_grad=True)  # float64
    (x * w).sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.data, [2, 2])


# ---- broadcasting, property-based -------------------------------------------------------------
@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
    return shapes.input_shapes


@settings(deadline=None, max_examples=40)
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "div", "maximum", "pow"]),
       st.integers(0, 2**16))
def test_broadcasting_gradients_sum_back_to_each_input_shape(shapes, op, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 1.5, shapes[0])
    b = rng.uniform(0.5, 1.5, shapes[1]) + (0.25 if op == "maximum" else 0.0)  # no ties
    fns = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
           "div": lambda x, y: x / y, "maximum": tn.maximum, "pow": lambda x, y: x ** y}
    w = rng.standard_normal(np.broadcast_shapes(*shapes))
    gx, gy = grads_of(lambda x, y: fns[op](x, y) * Tensor(w), a, b)
    assert gx.shape == a.shape and gy.shape == b.shape
    assert_grads_match(lambda x, y: fns[op](x, y) * Tensor(w), [a, b], tol=1e-5)


@settings(deadline=None, max_examples=25)
@given(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), st.integers(0, 2**16))
def test_any_shape_through_a_composite_matches_central_differences(shape, seed):
    x = np.random.default_rng(seed).uniform(-1, 1, shape)
    assert_grads_match(lambda t: (t.tanh() * t.sigmoid() + t.exp()).sum() / (t.square().sum() + 1), [x])
