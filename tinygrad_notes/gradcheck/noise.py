"""How much rounding noise the function's values carry: a floor from their size, and the function's own, measured.

A two-sided difference (f(θ+ε) − f(θ−ε)) / 2ε of values that each carry rounding
noise σ is off by about 0.7 σ/ε, so a component may differ from backward by up to
`ALLOWANCE` σ/ε (about 11 standard deviations) before it counts.

The floor takes σ = 2 ulps of the values' magnitude (`floor_sigma`): right for most
functions, but a function that adds up large terms which cancel (10^5 offsets of
±10 summing to about 0) rounds at the size of its terms, not of its result. So
when a component fails at the floor, the function's own noise is measured
(`sigma_along_line`): along a random direction u, f(θ + kεu) for k = ±2..±7 is a
smooth function of k whose fourth differences vanish at this scale (ε⁴ f''''),
so what they show is rounding: Var(Δ⁴f) = 70 σ². The points next to θ (k = −1, 0, 1)
are left out, so a kink exactly at θ (ReLU at 0) cannot pass for noise.
"""

from __future__ import annotations

import numpy as np

FLOAT64_UNIT = float(np.finfo(np.float64).eps)
ULPS = 2.0  # the floor: values are taken to carry 2 ulps of rounding
ALLOWANCE = 8.0  # a difference may be off by ALLOWANCE * sigma / eps (the floor gives 16 ulps * |f| / eps)
LINE = (-7, -6, -5, -4, -3, -2, 2, 3, 4, 5, 6, 7)  # step multiples along a direction for the noise measurement
LINE_DIRECTIONS = 2  # random directions per input for the measurement (4 fourth differences each)
_WINDOWS = ((0, 5), (1, 6), (6, 11), (7, 12))  # runs of 5 consecutive steps in LINE, none touching θ
_BINOMIAL4 = np.array([1.0, -4.0, 6.0, -4.0, 1.0])


def floor_sigma(magnitude: np.ndarray, unit: float = FLOAT64_UNIT) -> np.ndarray:
    """The rounding noise assumed from the values' size alone: ULPS units of roundoff of |f|."""
    return ULPS * unit * magnitude


def allowance(sigma: np.ndarray, eps: float) -> np.ndarray:
    """What noise σ in the values allows in a two-sided difference with step ε."""
    return ALLOWANCE * sigma / eps


def sigma_along_line(values: np.ndarray) -> np.ndarray:
    """Rounding noise σ per output from f at θ + kεu, k in LINE (shape (len(LINE), outputs)), one or more lines
    stacked along a leading axis (shape (lines, len(LINE), outputs))."""
    v = values.reshape((-1, len(LINE)) + values.shape[-1:])
    fourth = np.stack([np.tensordot(_BINOMIAL4, v[:, a:b], axes=(0, 1)) for a, b in _WINDOWS])  # (4, lines, m)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.sqrt(np.mean(fourth**2, axis=(0, 1)) / 70.0)
