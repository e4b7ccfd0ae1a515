"""Learning-rate decay: each schedule's value at given epochs, per param group, and its checks."""

import math

import numpy as np
import pytest

import optim
from tinygrad_notes import Tensor


def optimizer(lr: float = 0.2, head_lr: float | None = None) -> optim.SGD:
    W, b = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(1), requires_grad=True)
    if head_lr is None:
        return optim.SGD([W, b], lr=lr)
    return optim.SGD([{"params": [W]}, {"params": [b], "lr": head_lr}], lr=lr)


def lrs_over(sched: optim.LRScheduler, epochs: int) -> list[float]:
    """The learning rate of group 0 in epochs 0 .. epochs-1 (step() once at the end of each)."""
    out = []
    for _ in range(epochs):
        out.append(sched.get_last_lr()[0])
        sched.step()
    return out


def test_inverse_time_decay_reproduces_the_notes_table():
    # The notes: α₀ = 0.2, decay_rate = 1 gives 0.1, 0.067, 0.05, 0.04 in their epochs 1..4 (they count from 1).
    lrs = lrs_over(optim.InverseTimeDecay(optimizer(0.2), decay_rate=1.0), 5)
    assert lrs[0] == 0.2
    np.testing.assert_allclose(lrs[1:], [0.1, 0.2 / 3, 0.05, 0.04], rtol=1e-12)


def test_exponential_decay_is_095_to_the_epoch_by_default():
    lrs = lrs_over(optim.ExponentialDecay(optimizer(0.2)), 30)
    np.testing.assert_allclose(lrs, [0.2 * 0.95**e for e in range(30)], rtol=1e-12)
    lrs = lrs_over(optim.ExponentialDecay(optimizer(0.2), base=0.5), 4)
    np.testing.assert_allclose(lrs, [0.2, 0.1, 0.05, 0.025], rtol=1e-12)


def test_inverse_sqrt_decay_treats_epoch_zero_as_epoch_one():
    lrs = lrs_over(optim.InverseSqrtDecay(optimizer(0.2), k=0.5), 6)
    np.testing.assert_allclose(lrs, [0.1, 0.1] + [0.2 * 0.5 / math.sqrt(e) for e in range(2, 6)], rtol=1e-12)


def test_step_decay_is_a_staircase():
    lrs = lrs_over(optim.StepDecay(optimizer(0.2), step_size=3, gamma=0.1), 9)
    np.testing.assert_allclose(lrs, [0.2] * 3 + [0.02] * 3 + [0.002] * 3, rtol=1e-12)


def test_lambda_lr_and_per_group_base_rates():
    sched = optim.LambdaLR(optimizer(0.2, head_lr=1.0), lambda epoch: 1.0 if epoch < 2 else 0.1)
    seen = []
    for _ in range(4):
        seen.append(sched.get_last_lr())
        sched.step()
    np.testing.assert_allclose(seen, [[0.2, 1.0], [0.2, 1.0], [0.02, 0.1], [0.02, 0.1]], rtol=1e-12)
    assert sched.optimizer.param_groups[1]["lr"] == pytest.approx(0.1)
    assert sched.lr_at(10) == pytest.approx([0.02, 0.1])


def test_the_schedule_drives_the_optimizers_step_size():
    W = Tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([W], lr=1.0)
    sched = optim.InverseTimeDecay(opt, decay_rate=1.0)
    moves = []
    for _ in range(3):
        before = W.data.copy()
        W.grad = Tensor(np.ones(1))
        opt.step()
        moves.append(float(before[0] - W.data[0]))
        sched.step()
    np.testing.assert_allclose(moves, [1.0, 0.5, 1 / 3], rtol=1e-12)


@pytest.mark.parametrize("make, message", [
    (lambda o: optim.InverseTimeDecay(o, decay_rate=-1), "decay_rate must be >= 0"),
    (lambda o: optim.ExponentialDecay(o, base=1.5), r"base must be in \(0, 1\]"),
    (lambda o: optim.InverseSqrtDecay(o, k=0), "k must be > 0"),
    (lambda o: optim.StepDecay(o, step_size=0), "step_size must be"),
    (lambda o: optim.LambdaLR(o, 0.5), "lr_lambda must be a function"),
    (lambda o: optim.ExponentialDecay("not an optimizer"), "expected an optim.Optimizer"),
])
def test_bad_schedule_arguments_are_refused(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make(optimizer())
