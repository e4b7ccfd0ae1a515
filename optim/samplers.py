"""Hyperparameter samplers on the right scale: uniform, integer, choice, log-uniform, and one-minus-log for β.

The notes: pick α in [1e-4, 1] as α = 10^r with r uniform in [−4, 0] (each decade gets as many tries
as the others), and β in [0.9, 0.999] as β = 1 − 10^r with r in [−3, −1] (results are sensitive
near 1). Each sampler draws with a given numpy Generator and can `narrow` itself around the values
of the best trials (coarse to fine), measuring distance on its own scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


class Sampler:
    """Draws one value per trial; `narrow(values)` returns a sampler over the region those values span."""

    def sample(self, rng: np.random.Generator) -> Any:
        """One value, drawn with `rng`."""
        raise NotImplementedError(f"{type(self).__name__} must define sample(rng)")

    def narrow(self, values: Sequence[Any], margin: float = 0.25) -> Sampler:
        """A sampler over the region `values` (the best trials' values) span, widened by `margin` of it."""
        raise NotImplementedError(f"{type(self).__name__} must define narrow(values, margin)")


class _Interval(Sampler):
    """Uniform in some transform u = to_u(x) of the value; narrowing works on u too."""

    def __init__(self, low: float, high: float) -> None:
        if not low < high:
            raise ValueError(f"{type(self).__name__}: low must be below high, got low={low!r}, high={high!r}")
        self.low, self.high = low, high

    def to_u(self, x: float) -> float:
        return x

    def from_u(self, u: float) -> float:
        return u

    def sample(self, rng: np.random.Generator) -> Any:
        a, b = sorted((self.to_u(self.low), self.to_u(self.high)))
        x = float(self.from_u(rng.uniform(a, b)))
        return min(max(x, self.low), self.high)  # 10^log10(x) may round a hair outside the bounds

    def narrow(self, values: Sequence[Any], margin: float = 0.25) -> Sampler:
        """The span of `values` on this sampler's scale, widened by `margin` of the span each side, within bounds."""
        if not len(values):
            return self
        u = [self.to_u(v) for v in values]
        a, b = sorted((self.to_u(self.low), self.to_u(self.high)))
        lo, hi = min(u), max(u)
        pad = margin * (hi - lo) if hi > lo else margin * (b - a) / 4
        lo, hi = max(a, lo - pad), min(b, hi + pad)
        ends = sorted((self.from_u(lo), self.from_u(hi)))
        return type(self)(ends[0], ends[1])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.low:.4g}, {self.high:.4g})"


class Uniform(_Interval):
    """x uniform in [low, high]: for hyperparameters whose effect is linear in them (keep_prob, say)."""


class LogUniform(_Interval):
    """x = 10^r with r uniform in [log10 low, log10 high]: learning rates, λ; every decade equally likely."""

    def __init__(self, low: float, high: float) -> None:
        if not low > 0:
            raise ValueError(f"LogUniform: low must be > 0 (it is 10^r), got {low!r}")
        super().__init__(low, high)

    def to_u(self, x: float) -> float:
        return math.log10(x)

    def from_u(self, u: float) -> float:
        return 10.0**u


class OneMinusLog(_Interval):
    """x = 1 − 10^r, r uniform in [log10(1 − high), log10(1 − low)]: β near 1 (0.9 ... 0.999 by default)."""

    def __init__(self, low: float = 0.9, high: float = 0.999) -> None:
        if not high < 1:
            raise ValueError(f"OneMinusLog: high must be < 1 (it is 1 - 10^r), got {high!r}")
        super().__init__(low, high)

    def to_u(self, x: float) -> float:
        return math.log10(1.0 - x)

    def from_u(self, u: float) -> float:
        return 1.0 - 10.0**u


class Integer(Sampler):
    """An integer uniform in [low, high], both included: hidden units, layers, epochs."""

    def __init__(self, low: int, high: int) -> None:
        if not (isinstance(low, (int, np.integer)) and isinstance(high, (int, np.integer)) and low <= high):
            raise ValueError(f"Integer: low and high must be integers with low <= high, got {low!r}, {high!r}")
        self.low, self.high = int(low), int(high)

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high, endpoint=True))

    def narrow(self, values: Sequence[Any], margin: float = 0.25) -> Sampler:
        if not len(values):
            return self
        lo, hi = min(values), max(values)
        pad = math.ceil(margin * (hi - lo)) if hi > lo else math.ceil(margin * (self.high - self.low) / 4)
        return Integer(max(self.low, int(lo) - pad), min(self.high, int(hi) + pad))

    def __repr__(self) -> str:
        return f"Integer({self.low}, {self.high})"


class Choice(Sampler):
    """One of a list of options, equally likely: activation, optimizer name, batch size from (64, 128, 256)."""

    def __init__(self, options: Sequence[Any]) -> None:
        self.options = list(options)
        if not self.options:
            raise ValueError("Choice: give at least one option")

    def sample(self, rng: np.random.Generator) -> Any:
        value = self.options[int(rng.integers(len(self.options)))]
        return value.item() if isinstance(value, np.generic) else value

    def narrow(self, values: Sequence[Any], margin: float = 0.25) -> Sampler:
        """Keep the options the best trials used (all of them if none)."""
        kept = [o for o in self.options if any(o == v for v in values)]
        return Choice(kept) if kept else self

    def __repr__(self) -> str:
        return f"Choice({self.options!r})"
