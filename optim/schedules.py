"""Learning-rate decay, per epoch as in the notes: call `scheduler.step()` once at the end of every epoch.

Epochs are counted from 0: the first pass over the data runs at α₀ (`epoch == 0`), and after k calls to
`step()` the learning rate is the schedule's value at epoch k. The notes number epochs from 1, so their
table for α₀ = 0.2, decay_rate = 1 (0.1, 0.067, 0.05, 0.04 in epochs 1..4) is `InverseTimeDecay`'s
value after 1..4 calls. Each group's α₀ is its learning rate when the scheduler was made. Calling
`step()` once per iteration instead gives the same formulas in iterations t (the notes' k/√t).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from optim.optimizer import Optimizer


class LRScheduler:
    """Sets every param group's lr to α₀·factor(epoch); subclasses define `factor`."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an optim.Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lrs = [float(group["lr"]) for group in optimizer.param_groups]
        self.epoch = 0
        self._apply()

    def factor(self, epoch: int) -> float:
        """The multiplier of α₀ at `epoch` (0, 1, 2, ...)."""
        raise NotImplementedError(f"{type(self).__name__} must define factor(epoch)")

    def lr_at(self, epoch: int) -> list[float]:
        """The learning rate of each param group at `epoch`, without changing anything."""
        f = self.factor(epoch)
        return [base * f for base in self.base_lrs]

    def step(self) -> None:
        """End of an epoch: move to the next one and set its learning rate."""
        self.epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The learning rate each param group has now."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def _apply(self) -> None:
        for group, lr in zip(self.optimizer.param_groups, self.lr_at(self.epoch)):
            group["lr"] = lr

    def state_dict(self) -> dict[str, Any]:
        """The epoch, each group's α₀ and the schedule's numbers (a LambdaLR's function is not saved)."""
        options = {k: v for k, v in vars(self).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        return {**options, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` saved and set the learning rates of the restored epoch."""
        for key, value in state.items():
            if key == "base_lrs":
                self.base_lrs = [float(v) for v in list(value)]
            elif key == "epoch":
                self.epoch = int(value)
            elif key in vars(self):
                setattr(self, key, type(getattr(self, key))(value))
            else:
                raise ValueError(f"{type(self).__name__}.load_state_dict: unknown entry {key!r}")
        if len(self.base_lrs) != len(self.optimizer.param_groups):
            raise ValueError(f"{type(self).__name__}.load_state_dict: {len(self.base_lrs)} base learning rates for "
                             f"{len(self.optimizer.param_groups)} param groups")
        self._apply()

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v}" for k, v in self.state_dict().items() if k not in ("base_lrs",))
        return f"{type(self).__name__}({options}, lr={self.get_last_lr()})"


class InverseTimeDecay(LRScheduler):
    """α = α₀ / (1 + decay_rate · epoch)."""

    def __init__(self, optimizer: Optimizer, decay_rate: float = 1.0) -> None:
        if not decay_rate >= 0:
            raise ValueError(f"InverseTimeDecay: decay_rate must be >= 0, got {decay_rate!r}")
        self.decay_rate = float(decay_rate)
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        return 1.0 / (1.0 + self.decay_rate * epoch)


class ExponentialDecay(LRScheduler):
    """α = α₀ · base^epoch (the notes' 0.95^epoch by default)."""

    def __init__(self, optimizer: Optimizer, base: float = 0.95) -> None:
        if not 0 < base <= 1:
            raise ValueError(f"ExponentialDecay: base must be in (0, 1], got {base!r}")
        self.base = float(base)
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        return self.base**epoch


class InverseSqrtDecay(LRScheduler):
    """α = α₀ · k / √epoch, with epoch 0 taken as epoch 1 (the formula has a pole at 0): α₀·k for both.

    So with k = 1 the first two epochs run at α₀, then α₀/√2, α₀/√3, ...
    """

    def __init__(self, optimizer: Optimizer, k: float = 1.0) -> None:
        if not k > 0:
            raise ValueError(f"InverseSqrtDecay: k must be > 0, got {k!r}")
        self.k = float(k)
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        return self.k / math.sqrt(max(epoch, 1))


class StepDecay(LRScheduler):
    """The notes' discrete staircase: α = α₀ · gamma^(epoch // step_size) (halve every 10 epochs by default)."""

    def __init__(self, optimizer: Optimizer, step_size: int = 10, gamma: float = 0.5) -> None:
        if not (isinstance(step_size, int) and step_size >= 1):
            raise ValueError(f"StepDecay: step_size must be a whole number of epochs >= 1, got {step_size!r}")
        if not 0 < gamma <= 1:
            raise ValueError(f"StepDecay: gamma must be in (0, 1], got {gamma!r}")
        self.step_size = step_size
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)


class LambdaLR(LRScheduler):
    """α = α₀ · lr_lambda(epoch), any schedule you can write as a function (the notes' "manual" decay too)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        if not callable(lr_lambda):
            raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got {type(lr_lambda).__name__}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        return float(self.lr_lambda(epoch))
