"""The checker catches deliberately broken backward rules, and its report points at the right input or parameter.

Each bug is a hand-written `Function` whose forward is right and whose backward
is wrong in one classic way (the mistakes the notes' gradient check exists for):
a wrong sign, a wrong broadcast reduction, a transposed matmul gradient, 1% off
in one component among thousands, a bug only in a bias gradient, a backward
that is right at first order but not differentiable.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_notes import Function, Tensor, gradcheck, gradcheck_model, gradgradcheck

rng = np.random.default_rng(0)


class SquareWrongSign(Function):
    def forward(ctx, x):
        return x * x

    def backward(ctx, g):  # bug: d(x^2)/dx is 2x, not -2x
        return -(g * ctx.inputs[0] * 2)


def test_wrong_sign_is_caught_on_its_input_only() -> None:
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    report = gradcheck(lambda x, y: SquareWrongSign.apply(x) * y, [x, y])
    assert not report.passed
    assert not report["input 0"].passed and report["input 1"].passed
    assert report["input 0"].failed == 12
    worst = report["input 0"].worst[0]
    assert worst.analytical == pytest.approx(-worst.numerical, rel=1e-6)
    assert report.reading == "likely a bug" and report.decision == "12 of 288 components fail"


class AddBiasMeanReduced(Function):
    """x (m, n) + b (n,), with b's gradient reduced by a mean where broadcasting needs a sum."""

    def forward(ctx, x, b):
        return x + b

    def backward(ctx, g):  # bug: the broadcast copies of b each add their gradient: g.sum(0), not g.mean(0)
        return g, g.mean(axis=0)


class AddBiasFirstRow(Function):
    def forward(ctx, x, b):
        return x + b

    def backward(ctx, g):  # bug: the reduction over the broadcast axis is missing: only row 0 is kept
        return g, g[0]


@pytest.mark.parametrize("op", [AddBiasMeanReduced, AddBiasFirstRow])
def test_wrong_broadcast_reduction_is_pinned_on_the_broadcast_input(op: type) -> None:
    inputs = {"x": rng.standard_normal((8, 3)), "b": rng.standard_normal(3)}
    report = gradcheck(lambda x, b: op.apply(x, b).tanh().sum(), inputs)
    assert not report.passed
    assert report["x"].passed
    assert not report["b"].passed and report["b"].failed == 3
    assert "b" in str(report) and "worst components of b" in str(report)


def test_an_unreduced_broadcast_gradient_of_the_wrong_shape_is_refused_by_the_engine() -> None:
    class AddBiasUnreduced(Function):
        def forward(ctx, x, b):
            return x + b

        def backward(ctx, g):  # returns (8, 3) for b of shape (1, 3)
            return g, g

    with pytest.raises(RuntimeError, match=r"gradient of shape \(8, 3\) for an input of shape \(1, 3\)"):
        gradcheck(lambda x, b: AddBiasUnreduced.apply(x, b), [rng.standard_normal((8, 3)), rng.standard_normal((1, 3))])


class MatMulTransposedGrad(Function):
    def forward(ctx, a, b):
        return a @ b

    def backward(ctx, g):  # bug: dA = G B^T, written as G B (square shapes hide it from shape checks)
        a, b = ctx.inputs
        return g @ b, a.T @ g


def test_transposed_matmul_gradient_is_caught_on_the_left_operand() -> None:
    a, b = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    report = gradcheck(lambda a, b: MatMulTransposedGrad.apply(a, b), [a, b])
    assert not report["input 0"].passed and report["input 0"].failed > 0
    assert report["input 1"].passed


def _linear(wrong_component: tuple[int, int] | None, factor: float = 1.01, bias_bug: bool = False) -> type:
    class Linear(Function):
        """x @ W + b, with an optional bug in one component of dW, or in db."""

        def forward(ctx, x, W, b):
            return x @ W + b

        def backward(ctx, g):
            x, W, b = ctx.inputs
            dW = x.T @ g
            if wrong_component is not None:
                scale = np.ones(W.shape)
                scale[wrong_component] = factor
                dW = dW * scale
            db = g.sum(axis=0) * 0.5 if bias_bug else g.sum(axis=0)  # bug: db = sum over the batch, halved
            return g @ W.T, dW, db

    return Linear


def _mlp(sizes: list[int], seed: int) -> dict[str, Tensor]:
    r = np.random.default_rng(seed)
    params = {}
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = Tensor(r.standard_normal((n_in, n_out)) / np.sqrt(n_in), requires_grad=True)
        params[f"b{layer}"] = Tensor(0.1 * r.standard_normal(n_out), requires_grad=True)
    return params


def _forward(linears: list[type]):
    def forward(params: dict[str, Tensor], X: Tensor) -> Tensor:
        h = X
        for layer, linear in enumerate(linears, start=1):
            h = linear.apply(h, params[f"W{layer}"], params[f"b{layer}"])
            if layer < len(linears):
                h = h.tanh()
        return h

    return forward


def _cross_entropy(logits: Tensor, y: np.ndarray) -> Tensor:
    return -(logits.log_softmax(-1) * y).sum() / len(y)


def _data(n_in: int, n_classes: int, m: int = 16, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    r = np.random.default_rng(seed)
    return r.standard_normal((m, n_in)), np.eye(n_classes)[r.integers(0, n_classes, m)]


def test_one_component_off_by_1_percent_among_thousands_is_named() -> None:
    sizes = [64, 64, 10]  # 4,810 parameters
    params, (X, y) = _mlp(sizes, 0), _data(64, 10)
    good = _forward([_linear(None), _linear(None)])
    # The gradient of W1 at this point, to pick a component of typical (median) size to break.
    cost = _cross_entropy(good(params, Tensor(X)), y)
    cost.backward()
    g = np.abs(params["W1"].grad.data)
    flat = int(np.argsort(g, axis=None)[g.size // 2])
    target = tuple(int(i) for i in np.unravel_index(flat, g.shape))
    for p in params.values():
        p.grad = None

    buggy = _forward([_linear(target), _linear(None)])
    report = gradcheck_model(params, _cross_entropy, X, y, forward=buggy)
    assert not report.passed
    entry = report["W1"]
    assert entry.failed == 1 and entry.worst[0].index == target and entry.worst[0].status == "fail"
    assert entry.worst[0].analytical == pytest.approx(entry.worst[0].numerical * 1.01, rel=1e-4)
    assert all(report[n].passed for n in ("b1", "W2", "b2"))
    # The notes' global figure alone dilutes it: far below the 1e-3 of "a bug".
    assert report.rel_error < 1e-3
    # The fast check catches it too (its probes move every component by +-eps) and then names it.
    fast = gradcheck_model(params, _cross_entropy, X, y, forward=buggy, fast=True)
    assert not fast.passed and fast["W1"].mode == "fast, then full" and fast["W1"].worst[0].index == target
    assert all(fast[n].passed for n in ("b1", "W2", "b2"))


class _TwoLayerNet:
    """A tiny model with named_parameters(), built directly from Tensors (no nn)."""

    def __init__(self, linears: list[type], seed: int = 0) -> None:
        self.params = _mlp([5, 4, 3], seed)
        self.forward = _forward(linears)

    def named_parameters(self):
        return iter(self.params.items())

    def __call__(self, X: Tensor) -> Tensor:
        return self.forward(self.params, X)


@pytest.mark.parametrize("fast", [False, True])
def test_a_bug_only_in_a_bias_gradient_shows_as_that_bias(fast: bool) -> None:
    model = _TwoLayerNet([_linear(None), _linear(None, bias_bug=True)])
    X, y = _data(5, 3, m=7)
    report = gradcheck_model(model, _cross_entropy, X, y, fast=fast)
    assert [e.name for e in report.entries if not e.passed] == ["b2"]
    assert report["b2"].worst, "the failing parameter lists its worst components"


class CubeDetachedBackward(Function):
    def forward(ctx, x):
        return x**3

    def backward(ctx, g):  # right value, but built from .data: a constant, so no second derivative
        return g * Tensor(3 * ctx.inputs[0].data ** 2)


def test_a_backward_that_is_not_differentiable_passes_order_1_and_fails_order_2() -> None:
    x = rng.uniform(0.5, 1.5, (2, 3))
    assert gradcheck(lambda x: CubeDetachedBackward.apply(x), [x]).passed
    report = gradgradcheck(lambda x: CubeDetachedBackward.apply(x), [x])
    assert not report["input 0"].passed
    assert report["grad_output"].passed


class TanhGradWrongInG(Function):
    """g * (1 - y^2) with a wrong derivative with respect to g."""

    def forward(ctx, g, y):
        return g * (1 - y * y)

    def backward(ctx, gg):
        g, y = ctx.inputs
        return gg * (1 + y * y), gg * g * y * -2  # bug: d/dg is 1 - y^2


class MyTanh(Function):
    saves_output = True

    def forward(ctx, x):
        return np.tanh(x)

    def backward(ctx, g):
        return TanhGradWrongInG.apply(g, ctx.output())


def test_second_order_checks_the_rule_for_the_incoming_gradient_too() -> None:
    x = rng.uniform(-1, 1, (3,))
    assert gradcheck(lambda x: MyTanh.apply(x), [x]).passed
    report = gradgradcheck(lambda x: MyTanh.apply(x), [x])
    assert report["input 0"].passed
    assert not report["grad_output"].passed


def test_a_gradient_cut_with_item_is_caught_even_though_the_graph_could_be_replayed() -> None:
    """x * x.sum().item(): backward treats the factor as a constant, the function does not."""
    x = rng.standard_normal((3, 4))
    report = gradcheck(lambda x: (x * x.sum().item()).sum(), [x])
    assert not report.passed and report["input 0"].failed == 12
    assert any("called directly" in note for note in report.notes)


def test_a_function_computed_outside_the_graph_is_caught() -> None:
    """The output does not depend on x through the graph at all (a numpy detour): analytical 0."""
    x = rng.standard_normal(4)
    report = gradcheck(lambda x: Tensor(np.tanh(x.data)).sum() + x.sum() * 0, [x])
    assert not report.passed
    assert report["input 0"].worst[0].analytical == 0.0
