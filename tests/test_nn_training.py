"""End to end: small nets built from nn train to a real accuracy, and a whole model's gradient checks out."""

from __future__ import annotations

import numpy as np

import nn
from nn import functional as F
from tinygrad_notes import Tensor, gradcheck_model, no_grad


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
    report = gradcheck_model(model, F.cross_entropy, x, labels, regularization=lambda m: nn.l2_penalty(m, 0.3, 6))
    assert report.passed and report.rel_error < 1e-7
    assert [e.name for e in report.entries] == [n for n, _ in model.named_parameters()]
    assert any("randomness frozen" in note for note in report.notes)
