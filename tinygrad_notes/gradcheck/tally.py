"""One input's components as they are judged, block by block: counts, the notes' norms, and the worst ones.

A large Jacobian is judged in blocks of components (core.py), so nothing here keeps
a value per component: the counts, the sums of squares behind the relative error,
per output the largest difference beyond noise (for "within noise"), and the
`worst` components in the order a reader needs them: NaN/Inf and failures first,
then kinks, then the rest, each by how far beyond its tolerance it lies.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from tinygrad_notes.gradcheck.judge import FAIL, KINK, NONFINITE, Around
from tinygrad_notes.gradcheck.noise import allowance
from tinygrad_notes.gradcheck.report import Component, Entry

if TYPE_CHECKING:
    from tinygrad_notes.gradcheck.core import Check

_PRIORITY = np.array([0.0, 2.0, 1.0, 3.0])  # by status OK, FAIL, KINK, NONFINITE: the order of the worst list


class Tally:
    """One input's components as they are judged, block by block: counts, norms, and the worst ones."""

    def __init__(self, check: Check, k: int, base: np.ndarray) -> None:
        self.check, self.k, self.base, self.shape = check, k, base, base.shape
        self.checked = self.failed = self.kinks = self.nonfinite = self.rescued = self.rechecked = 0
        self.sums = np.zeros(3)  # ||num||^2, ||ana||^2, ||num - ana||^2 over the smooth, finite components
        self.beyond_noise = np.zeros(check.m)  # per output, the largest |num - ana| beyond atol + noise (0: none)
        self.max_abs_diff = 0.0
        self.worst: list[tuple[float, Component]] = []

    def add(self, cols: np.ndarray, status: np.ndarray, num: np.ndarray, ana: np.ndarray, bound: np.ndarray,
            noise: np.ndarray, around: Around, rescued: np.ndarray, retried: np.ndarray) -> None:
        check, s = self.check, self.check.s
        with np.errstate(invalid="ignore"):
            diff = np.abs(num - ana)
        fails, kinks = int(np.count_nonzero(status == FAIL)), int(np.count_nonzero(status == KINK))
        nonfinite = int(np.count_nonzero(status == NONFINITE))
        self.checked += status.size
        self.failed += fails + (0 if s.allow_kinks else kinks)
        self.kinks += kinks
        self.nonfinite += nonfinite
        if retried.any():
            self.rescued += int(rescued.sum())
            self.rechecked += int(retried.sum())
            check.rescued += int(rescued.sum())
            check.rechecked += int(retried.sum())
        if nonfinite or (kinks and s.allow_kinks):  # the norms leave kinks (when allowed) and NaN/Inf out
            smooth = (status != NONFINITE) & ((status != KINK) if s.allow_kinks else True)
            n, a, d = num[smooth], ana[smooth], diff[smooth]
        else:
            smooth, n, a, d = None, num.ravel(), ana.ravel(), diff.ravel()
        self.sums += [n @ n, a @ a, d @ d]
        beyond = diff > s.atol + noise
        if smooth is not None:
            beyond &= smooth
        if beyond.any():
            self.beyond_noise = np.maximum(self.beyond_noise, np.max(np.where(beyond, diff, 0.0), axis=1))
        finite = diff if not nonfinite else diff[status != NONFINITE]
        if finite.size:
            self.max_abs_diff = max(self.max_abs_diff, float(finite.max()))
            check.noise_max = max(check.noise_max, float((noise if not nonfinite else noise[status != NONFINITE])
                                                         .max()))
        self._keep_worst(cols, status, num, ana, bound, diff, around, rescued)

    def _keep_worst(self, cols: np.ndarray, status: np.ndarray, num: np.ndarray, ana: np.ndarray, bound: np.ndarray,
                    diff: np.ndarray, around: Around, rescued: np.ndarray) -> None:
        """Merge this block's worst components into the list: by priority (NaN, fail, kink, ok), then badness."""
        with np.errstate(invalid="ignore", divide="ignore"):
            badness = diff / bound
            key = (_PRIORITY[status] + np.where(np.isnan(badness) | np.isinf(badness), 0.999,
                                                badness / (1 + badness))).reshape(-1)
        count = self.check.s.worst
        top = np.argpartition(-key, count)[:count] if key.size > count else np.arange(key.size)
        width = status.shape[1]
        for flat in top[np.argsort(-key[top], kind="stable")]:
            if len(self.worst) == count and key[flat] <= self.worst[-1][0]:
                break
            row, col = divmod(int(flat), width)
            self.worst.append((float(key[flat]), self._component(row, col, cols, status, num, ana, bound, around,
                                                                     rescued)))
            self.worst.sort(key=lambda item: -item[0])
            del self.worst[count:]

    def _component(self, row: int, col: int, cols: np.ndarray, status: np.ndarray, num: np.ndarray, ana: np.ndarray,
                   bound: np.ndarray, around: Around, rescued: np.ndarray) -> Component:
        check = self.check
        st = int(status[row, col])
        a, n = float(ana[row, col]), float(num[row, col])
        if st == NONFINITE:
            sides = [side for side, v in (("analytical", a), ("numerical", n)) if not math.isfinite(v)]
            text = f"{'NaN' if any(math.isnan(v) for v in (a, n)) else 'Inf'} ({' and '.join(sides)})"
        elif st == KINK:
            text = "kink" if check.s.allow_kinks else "kink (counted)"
        elif st == FAIL:
            text = "fail"
        else:
            text = "ok (Richardson)" if rescued[row, col] else "ok"
        return Component(
            index=tuple(int(i) for i in np.unravel_index(int(cols[col]), self.shape)), analytical=a, numerical=n,
            tolerance=float(bound[row, col]), status=text,
            output_index=tuple(int(i) for i in np.unravel_index(row, check.output_shape)) if check.m > 1 else None,
            left=float(around.left[row, col]) if st == KINK else None,
            right=float(around.right[row, col]) if st == KINK else None)

    def entry(self) -> Entry:
        num2, ana2, diff2 = (float(v) for v in self.sums)
        norms = (math.sqrt(num2), math.sqrt(ana2), math.sqrt(diff2))
        rel = 0.0 if norms[0] + norms[1] == 0 else norms[2] / (norms[0] + norms[1])
        if self.nonfinite:
            rel = math.nan  # the notes' figure over components of which some are NaN or Inf
        check, s = self.check, self.check.s
        near_zero = not self.beyond_noise.any()
        if not near_zero and not self.failed and not self.nonfinite and rel > s.threshold:
            # Every component passed, but the figure is above the threshold: is every difference the function's
            # own rounding (a gradient that is 0, or small beside what the function adds up)?
            sigma = check.ev.noise(self.k, self.base)
            check.noise_used = True
            near_zero = bool(np.all(self.beyond_noise <= s.atol + allowance(sigma, check.eps)))
        passed = not self.failed and not self.nonfinite and (rel <= s.threshold or near_zero)
        return Entry(name="", shape=self.shape, passed=passed, rel_error=rel, checked=self.checked,
                     failed=self.failed, kinks=self.kinks, nonfinite=self.nonfinite, rechecked=self.rechecked,
                     rescued=self.rescued, worst=[c for _, c in self.worst], max_abs_diff=self.max_abs_diff,
                     norms=norms, within_noise=passed and rel > s.threshold)
