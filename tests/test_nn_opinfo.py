"""Every nn entry of the op registry is gradient-checked, first and second order, by two-sided differences.

Until tinygrad_notes.gradcheck lands, the checking is a small float64 helper
here: J = sum(fn(inputs) * w) with fixed random weights w (so every output
entry counts), its gradient by backward against (J(x + eps e_i) - J(x - eps e_i)) / 2 eps,
compared with the notes' relative error ||a - n|| / (||a|| + ||n||). The second
order checks the gradient of h = <dJ/dx, v> (built with create_graph=True) the
same way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
import pytest

import nn
from nn import functional as F
from tinygrad_notes import Tensor, grad
from tinygrad_notes.registry import OpInfo, Sample, all_ops

EPS = 1e-6
REL_TOL = 1e-7  # the notes: about 1e-7 is great
ABS_FLOOR = 1e-9  # both gradients this small: equal for any practical purpose


def _nn_entries() -> list[tuple[OpInfo, Sample]]:
    rng = np.random.default_rng(0)
    return [(op, s) for op in all_ops() if op.name.startswith("nn.") for s in op.samples(rng)]


CASES = _nn_entries()
IDS = [f"{op.name}[{i}]" for i, (op, _) in enumerate(CASES)]


def rel_error(a: np.ndarray, n: np.ndarray) -> float:
    """The notes' relative error, 0 when both are 0."""
    denom = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - n) / denom)


def _tensors(arrays: list[np.ndarray]) -> list[Tensor]:
    return [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]


def _grads(value: Tensor, xs: list[Tensor], create_graph: bool = False) -> list[np.ndarray | Tensor]:
    """d value / d xs, zeros for inputs value does not depend on."""
    if not value.requires_grad:
        return [np.zeros(x.shape) for x in xs]
    gs = grad(value, xs, allow_unused=True, create_graph=create_graph)
    return [np.zeros(x.shape) if g is None else g for g, x in zip(gs, xs)]


def numeric_grads(f: Callable[[list[np.ndarray]], float], arrays: list[np.ndarray],
                  points: int = 2) -> list[np.ndarray]:
    """Central differences of the scalar f at `arrays`, one component at a time, in float64.

    points=2 is the notes' (f(x+e) - f(x-e)) / 2e with e = 1e-6; points=4 is the
    fourth-order stencil (f(x-2e) - 8 f(x-e) + 8 f(x+e) - f(x+2e)) / 12e with e = 1e-4,
    used for second order, where h is itself computed with rounding error that a
    tiny step would magnify.
    """
    stencil = {2: (EPS, ((1, 0.5), (-1, -0.5))),
               4: (1e-4, ((2, -1 / 12), (1, 8 / 12), (-1, -8 / 12), (-2, 1 / 12)))}[points]
    step, terms = stencil
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    out = []
    for a in arrays:
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            old = a[i]
            total = 0.0
            for k, c in terms:
                a[i] = old + k * step
                total += c * f(arrays)
            a[i] = old
            g[i] = total / step
        out.append(g)
    return out


def assert_close(analytic: list, numeric: list[np.ndarray], what: str) -> None:
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        a = a.data if isinstance(a, Tensor) else np.asarray(a)
        err = rel_error(a, n)
        small = max(np.abs(a).max(initial=0), np.abs(n).max(initial=0)) < ABS_FLOOR
        assert err < REL_TOL or small or np.abs(a - n).max(initial=0) < ABS_FLOOR, (
            f"{what}, input {i}: relative error {err:.2e}\nanalytic\n{a}\nnumeric\n{n}"
        )


def check_first_order(fn: Callable, sample: Sample) -> None:
    weights: list[np.ndarray] = []

    def objective(xs: list[Tensor]) -> Tensor:
        out = fn(*xs, **sample.kwargs)
        if not weights:
            weights.append(np.random.default_rng(1).uniform(0.5, 1.5, out.shape))
        return (out * weights[0]).sum()

    xs = _tensors(list(sample.inputs))
    analytic = _grads(objective(xs), xs)
    numeric = numeric_grads(lambda arrays: float(objective([Tensor(a) for a in arrays]).item()), list(sample.inputs))
    assert_close(analytic, numeric, "first order")


def check_second_order(fn: Callable, sample: Sample) -> None:
    rng = np.random.default_rng(2)
    directions = [rng.standard_normal(np.shape(a)) for a in sample.inputs]
    weights: list[np.ndarray] = []

    def h(xs: list[Tensor]) -> Tensor:
        """<dJ/dx, v>, recorded so it can be differentiated again."""
        out = fn(*xs, **sample.kwargs)
        if not weights:
            weights.append(np.random.default_rng(1).uniform(0.5, 1.5, out.shape))
        gs = _grads((out * weights[0]).sum(), xs, create_graph=True)
        terms = [(g * v).sum() for g, v in zip(gs, directions) if isinstance(g, Tensor)]
        return sum(terms[1:], terms[0]) if terms else Tensor(0.0, dtype=np.float64)

    xs = _tensors(list(sample.inputs))
    analytic = _grads(h(xs), xs)

    def h_value(arrays: list[np.ndarray]) -> float:
        return float(h(_tensors(arrays)).item())

    assert_close(analytic, numeric_grads(h_value, list(sample.inputs), points=4), "second order")


@pytest.mark.parametrize(("op", "sample"), CASES, ids=IDS)
def test_gradient_matches_two_sided_differences(op: OpInfo, sample: Sample) -> None:
    check_first_order(op.fn, sample)


@pytest.mark.parametrize(("op", "sample"), [c for c in CASES if c[0].second_order],
                         ids=[i for i, c in zip(IDS, CASES) if c[0].second_order])
def test_second_order_gradient_matches_differences_of_gradients(op: OpInfo, sample: Sample) -> None:
    check_second_order(op.fn, sample)


def test_every_functional_op_and_every_layer_is_registered() -> None:
    names = {op.name for op in all_ops()}
    functional = {f"nn.functional.{n}" for n in F.__all__}
    layers = {f"nn.{n}" for n in nn.__all__
              if inspect.isclass(getattr(nn, n)) and issubclass(getattr(nn, n), nn.Module) and n != "Module"}
    assert len(layers) >= 17 and len(functional) >= 14
    assert functional - names == set()
    assert layers - names == set()


@pytest.mark.parametrize(("op", "sample"), CASES, ids=IDS)
def test_samples_follow_the_registry_contract(op: OpInfo, sample: Sample) -> None:
    """Inputs are float numpy arrays (0-d ones included), as the shared gradient checker expects."""
    assert sample.inputs and all(type(a) is np.ndarray and a.dtype.kind == "f" for a in sample.inputs)
    assert sample.note


def test_the_checker_here_catches_a_wrong_gradient() -> None:
    """The helper is not vacuous: a layer whose backward is off by 1% in one entry fails it."""

    class Scale(nn.Module):
        def forward(self, x: Tensor) -> Tensor:
            y = x * 2.0
            if y.requires_grad:
                    y.register_hook(lambda g: g * np.where(np.arange(g.size).reshape(g.shape) == 3, 1.01, 1.0))
            return y

    with pytest.raises(AssertionError, match="relative error"):
        check_first_order(lambda x: Scale()(x), Sample((np.random.default_rng(0).standard_normal((2, 3)),)))
