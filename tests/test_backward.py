"""backward() and grad(): accumulation, retained grads, hooks, freeing, deep graphs, second order, modes."""

import gc
import sys
import weakref

import numpy as np
import pytest

import tinygrad_notes as tn
from tinygrad_notes import Function, Tensor, no_grad


@pytest.fixture(autouse=True)
def _float64():
    tn.set_default_dtype(np.float64)


def test_quickstart_net_gradients_match_the_hand_derivation(rng):
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    W, B = Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)
    loss = (Tensor(x) @ W + B).tanh().square().mean()
    loss.backward()
    a = np.tanh(x @ w + b)
    dz = 2 * a * (1 - a**2) / a.size
    np.testing.assert_allclose(W.grad.data, x.T @ dz)
    np.testing.assert_allclose(B.grad.data, dz.sum(0))


def test_gradients_accumulate_until_cleared():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3 + 2, 3 + 4])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3, 3])


def test_a_tensor_used_twice_gets_both_contributions():
    x = Tensor(3.0, requires_grad=True)
    y = x * x + x  # x reaches the output along three paths
    y.backward()
    assert x.grad.item() == 2 * 3 + 1


def test_backward_needs_grad_for_non_scalar_outputs_of_the_right_shape():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"one element; this one has shape \(3,\): pass grad="):
        y.backward()
    with pytest.raises(RuntimeError, match=r"grad has shape \(2,\) but the output has shape \(3,\)"):
        y.backward(np.ones(2))
    y.backward(np.array([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(x.grad.data, [2, 0, 4])
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).backward()


def test_only_retained_non_leaves_keep_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h, k = x * 2, x * 3
    h.retain_grad()
    (h * k).sum().backward()
    np.testing.assert_allclose(h.grad.data, [3, 6])
    assert k.grad is None
    np.testing.assert_allclose(x.grad.data, 2 * (x.data * 3) + 3 * (x.data * 2))
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).retain_grad()


def test_hooks_see_and_may_replace_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    seen = []
    y = x * 2
    y.register_hook(lambda g: seen.append(g.tolist()))
    handle = x.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    assert seen == [[4.0, 8.0]]
    np.testing.assert_allclose(x.grad.data, [80, 160])
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [1, 1])


def test_leaf_grads_never_share_memory():
    x, y = Tensor([1.0], requires_grad=True), Tensor([1.0], requires_grad=True)
    (x + y).sum().backward()
    x.grad.data[0] = 100  # e.g. in-place gradient clipping on one parameter
    assert y.grad.item() == 1.0
    s = Tensor(np.ones(3), requires_grad=True)
    s.sum().backward()
    s.grad.data[0] = 5  # the gradient of a sum is writable, not a broadcast view
    assert s.grad.tolist() == [5.0, 1.0, 1.0]


def test_functional_grad_leaves_dot_grad_alone():
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0], requires_grad=True)
    h = x * w
    gx, gh = tn.grad((h * h).sum(), [x, h])
    np.testing.assert_allclose(gx.data, 2 * (x.data * w.data) * w.data)
    np.testing.assert_allclose(gh.data, 2 * h.data)
    assert x.grad is None and w.grad is None
    z = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="input 1 .* was not used.*allow_unused=True"):
        tn.grad((x * 2).sum(), [x, z])
    assert tn.grad((x * 2).sum(), [x, z], allow_unused=True)[1] is None
    (g,) = tn.grad(x * 2, x, grad_outputs=np.array([1.0, -1.0]))
    np.testing.assert_allclose(g.data, [2, -2])
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        tn.grad((x * 2).sum(), Tensor([1.0]))


def test_second_backward_without_retain_graph_says_what_to_do():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * (np.exp(x.data) * (1 + x.data)))
    with pytest.raises(tn.GraphFreedError, match="graph was freed at op .*retain_graph=True"):
        y.backward()


def test_backward_frees_the_intermediate_arrays():
    x = Tensor(np.ones(1000), requires_grad=True)
    h = x.exp()
    data_ref, tensor_ref = weakref.ref(h._data), weakref.ref(h)
    loss = (h * 2).tanh().sum()
    del h
    assert data_ref() is not None  # alive while the graph lives
    loss.backward()
    gc.collect()
    assert data_ref() is None and tensor_ref() is None
    assert loss.grad_fn.inputs is None


def test_training_loop_memory_stays_flat():
    import tracemalloc

    w = Tensor(np.ones((50, 50)), requires_grad=True)
    x = Tensor(np.ones((8, 50)))

    def step():
        loss = (x @ w).tanh().square().mean()
        loss.backward()
        with no_grad():
            w.inplace_data()[...] -= 0.01 * w.grad.data
        w.grad = None

    for _ in range(50):
        step()
    gc.collect()
    objects = len(gc.get_objects())
    tracemalloc.start()
    first = tracemalloc.get_traced_memory()[0]
    for _ in range(300):
        step()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    # Keeping one step's graph alive would cost >= 3 KB a step (the (8, 50) activations): ~1 MB here.
    assert after - first < 100_000, f"memory grew by {after - first} bytes over 300 steps"
    assert len(gc.get_objects()) <= objects + 10


def test_a_million_op_chain_backpropagates_without_recursion():
    assert sys.getrecursionlimit() < 1_000_000
    x = Tensor(0.5, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0000001
    y.backward()
    assert np.isclose(x.grad.item(), 1.0000001**1_000_000)
    del y
    deep = x  # dropping an un-backpropagated deep graph must not overflow the C stack either
    for _ in range(200_000):
        deep = deep + 0.0
    del deep


# ---- second order -----------------------------------------------------------------------------
def test_second_derivative_of_cube_is_6x():
    x = Tensor(2.0, requires_grad=True)
    (g,) = tn.grad(x**3, x, create_graph=True)
    assert g.requires_grad
    (h,) = tn.grad(g, x)
    assert np.isclose(g.item(), 12) and np.isclose(h.item(), 12)  # 3x^2 and 6x at x = 2


def test_hessian_vector_product_of_a_quadratic_form(rng):
    A, v = rng.standard_normal((4, 4)), rng.standard_normal(4)
    x = Tensor(rng.standard_normal(4), requires_grad=True)
    (g,) = tn.grad(x @ Tensor(A) @ x, x, create_graph=True)
    (hv,) = tn.grad((g * v).sum(), x)
    np.testing.assert_allclose(hv.data, (A + A.T) @ v)


@pytest.mark.parametrize("name, second", [
    ("tanh", lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    ("sigmoid", lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
    ("log", lambda x: -1 / x**2),
    ("exp", np.exp),
])
def test_second_derivatives_of_unary_ops(name, second):
    x0 = np.array([0.3, 1.2, 2.0])
    x = Tensor(x0, requires_grad=True)
    (g,) = tn.grad(getattr(x, name)().sum(), x, create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, second(x0), rtol=1e-10)


def test_second_derivative_of_softmax(rng):
    z0 = rng.standard_normal(3)
    p = np.exp(z0) / np.exp(z0).sum()
    z = Tensor(z0, requires_grad=True)
    (g,) = tn.grad(z.softmax()[0], z, create_graph=True)  # dp0/dz = p0 (e0 - p)
    g[1].backward()  # d/dz of p0 * (0 - p1) = -(dp0/dz) p1 - p0 (dp1/dz)
    dp0 = p[0] * ((np.arange(3) == 0) - p)
    dp1 = p[1] * ((np.arange(3) == 1) - p)
    np.testing.assert_allclose(z.grad.data, -(dp0 * p[1] + p[0] * dp1))


def test_create_graph_leaves_a_differentiable_grad_on_leaves():
    x = Tensor(3.0, requires_grad=True)
    (x**3).backward(create_graph=True)
    assert x.grad.requires_grad and np.isclose(x.grad.item(), 27)
    g = x.grad
    x.grad = None
    g.backward()
    assert np.isclose(x.grad.item(), 18)


# ---- grad modes -------------------------------------------------------------------------------
def test_no_grad_and_enable_grad_as_context_managers_and_decorators():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2
        assert not tn.is_grad_enabled()
        with tn.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad and tn.is_grad_enabled()

    @no_grad()
    def f(t):
        return t * 2

    @tn.enable_grad()
    def g(t):
        return t * 2

    assert not f(x).requires_grad
    with no_grad():
        assert g(x).requires_grad


# ---- custom Functions -------------------------------------------------------------------------
class Cube(Function):
    """x^3 with a hand-written backward, as a learner writes it."""

    def forward(ctx, x):
        return x**3

    def backward(ctx, grad):  # d x^3/dx = 3x^2
        (x,) = ctx.inputs
        return grad * 3 * x * x


class StaticStyle(Function):
    @staticmethod
    def forward(ctx, x, y, scale=1.0):
        ctx.scale = scale
        return (x * y) * scale

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.inputs
        return grad * y * ctx.scale, grad * x * ctx.scale


def test_custom_function_first_and_second_order():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    assert repr(y.grad_fn) == "<Cube>"
    (g,) = tn.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, [3, 12])
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, [6, 12])


def test_custom_function_with_attributes_and_staticmethods():
    x, y = Tensor([2.0], requires_grad=True), Tensor([5.0], requires_grad=True)
    StaticStyle.apply(x, y, scale=3.0).sum().backward()
    assert x.grad.item() == 15 and y.grad.item() == 6


def test_custom_function_mistakes_get_clear_errors():
    class WrongShape(Function):
        def forward(ctx, x):
            return x.sum()

        def backward(ctx, grad):
            return grad  # forgot to spread the gradient back to x's shape

    class WrongArity(Function):
        def forward(ctx, x, y):
            return x + y

        def backward(ctx, grad):
            return grad

    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"backward of WrongShape returned a gradient of shape \(\) for an input "
                                           r"of shape \(2,\)"):
        WrongShape.apply(x).backward()
    with pytest.raises(RuntimeError, match="backward of WrongArity returned 1 gradient.*for 2 input"):
        WrongArity.apply(x, x).sum().backward()


def test_custom_function_state_is_freed_after_backward():
    class Saver(Function):
        def forward(ctx, x):
            ctx.big = np.ones(10_000)
            return x * 2

        def backward(ctx, grad):
            return grad * 2

    x = Tensor([1.0], requires_grad=True)
    y = Saver.apply(x)
    ref = weakref.ref(y.grad_fn.big)
    y.sum().backward()
    assert ref() is None


def test_custom_function_without_grad_does_not_record():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = Cube.apply(x)
    assert y.grad_fn is None and not y.requires_grad
