"""Optimizers: their steps equal the notes' formulas by hand, they handle params and bad input, they train."""

import numpy as np
import pytest

import optim
from tinygrad_notes import ShapeError, Tensor

# A separable quadratic J(W) = Σ ½cW² + aW, so dJ/dW = cW + a: the by-hand loops below use that gradient.
C = np.array([[1.0, 4.0, 0.5], [2.0, 0.25, 3.0]])
A = np.array([[0.5, -1.0, 2.0], [-0.3, 0.8, -1.5]])
W0 = np.array([[0.3, -0.7, 1.1], [-2.0, 0.4, 0.05]])


def quadratic_loss(W: Tensor) -> Tensor:
    return (0.5 * Tensor(C) * W * W + Tensor(A) * W).sum()


def grad_of(w: np.ndarray) -> np.ndarray:
    return C * w + A


def run_optimizer(make, steps: int) -> list[np.ndarray]:
    """The parameter after each of `steps` steps of the optimizer on the quadratic, in float64."""
    W = Tensor(W0.copy(), requires_grad=True)
    opt = make([W])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        quadratic_loss(W).backward()
        opt.step()
        out.append(W.data.copy())
    return out


# ---- first steps equal the notes' formulas, computed by hand ---------------------------------------------
def test_gradient_descent_is_w_minus_lr_dw():
    lr = 0.1
    w = W0.copy()
    for got in run_optimizer(lambda p: optim.SGD(p, lr=lr), 4):
        w = w - lr * grad_of(w)
        np.testing.assert_allclose(got, w, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("beta", [0.9, 0.5])
def test_notes_momentum_is_an_average_of_gradients(beta):
    lr = 0.1
    w, v = W0.copy(), np.zeros_like(W0)
    steps = run_optimizer(lambda p: optim.Momentum(p, lr=lr, beta=beta), 5)
    np.testing.assert_allclose(steps[0], W0 - lr * (1 - beta) * grad_of(W0), rtol=1e-14)  # V₁ = (1 − β) dW
    for got in steps:
        v = beta * v + (1 - beta) * grad_of(w)  # V = βV + (1 − β) dW
        w = w - lr * v  # W ← W − α V
        np.testing.assert_allclose(got, w, rtol=1e-13, atol=1e-15)


def test_pytorch_momentum_drops_the_one_minus_beta():
    lr, beta = 0.05, 0.9
    w, v = W0.copy(), np.zeros_like(W0)
    for got in run_optimizer(lambda p: optim.SGD(p, lr=lr, momentum=beta), 5):
        v = beta * v + grad_of(w)
        w = w - lr * v
        np.testing.assert_allclose(got, w, rtol=1e-13, atol=1e-15)


def test_the_two_momentum_forms_agree_when_lr_is_rescaled_by_one_minus_beta():
    lr, beta = 0.02, 0.9
    pytorch_form = run_optimizer(lambda p: optim.SGD(p, lr=lr, momentum=beta), 30)
    notes_form = run_optimizer(lambda p: optim.SGD(p, lr=lr / (1 - beta), momentum=beta, dampening=beta), 30)
    np.testing.assert_allclose(notes_form, pytorch_form, rtol=1e-10, atol=1e-12)


def test_nesterov_and_weight_decay_by_hand():
    lr, mu, wd = 0.05, 0.9, 0.1
    w, v = W0.copy(), np.zeros_like(W0)
    for got in run_optimizer(lambda p: optim.SGD(p, lr=lr, momentum=mu, nesterov=True, weight_decay=wd), 5):
        d = grad_of(w) + wd * w  # dW + λW
        v = mu * v + d
        w = w - lr * (d + mu * v)  # the look-ahead direction
        np.testing.assert_allclose(got, w, rtol=1e-13, atol=1e-15)


def test_rmsprop_by_hand():
    lr, beta, eps = 0.01, 0.9, 1e-8
    w, s = W0.copy(), np.zeros_like(W0)
    steps = run_optimizer(lambda p: optim.RMSprop(p, lr=lr), 5)
    g = grad_of(W0)  # first step: S₁ = (1 − β) dW², so each coordinate moves α/√(1 − β)
    np.testing.assert_allclose(steps[0], W0 - lr * np.sign(g) / np.sqrt(1 - beta), rtol=1e-7)
    for got in steps:
        g = grad_of(w)
        s = beta * s + (1 - beta) * g**2  # S = βS + (1 − β) dW²
        w = w - lr * g / (np.sqrt(s) + eps)  # W ← W − α dW / (√S + ε)
        np.testing.assert_allclose(got, w, rtol=1e-13, atol=1e-15)


def adam_by_hand(steps: int, lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                 l2: float = 0.0, decoupled: float = 0.0) -> list[np.ndarray]:
    w, v, s = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    out = []
    for t in range(1, steps + 1):
        g = grad_of(w) + l2 * w
        w = w - lr * decoupled * w
        v = b1 * v + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        v_hat, s_hat = v / (1 - b1**t), s / (1 - b2**t)
        w = w - lr * v_hat / (np.sqrt(s_hat) + eps)
        out.append(w)
    return out


def test_adam_by_hand_with_bias_correction():
    got = run_optimizer(lambda p: optim.Adam(p, lr=0.01), 6)
    np.testing.assert_allclose(got, adam_by_hand(6, lr=0.01), rtol=1e-12, atol=1e-14)


def test_adam_with_l2_and_adamw_with_decoupled_decay_by_hand():
    got = run_optimizer(lambda p: optim.Adam(p, lr=0.01, weight_decay=0.2), 6)
    np.testing.assert_allclose(got, adam_by_hand(6, lr=0.01, l2=0.2), rtol=1e-12, atol=1e-14)
    got = run_optimizer(lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.2), 6)
    np.testing.assert_allclose(got, adam_by_hand(6, lr=0.01, decoupled=0.2), rtol=1e-12, atol=1e-14)
    assert not np.allclose(adam_by_hand(6, lr=0.01, l2=0.2)[-1], adam_by_hand(6, lr=0.01, decoupled=0.2)[-1])


def test_adams_first_step_is_lr_times_sign_of_the_gradient():
    lr = 1e-3
    (first,) = run_optimizer(lambda p: optim.Adam(p, lr=lr), 1)
    g = grad_of(W0)
    np.testing.assert_allclose(W0 - first, lr * np.sign(g), rtol=0, atol=lr * 1e-8 / np.abs(g).min() * 2)


def test_defaults_are_the_notes():
    W = Tensor(W0.copy(), requires_grad=True)
    assert optim.Adam([W]).defaults == {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}
    assert optim.RMSprop([W], lr=0.1).defaults == {"lr": 0.1, "beta": 0.9, "eps": 1e-8, "weight_decay": 0.0}
    assert optim.Momentum([W], lr=0.1).defaults["momentum"] == optim.Momentum([W], lr=0.1).defaults["dampening"] == 0.9
    assert optim.AdamW([W]).defaults["weight_decay"] == 1e-2


# ---- the notes' elongated bowl: momentum, RMSprop and Adam get there in fewer steps ----------------------
CURVATURE = np.array([0.1, 20.0])  # J = ½(0.1·w₁² + 20·w₂²): a long shallow valley with steep sides
START = np.array([-8.0, 1.5])


def bowl_distances(make, steps: int) -> np.ndarray:
    """Distance to the minimum (the origin) after each step."""
    w = Tensor(START.copy(), requires_grad=True)
    opt = make([w])
    dist = []
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * Tensor(CURVATURE) * w * w).sum().backward()
        opt.step()
        dist.append(np.linalg.norm(w.data))
    return np.array(dist)


def steps_to_reach(dist: np.ndarray) -> int:
    """"Reach the minimum": the first step that brings w within 1% of its starting distance to the minimum."""
    close = np.nonzero(dist <= 0.01 * np.linalg.norm(START))[0]
    return int(close[0]) + 1 if len(close) else np.inf


def test_momentum_rmsprop_and_adam_reach_the_bowls_minimum_in_fewer_steps_than_gd():
    lr = 0.08  # GD is stable (lr·20 < 2) but zigzags across the valley and crawls along it
    budget = 2000
    counts = {
        "gd": steps_to_reach(bowl_distances(lambda p: optim.SGD(p, lr=lr), budget)),
        "momentum": steps_to_reach(bowl_distances(lambda p: optim.SGD(p, lr=lr, momentum=0.9), budget)),
        "rmsprop": steps_to_reach(bowl_distances(lambda p: optim.RMSprop(p, lr=lr), budget)),
        "adam": steps_to_reach(bowl_distances(lambda p: optim.Adam(p, lr=lr), budget)),
    }
    # GD's count follows from its slow direction: |w₁| shrinks by (1 − lr·0.1) per step.
    gd_expected = int(np.ceil(np.log(0.01 * np.linalg.norm(START) / abs(START[0])) / np.log(1 - lr * CURVATURE[0])))
    assert abs(counts["gd"] - gd_expected) <= 2, counts
    for name in ("momentum", "rmsprop", "adam"):
        assert counts[name] < counts["gd"] / 2, counts


def test_notes_momentum_takes_a_learning_rate_at_which_gd_diverges():
    lr, beta = 0.08, 0.9
    pytorch_form = bowl_distances(lambda p: optim.SGD(p, lr=lr, momentum=beta), 300)
    notes_form = bowl_distances(lambda p: optim.Momentum(p, lr=lr / (1 - beta), beta=beta), 300)
    np.testing.assert_allclose(notes_form, pytorch_form, rtol=1e-9, atol=1e-12)
    assert steps_to_reach(notes_form) < 300
    gd = bowl_distances(lambda p: optim.SGD(p, lr=lr / (1 - beta)), 20)  # lr·20 = 16 > 2: every step overshoots
    assert np.all(np.diff(gd) > 0) and gd[-1] > 1e10


# ---- parameters, groups and bad input --------------------------------------------------------------------
class TwoLayers:
    """Anything with parameters() works, as an nn.Module does."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.W = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
        self.b = Tensor(np.zeros(2), requires_grad=True)

    def parameters(self):
        yield self.W
        yield self.b


def test_accepts_model_parameters_and_param_groups_with_their_own_options():
    model = TwoLayers()
    with pytest.raises(TypeError, match=r"pass model.parameters\(\)"):
        optim.SGD(model, lr=0.1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert [p is q for p, q in zip(opt.param_groups[0]["params"], [model.W, model.b])] == [True, True]
    opt = optim.SGD([{"params": [model.W]}, {"params": [model.b], "lr": 1.0, "momentum": 0.5}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0
    assert opt.param_groups[1]["lr"] == 1.0 and opt.param_groups[1]["momentum"] == 0.5
    model.W.grad = Tensor(np.ones((3, 2)))
    model.b.grad = Tensor(np.ones(2))
    W_before = model.W.data.copy()
    opt.step()
    np.testing.assert_allclose(model.W.data, W_before - 0.1)  # group 0's lr
    np.testing.assert_allclose(model.b.data, -1.0)  # group 1's lr


def test_skips_parameters_without_a_gradient():
    model = TwoLayers()
    opt = optim.Adam(model.parameters(), lr=0.1)
    model.W.grad = Tensor(np.ones((3, 2)))
    b_before = model.b.data.copy()
    opt.step()
    np.testing.assert_array_equal(model.b.data, b_before)
    assert model.b not in opt.state and opt.state[model.W]["step"] == 1


def test_a_gradient_of_the_wrong_shape_names_the_parameter_and_both_shapes():
    model = TwoLayers()
    opt = optim.SGD([{"params": [model.b]}, {"params": [model.W]}], lr=0.1)
    model.W.grad = Tensor(np.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"parameter 0 in param group 1 has shape \(2, 3\).*shape \(3, 2\)"):
        opt.step()


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=-1), "lr must be"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=1.0), r"momentum must be a number in \[0, 1\)"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda p: optim.RMSprop(p, lr=0.1, beta=1.5), r"beta must be a number in \[0, 1\)"),
    (lambda p: optim.Adam(p, betas=(0.9,)), "betas must be two numbers"),
    (lambda p: optim.SGD([{"params": p, "momentun": 0.9}], lr=0.1), r"unknown option\(s\) \['momentun'\]"),
    (lambda p: optim.SGD(p + p, lr=0.1), "appears twice"),
    (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda p: optim.SGD(p[0], lr=0.1), "not a single Tensor"),
    (lambda p: optim.SGD([p[0] * 2], lr=0.1), "not a leaf"),
])
def test_bad_options_and_params_are_refused_clearly(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make([Tensor(np.ones(3), requires_grad=True)])


def test_zero_grad_sets_none_or_zeros():
    model = TwoLayers()
    opt = optim.SGD(model.parameters(), lr=0.1)
    model.W.grad = Tensor(np.ones((3, 2)))
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(model.W.grad.data, 0)
    opt.zero_grad()
    assert model.W.grad is None


def test_a_step_is_a_write_so_a_stale_graph_refuses_backward():
    W = Tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([W], lr=0.1)
    W.grad = Tensor(np.ones(3))
    stale = (W * W).sum()  # recorded before the step, not yet backpropagated
    opt.step()
    with pytest.raises(RuntimeError, match="modified in place"):
        stale.backward()


EVERY_OPTIMIZER = pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.1),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda p: optim.Momentum(p, lr=0.1),
    lambda p: optim.RMSprop(p, lr=0.1, weight_decay=1e-3),
    lambda p: optim.Adam(p, weight_decay=1e-3),
    lambda p: optim.AdamW(p),
], ids=["sgd", "sgd-momentum-wd", "nesterov", "momentum", "rmsprop", "adam-l2", "adamw"])


@EVERY_OPTIMIZER
def test_float32_parameters_are_updated_in_place_and_stay_float32(make):
    W = Tensor(np.ones((4, 4), dtype=np.float32), requires_grad=True)
    array = W.inplace_data()
    opt = make([W])
    W.grad = Tensor(np.full((4, 4), 0.5, dtype=np.float32))
    opt.step()
    assert W.inplace_data() is array and array.dtype == np.float32 and np.all(array < 1)
    assert all(v.dtype == np.float32 for v in opt.state[W].values() if isinstance(v, np.ndarray))


# ---- a step allocates nothing but its preallocated state -------------------------------------------------
@EVERY_OPTIMIZER
def test_a_step_allocates_no_arrays(make):
    import tracemalloc

    rng = np.random.default_rng(0)
    params = [Tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in [(300, 200), (200,)]]
    for p in params:
        p.grad = Tensor(rng.standard_normal(p.shape).astype(np.float32))
    opt = make(params)
    opt.step()  # the first step creates the state arrays and the scratch buffers
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        opt.step()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    smallest_param_bytes = 200 * 4
    assert peak < smallest_param_bytes * 4, f"a step allocated {peak} bytes"  # view headers only, no arrays


# ---- a small model trains end to end with each optimizer -------------------------------------------------
def circle_data(m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X = rng.uniform(-1, 1, size=(m, 2)).astype(np.float32)
    y = (np.sum(X**2, axis=1) < 0.5).astype(np.int64)  # inside a circle: class 1
    return X, np.eye(2, dtype=np.float32)[y]


@pytest.mark.parametrize("make, epochs", [
    (lambda p: optim.SGD(p, lr=0.5), 120),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), 60),
    (lambda p: optim.Momentum(p, lr=0.5, beta=0.9), 80),
    (lambda p: optim.RMSprop(p, lr=0.01), 60),
    (lambda p: optim.Adam(p, lr=0.02), 60),
    (lambda p: optim.AdamW(p, lr=0.02, weight_decay=1e-3), 60),
], ids=["sgd", "nesterov", "momentum", "rmsprop", "adam", "adamw"])
def test_trains_a_small_network_to_high_accuracy(make, epochs):
    rng = np.random.default_rng(1)
    X, Y = circle_data(512, rng)
    W1 = Tensor((rng.standard_normal((2, 32)) * np.sqrt(2 / 2)).astype(np.float32), requires_grad=True)
    b1 = Tensor(np.zeros(32, np.float32), requires_grad=True)
    W2 = Tensor((rng.standard_normal((32, 2)) * np.sqrt(1 / 32)).astype(np.float32), requires_grad=True)
    b2 = Tensor(np.zeros(2, np.float32), requires_grad=True)
    opt = make([W1, b1, W2, b2])
    sched = optim.ExponentialDecay(opt, base=0.99)
    batches = optim.minibatches(X, Y, batch_size=64, seed=0)

    def cost(x, y):
        logits = (Tensor(x) @ W1 + b1).relu() @ W2 + b2
        return -(Tensor(y) * logits.log_softmax()).sum(axis=1).mean(), logits

    first = cost(X, Y)[0].item()
    for _ in range(epochs):
        for xb, yb in batches:
            opt.zero_grad()
            cost(xb, yb)[0].backward()
            opt.step()
        sched.step()
    last, logits = cost(X, Y)
    accuracy = np.mean(logits.data.argmax(axis=1) == Y.argmax(axis=1))
    assert last.item() < first / 4 and accuracy >= 0.95, (first, last.item(), accuracy)
