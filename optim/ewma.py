"""Exponentially weighted moving average: the notes' v_t = βv_{t−1} + (1 − β)θ_t, the idea under momentum and Adam.

It averages over roughly the last 1/(1 − β) values (β = 0.9: 10 days, 0.98: 50, 0.5: 2): the weight of
a value k steps back is (1 − β)βᵏ, and βᵏ falls to about 1/e at k = 1/(1 − β). Starting at v₀ = 0
pulls the first values towards zero; bias correction v_t/(1 − βᵗ) removes that pull.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


class EWMA:
    """Running average `v = β v + (1 − β) θ` of numbers or arrays; `.value` is bias-corrected when asked.

        avg = EWMA(0.9)
        for temperature in readings:
            avg.update(temperature)
        avg.value        # v_t / (1 − βᵗ) with bias_correction=True, else v_t
    """

    def __init__(self, beta: float = 0.9, bias_correction: bool = True) -> None:
        if not 0 <= beta < 1:
            raise ValueError(f"EWMA: beta must be in [0, 1), got {beta!r} (it averages over about 1/(1 - beta) values)")
        self.beta = float(beta)
        self.bias_correction = bool(bias_correction)
        self.raw: Any = 0.0  # v_t without correction (v₀ = 0)
        self.t = 0  # values seen

    @property
    def window(self) -> float:
        """About how many recent values the average covers: 1/(1 − β)."""
        return 1.0 / (1.0 - self.beta)

    def update(self, theta: Any) -> Any:
        """Fold in the next value θ_t and return the new average (corrected if bias_correction)."""
        if isinstance(theta, np.ndarray) or hasattr(theta, "shape"):
            theta = np.asarray(theta)
            if self.t and np.shape(self.raw) != theta.shape:
                raise ValueError(f"EWMA.update: got a value of shape {theta.shape} after values of shape "
                                 f"{np.shape(self.raw)}; an average needs values of one shape")
        self.raw = self.beta * self.raw + (1.0 - self.beta) * theta
        self.t += 1
        return self.value

    @property
    def value(self) -> Any:
        """The average now: v_t / (1 − βᵗ) with bias correction, else v_t (0 before any update)."""
        if not self.bias_correction or self.t == 0:
            return self.raw
        return self.raw / (1.0 - self.beta**self.t)

    @classmethod
    def series(cls, values: Iterable[Any], beta: float = 0.9, bias_correction: bool = True) -> np.ndarray:
        """The average after each value of a sequence, as an array (the notes' smoothed temperature curve)."""
        avg = cls(beta, bias_correction)
        return np.array([avg.update(v) for v in values])

    def reset(self) -> None:
        """Start over from v₀ = 0."""
        self.raw, self.t = 0.0, 0

    def state_dict(self) -> dict[str, Any]:
        return {"beta": self.beta, "bias_correction": self.bias_correction, "t": self.t,
                "raw": np.array(self.raw, copy=True)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.beta = float(state["beta"])
        self.bias_correction = bool(state["bias_correction"])
        self.t = int(state["t"])
        raw = np.array(state["raw"], copy=True)
        self.raw = raw.item() if raw.ndim == 0 else raw

    def __repr__(self) -> str:
        return f"EWMA(beta={self.beta}, bias_correction={self.bias_correction}, t={self.t}, value={self.value})"
