"""The per-component decision, on arrays of f around θ: the tolerance, kinks, and the Richardson re-check.

For a block of components of one input (columns) and every output (rows):

- a component passes when |num − ana| <= atol + rtol·|num| + noise, where noise is
  what the values' rounding allows in a difference (noise.py);
- it is a *kink* when its one-sided slopes (f(θ+ε) − f(θ))/ε and (f(θ) − f(θ−ε))/ε
  differ beyond noise and the change of slope is not a smooth function's: with
  f(θ ± 2ε) too, a smooth function's third differences are ε³f''' (nothing at
  this scale) while a kink within ε leaves one of about ε·|jump|. A kink passes when
  backward's value lies between the two slopes (a subgradient), whatever the
  two-sided difference says, and is reported either way;
- a component that still fails is re-checked with Richardson's extrapolation
  (4 d(ε) − d(2ε)) / 3, whose error is O(ε⁴) where d's is O(ε²), before it is
  called a bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_notes.tensor import Tensor

OK, FAIL, KINK, NONFINITE = 0, 1, 2, 3
KINK_NOISE = 2.5  # a slope jump must exceed this many noise allowances (std of r - l is ~3.5x a difference's)
THIRD_NOISE = float(np.sqrt(20.0))  # std of a third difference is sqrt(20) sigma
SMOOTH_RATIO = 0.25  # a kink leaves third differences of at least ~ this fraction of eps * |jump|
RICHARDSON_NOISE = 1.35  # (4 d(eps) - d(2 eps)) / 3 carries 1.35x the noise of d(eps)


@dataclass(frozen=True)
class Tolerances:
    """atol and rtol of the per-component test."""

    atol: float
    rtol: float


@dataclass
class Around:
    """f around θ for a block of components: f(θ), f(θ ± ε e_i) per output (rows) and component (columns)."""

    f0: np.ndarray  # (rows, 1)
    plus: np.ndarray  # (rows, cols)
    minus: np.ndarray
    up: np.ndarray  # (θ_i + ε) − θ_i exactly as represented, (cols,)
    down: np.ndarray  # θ_i − (θ_i − ε)

    @property
    def numerical(self) -> np.ndarray:
        """The two-sided difference over the step actually taken."""
        return (self.plus - self.minus) / (self.up + self.down)

    @property
    def right(self) -> np.ndarray:
        return (self.plus - self.f0) / self.up

    @property
    def left(self) -> np.ndarray:
        return (self.f0 - self.minus) / self.down

    @property
    def magnitude(self) -> np.ndarray:
        """Per component, the largest |f| among the values its difference was taken from (all outputs: the rows
        share intermediates, so an output near 0 can carry the rounding of large ones)."""
        with np.errstate(invalid="ignore"):
            return np.max(np.maximum(np.abs(self.plus), np.abs(self.minus)), axis=0, initial=0.0)


def decide(num: np.ndarray, ana: np.ndarray, noise: np.ndarray, tol: Tolerances) -> tuple[np.ndarray, np.ndarray]:
    """Status (OK, FAIL, NONFINITE) and the bound atol + rtol|num| + noise each component was held to."""
    with np.errstate(invalid="ignore"):
        bound = tol.atol + tol.rtol * np.abs(num) + noise
        status = np.where(np.abs(num - ana) > bound, FAIL, OK).astype(np.int8)
    status[~(np.isfinite(num) & np.isfinite(ana))] = NONFINITE
    return status, bound


def kink_candidates(around: Around, noise: np.ndarray, tol: Tolerances) -> np.ndarray:
    """Components whose one-sided slopes differ beyond noise (a kink, or only curvature: see `refine`)."""
    left, right = around.left, around.right
    with np.errstate(invalid="ignore"):
        bound = 2 * (tol.atol + tol.rtol * np.maximum(np.abs(left), np.abs(right))) + KINK_NOISE * noise
        return np.abs(right - left) > bound


@dataclass
class Refined:
    """The outcome of looking further at components with f(θ ± 2ε e_i)."""

    status: np.ndarray
    numerical: np.ndarray  # Richardson's value where it decided, else the two-sided difference
    rescued: np.ndarray  # failed at ε, passed with Richardson
    retried: np.ndarray  # re-checked with Richardson (passed or not)


def refine(around: Around, far: Around, ana: np.ndarray, status: np.ndarray, bound: np.ndarray,
           noise: np.ndarray, candidates: np.ndarray, tol: Tolerances) -> Refined:
    """Kinks among `candidates`, and Richardson's re-check of the components that fail and are not kinks.

    `far` holds f(θ ± 2ε e_i) for the same components.
    """
    f2, f1, f0, fm1, fm2 = far.plus, around.plus, around.f0, around.minus, far.minus
    h = (around.up + around.down) / 2
    left, right = around.left, around.right
    with np.errstate(invalid="ignore", over="ignore"):
        third = np.maximum(np.abs(f2 - 3 * f1 + 3 * f0 - fm1), np.abs(f1 - 3 * f0 + 3 * fm1 - fm2))
        jump = np.abs(right - left)
        kink = candidates & (third > np.maximum(THIRD_NOISE * noise * h, SMOOTH_RATIO * h * jump))
        kink &= status != NONFINITE
        between = (ana >= np.minimum(left, right) - bound) & (ana <= np.maximum(left, right) + bound)
        out = status.copy()
        out[kink] = np.where(between[kink], KINK, FAIL)
        richardson = (4 * around.numerical - far.numerical) / 3
        retried = (status == FAIL) & ~kink
        rescued = retried & (np.abs(richardson - ana) <= tol.atol + tol.rtol * np.abs(richardson)
                             + RICHARDSON_NOISE * noise)
    out[rescued] = OK
    numerical = np.where(retried, richardson, around.numerical)
    return Refined(out, numerical, rescued, retried)


def relative_error(numerical: Any, analytical: Any) -> float:
    """The notes' ||num - ana||_2 / (||num||_2 + ||ana||_2) over all components (0 when both are 0)."""
    num, ana = _flat(numerical), _flat(analytical)
    if num.shape != ana.shape:
        raise ValueError(f"relative_error: {num.size} numerical components against {ana.size} analytical ones")
    denominator = np.linalg.norm(num) + np.linalg.norm(ana)
    return 0.0 if denominator == 0 else float(np.linalg.norm(num - ana) / denominator)


def _flat(values: Any) -> np.ndarray:
    def arr(v: Any) -> np.ndarray:
        return np.ravel(np.asarray(v.numpy() if isinstance(v, Tensor) else v, dtype=np.float64))

    if isinstance(values, (list, tuple)) and values and not np.isscalar(values[0]):
        return np.concatenate([arr(v) for v in values])
    return arr(values)


def norms(num: np.ndarray, ana: np.ndarray) -> tuple[float, float, float]:
    """||num||, ||ana||, ||num - ana||."""
    return float(np.linalg.norm(num)), float(np.linalg.norm(ana)), float(np.linalg.norm(num - ana))
