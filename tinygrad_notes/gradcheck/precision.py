"""The check runs in float64, and says so when the function computes below that anyway.

One mechanism for float64, used by every entry point: the values the check moves
become float64 copies (`float64_copies`, one warning naming them), and while the
check runs, Python numbers and lists the function turns into Tensors become float64
too (`float64_inside`: the engine's per-thread `default_dtype`, so no other
thread's default changes).

A function can still compute in float32 inside (an `.astype(np.float32)`, a
float32 constant it multiplies by): its values then carry float32's rounding,
about 1e-7 relative, and a difference at ε = 1e-7 is mostly that rounding. Such a
check cannot be tight; `Precision` gives the step and the rounding unit it then
uses: ε = (float32 epsilon)^(1/3) ≈ 5e-3, where rounding (≈ u/ε) and the
difference's own error (≈ ε²) balance, and Richardson's re-check takes the ε²
away.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_notes.mode import default_dtype

FLOAT64 = np.dtype(np.float64)


def float64_inside() -> default_dtype:
    """While inside, this thread's Python numbers and lists become float64 Tensors."""
    return default_dtype(np.float64)


def float64_copies(named: Sequence[tuple[str, Any]], who: str, stacklevel: int = 3) -> tuple[list[np.ndarray],
                                                                                             list[str]]:
    """float64 copies of arrays (the originals are never written); a warning and a note naming any promoted."""
    copies, promoted = [], []
    for name, value in named:
        array = np.asarray(value)
        if array.dtype != FLOAT64:
            promoted.append(f"{name} ({array.dtype})")
        copies.append(np.array(array, dtype=np.float64))
    if not promoted:
        return copies, []
    what = ", ".join(promoted)
    warnings.warn(f"{who}: {what} checked as float64 copies (the originals are untouched): with eps=1e-7 the "
                  "differences of float32 values are rounding noise (float32 resolves about 1e-7 relative)",
                  stacklevel=stacklevel)
    return copies, [f"{what} checked as float64 copies: float32 differences at eps=1e-7 are rounding noise"]


@dataclass(frozen=True)
class Precision:
    """The lowest float precision the function computes in, and the step and rounding unit the check uses."""

    eps: float  # the step of the differences
    unit: float = float(np.finfo(np.float64).eps)  # machine epsilon of that precision
    dtype: np.dtype = FLOAT64
    ops: tuple[str, ...] = field(default=())  # the ops computing below float64 (their outputs depend on the inputs)

    @property
    def reduced(self) -> bool:
        return self.dtype != FLOAT64

    def describe(self, largest_noise: float) -> str:
        """One line for the report: what limits the check and what error a correct gradient may still show."""
        ops = ", ".join(self.ops[:4]) + (", ..." if len(self.ops) > 4 else "")
        return (f"{self.dtype} inside ({ops}): {self.dtype}'s precision (about {self.unit:.0e} relative) limits this "
                f"check, so differences were taken with eps={self.eps:.1e} and a {self.dtype} rounding allowance; "
                f"a correct gradient may still differ by up to about {largest_noise:.1e} per component, and smaller "
                "errors cannot be seen. Compute in float64 for a tight check")


def precision_of(dtypes: Mapping[str, Any], eps: float) -> Precision:
    """The check's precision given the float dtypes (op name -> dtype) of the values that depend on the inputs."""
    low = [(np.dtype(d), name) for name, d in dtypes.items() if np.dtype(d).kind == "f" and np.dtype(d).itemsize < 8]
    if not low:
        return Precision(eps)
    dtype = min((d for d, _ in low), key=lambda d: d.itemsize)
    unit = float(np.finfo(dtype).eps)
    ops = tuple(dict.fromkeys(name for d, name in low if d == dtype))
    return Precision(max(eps, unit ** (1 / 3)), unit, dtype, ops)
