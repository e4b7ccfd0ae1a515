"""The graph replay the full check uses to evaluate perturbed copies is the function itself, batch by batch.

For every registry sample (first order, and the gradient graph of second order)
a batch of moved copies of each input is replayed and compared with real calls.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_notes import Function, Tensor, grad, gradcheck
from tinygrad_notes.combine import concatenate
from tinygrad_notes.gradcheck import registry
from tinygrad_notes.gradcheck.replay import GraphReplay

# Samples that sit on a kink on purpose are left out: any move crosses it, and a replay is the function as
# recorded (a where's mask, a sort's order), which the checker compares with real calls before trusting it.
CASES = [(op, i, s) for op in registry.all_ops() for i, s in enumerate(op.samples(np.random.default_rng(0)))
         if not s.at_kink]
IDS = [f"{op.name}[{i}]" for op, i, _ in CASES]


def _first_derivatives(op, kwargs: dict, n: int):
    """(inputs..., v) -> v . d op / d inputs, flattened: the function gradgradcheck checks."""

    def fn(*args: Tensor) -> Tensor:
        xs, v = args[:n], args[n]
        y = op.fn(*xs, **kwargs)
        gs = grad(y, list(xs), grad_outputs=v, create_graph=True, allow_unused=True)
        return concatenate([g.reshape(-1) if g is not None else Tensor(np.zeros(x.size)) for g, x in zip(gs, xs)])

    return fn


def _assert_replay_matches_calls(fn, arrays: list[np.ndarray], seed: int) -> None:
    rng = np.random.default_rng(seed)
    leaves = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = fn(*leaves)
    replay = GraphReplay(out, leaves)
    np.testing.assert_allclose(replay.output(), out.data, rtol=1e-13, atol=1e-13)
    for k, leaf in enumerate(leaves):
        points = leaf.data + 1e-3 * rng.standard_normal((3,) + leaf.shape)  # small moves: no kink is crossed
        got = replay.evaluate(k, points)
        assert got.shape == (3,) + out.shape
        for point, value in zip(points, got):
            args = [Tensor(point if j == k else leaves[j].data, requires_grad=True) for j in range(len(leaves))]
            np.testing.assert_allclose(value, fn(*args).data, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("op", "index", "sample"), CASES, ids=IDS)
def test_replay_of_each_sample_equals_calling_the_op(op, index: int, sample) -> None:
    _assert_replay_matches_calls(lambda *xs: op.fn(*xs, **sample.kwargs), list(sample.inputs), index)


@pytest.mark.parametrize(("op", "index", "sample"), CASES, ids=IDS)
def test_replay_of_each_gradient_graph_equals_calling_it(op, index: int, sample) -> None:
    out_shape = op.fn(*[Tensor(a) for a in sample.inputs], **sample.kwargs).shape
    v = np.random.default_rng(index).standard_normal(out_shape)
    _assert_replay_matches_calls(_first_derivatives(op, sample.kwargs, len(sample.inputs)), [*sample.inputs, v], index)


def test_ops_without_a_batching_rule_run_once_per_copy() -> None:
    class Softplus(Function):  # a user's op: the replay has no rule for it
        def forward(ctx, x):
            return np.log1p(np.exp(x))

        def backward(ctx, g):
            return g * ctx.inputs[0].sigmoid()

    _assert_replay_matches_calls(lambda x, w: Softplus.apply(x @ w).sum(axis=0),
                                 [np.ones((2, 3)), np.linspace(-1, 1, 12).reshape(3, 4)], 0)


def test_only_the_ops_downstream_of_the_moved_input_are_rerun() -> None:
    x = Tensor(np.ones((4, 3)))
    W1, W2 = (Tensor(np.full(s, 0.5), requires_grad=True) for s in ((3, 3), (3, 2)))
    out = ((x @ W1).tanh() @ W2).sum()
    replay = GraphReplay(out, [W1, W2])
    assert replay.n_nodes == 4 and replay.nodes_rerun(0) == 4 and replay.nodes_rerun(1) == 2


@st.composite
def broadcast_pairs(draw) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast together: sizes kept or set to 1, and b possibly missing leading axes."""
    shape = draw(st.lists(st.integers(1, 3), min_size=0, max_size=3))
    a = tuple(s if draw(st.booleans()) else 1 for s in shape)
    b = tuple(s if draw(st.booleans()) else 1 for s in shape)[draw(st.integers(0, len(shape))):]
    return a, b


BINARY = {
    "add": lambda x, y: (x + y).tanh(),
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "maximum": lambda x, y: x.maximum(y * 0.1 + 1),  # y * 0.1 + 1 is in [1.2, 1.3], x in [0.5, 1.5]: ties unlikely
}


@settings(deadline=None, max_examples=30)
@given(broadcast_pairs(), st.sampled_from(sorted(BINARY)))
def test_replay_and_check_agree_with_calls_for_random_broadcast_shapes(shapes, op: str) -> None:
    sa, sb = shapes
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.5, 1.5, sa), rng.uniform(2.0, 3.0, sb)
    _assert_replay_matches_calls(BINARY[op], [a, b], 0)
    assert gradcheck(BINARY[op], [a, b]).passed
