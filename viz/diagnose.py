"""The notes' bias/variance reading of train and dev errors, as text.

Avoidable bias is train error minus the base (Bayes, or human-level) error;
variance is dev error minus train error. Either above its tolerance (5
percentage points by default) is "high". A train error below the base error
(negative avoidable bias) is said so in the text: the base is set too high, or
the model fits the training set's noise. The notes' examples, with a base error
of 0: train 1% / dev 11% is high variance, 15% / 16% high bias, 15% / 30% both,
0.5% / 1% fine; with a base error of 15%, 15% / 16% is fine.
"""

from __future__ import annotations

import math

BIAS_TOLERANCE = 0.05  # train error - base error above this: high bias
VARIANCE_TOLERANCE = 0.05  # dev error - train error above this: high variance

BELOW_BASE = (" (train error below the base error: no bias left to avoid; the base error is set too high, "
              "or the model has memorized noise of the training set)")

ADVICE = {
    "high bias": "high bias: try a bigger network or training longer (or another architecture)",
    "high variance": "high variance: try more data or regularization (L2, dropout)",
}


def _error(value: float, what: str) -> float:
    x = float(value)
    if math.isnan(x) or not 0.0 <= x <= 1.0:
        raise ValueError(f"diagnose: {what} must be a fraction between 0 and 1 (0.11 for 11%); got {value!r}")
    return x


def diagnose(train_error: float, dev_error: float, base_error: float = 0.0, *,
             bias_tolerance: float = BIAS_TOLERANCE, variance_tolerance: float = VARIANCE_TOLERANCE) -> str:
    """"high bias", "high variance", "high bias and high variance" or "fine" (errors as fractions)."""
    train = _error(train_error, "train_error")
    dev = _error(dev_error, "dev_error")
    base = _error(base_error, "base_error")
    bias = train - base > bias_tolerance
    variance = dev - train > variance_tolerance
    if bias and variance:
        return "high bias and high variance"
    return "high bias" if bias else "high variance" if variance else "fine"


def explain(train_error: float, dev_error: float, base_error: float = 0.0, *,
            bias_tolerance: float = BIAS_TOLERANCE, variance_tolerance: float = VARIANCE_TOLERANCE) -> str:
    """The reading with its numbers and what the notes suggest doing about it."""
    verdict = diagnose(train_error, dev_error, base_error, bias_tolerance=bias_tolerance,
                       variance_tolerance=variance_tolerance)
    bias = train_error - base_error
    numbers = (f"train error {train_error:.1%}, dev error {dev_error:.1%}, base error {base_error:.1%}: "
               f"avoidable bias {bias:.1%}{BELOW_BASE if bias < 0 else ''}, variance {dev_error - train_error:.1%}")
    if verdict == "fine":
        return f"{numbers}; fine: low bias and low variance"
    advice = "; ".join(ADVICE[v] for v in ("high bias", "high variance") if v in verdict)
    return f"{numbers}; {advice}"
