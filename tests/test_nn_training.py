"""End to end: small nets built from nn train to a real accuracy, and a whole model's gradient checks out."""

from __future__ import annotations

import numpy as np
from test_nn_opinfo import numeric_grads, rel_error

import nn
from nn import functional as F
from tinygrad_notes import Tensor, grad, no_grad
from tinygrad_notes.random import frozen_randomness


def _spirals(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals in 2-D (a classic non-linear toy problem), with a little noise."""
    labels = rng.integers(0, 2, n)
    t = rng.uniform(0.25, 1.0, n) * 3 * np.pi
    angle = t + np.pi * labels
    points = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) / (3 * np.pi)
    return (points + rng.normal(0, 0.02, points.shape)).astype(np.float32), labels


def _sgd(params: list[Tensor], lr: float) -> None:
    with no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None


def _accuracy(model: nn.Module, x: np.ndarray, labels: np.ndarray) -> float:
    model.eval()
    with no_grad():
        predicted = model(Tensor(x)).data.argmax(axis=1)
    model.train()
    return float((predicted == labels).mean())


def test_an_mlp_learns_two_spirals() -> None:
    rng = np.random.default_rng(0)
    x, labels = _spirals(rng, 600)
    x_test, labels_test = _spirals(rng, 400)
    model = nn.Sequential(nn.Linear(2, 64, generator=rng), nn.ReLU(), nn.Linear(64, 64, generator=rng), nn.ReLU(),
                          nn.Linear(64, 2, generator=rng))
    params = list(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    for _epoch in range(60):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 64):
            batch = order[start:start + 64]
            loss = loss_fn(model(Tensor(x[batch])), labels[batch])
            loss.backward()
            _sgd(params, lr=0.3)
    assert _accuracy(model, x, labels) >= 0.97
    assert _accuracy(model, x_test, labels_test) >= 0.95


def test_without_a_hidden_layer_the_spirals_cannot_be_separated() -> None:
    """The notes: softmax regression's boundaries are linear; this is what makes the spiral test mean something."""
    rng = np.random.default_rng(0)
    x, labels = _spirals(rng, 600)
    model = nn.Linear(2, 2, generator=rng)
    for _step in range(100):
        F.cross_entropy(model(Tensor(x)), labels).backward()
        _sgd(list(model.parameters()), lr=0.5)
    assert _accuracy(model, x, labels) < 0.7


def test_batch_norm_and_dropout_train_together_and_eval_is_deterministic() -> None:
    rng = np.random.default_rng(1)
    x, labels = _spirals(rng, 600)
    model = nn.Sequential(nn.Linear(2, 64, generator=rng), nn.BatchNorm1d(64), nn.ReLU(),
                          nn.Dropout(0.1, generator=rng), nn.Linear(64, 64, generator=rng), nn.BatchNorm1d(64),
                          nn.ReLU(), nn.Linear(64, 2, generator=rng))
    params = list(model.parameters())
    for _epoch in range(30):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 64):
            batch = order[start:start + 64]
            loss = F.cross_entropy(model(Tensor(x[batch])), labels[batch]) + nn.l2_penalty(model, 1e-3, 64)
            loss.backward()
            _sgd(params, lr=0.2)
    assert _accuracy(model, x, labels) >= 0.95
    model.eval()
    one = Tensor(x[:1])
    np.testing.assert_array_equal(model(one).data, model(one).data)  # eval: no dropout, running statistics
    # independent of the rest of the batch (up to BLAS rounding, which differs with the batch size)
    np.testing.assert_allclose(model(one).data[0], model(Tensor(x[:5])).data[0], rtol=1e-5)


def test_the_gradient_of_a_whole_model_with_dropout_and_l2_checks_out() -> None:
    """The notes' recipe: J includes the L2 term, dropout's masks are frozen, theta runs over every parameter."""
    rng = np.random.default_rng(2)
    model = nn.Sequential(nn.Linear(3, 5, generator=rng), nn.Tanh(), nn.Dropout(0.4, generator=rng),
                          nn.BatchNorm1d(5), nn.Linear(5, 2, generator=rng)).double()
    x, labels = Tensor(rng.standard_normal((6, 3))), rng.integers(0, 2, 6)
    names = [n for n, _ in model.named_parameters()]

    def cost(params: dict[str, Tensor]) -> Tensor:
        out = nn.functional_call(model, params, x)
        return F.cross_entropy(out, labels) + nn.l2_penalty(list(params.values()), 0.3, 6)

    with frozen_randomness() as replay:  # the first evaluation draws the masks, every later one replays them
        analytic = grad(cost(dict(model.named_parameters())), list(model.parameters()))

        def cost_at(arrays: list[np.ndarray]) -> float:
            replay.restart()
            with no_grad():
                return cost({n: Tensor(a) for n, a in zip(names, arrays)}).item()

        numeric = numeric_grads(cost_at, [p.data.copy() for p in model.parameters()])
    for name, a, n in zip(names, analytic, numeric):
        assert rel_error(a.data, n) < 1e-7, name
