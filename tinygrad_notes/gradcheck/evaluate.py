"""f at moved points, by calling the function or by replaying its recorded graph on batches of points.

Every real call moves one input by letting its leaf read a work array
(`tinygrad_notes.leafswap.reading`): the leaf's own array, a model's parameter,
is never written. Every call restarts the frozen randomness, so dropout masks are
the same in all of them.

The replay (replay.py) is the function *as recorded*; it is trusted for an input
only when its difference quotients along two random directions agree with real
calls' to within rounding (`validate`). What counts as rounding is first its
floor, then, before a mismatch is believed, the function's measured noise: a
replay that sums in another order than the call differs from it at the level of
the terms it adds, which is no mismatch at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tinygrad_notes.gradcheck.judge import Tolerances
from tinygrad_notes.gradcheck.noise import LINE, LINE_DIRECTIONS, allowance, floor_sigma, sigma_along_line
from tinygrad_notes.gradcheck.replay import GraphReplay
from tinygrad_notes.leafswap import reading
from tinygrad_notes.mode import no_grad
from tinygrad_notes.random import FrozenDraws
from tinygrad_notes.tensor import Tensor

BATCH_FLOATS = 1 << 18  # a batched replay moves at most about this many floats per op: batches stay in cache


def output_of(out: object, who: str) -> Tensor:
    """`out`, which must be the Tensor a checked function returns."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{who}: the function must return a Tensor, it returned {type(out).__name__}")
    return out


class Evaluator:
    """Evaluates the checked function at points of one input at a time; counts real calls and replayed points."""

    def __init__(self, call: Callable[[], Tensor], leaves: list[Tensor], frozen: FrozenDraws,
                 rng: np.random.Generator, eps: float, unit: float) -> None:
        self.call_fn, self.leaves, self.frozen, self.rng = call, leaves, frozen, rng
        self.eps, self.unit = eps, unit
        self.calls = self.replays = 0
        self.replay: GraphReplay | None = None
        self.trusted = [False] * len(leaves)
        self.roundoff_mismatch = [False] * len(leaves)  # replay and calls differed, but only by rounding
        self._noise: dict[int, np.ndarray] = {}

    # ---- single evaluations --------------------------------------------------------------------
    def call(self) -> np.ndarray:
        """One real call at the leaves' current values, as a flat float64 array."""
        self.calls += 1
        self.frozen.restart()
        with no_grad():
            out = output_of(self.call_fn(), "gradcheck")
        return np.array(out.numpy(), dtype=np.float64).reshape(-1)

    def at(self, k: int, points: np.ndarray, replayed: bool) -> np.ndarray:
        """f at each of `points` (values of leaf k, shape (P, *leaf.shape)): an array (P, outputs)."""
        if replayed:
            assert self.replay is not None
            per_point = max(points[0].size if len(points) else 1, self.replay.largest)
            chunk = max(1, BATCH_FLOATS // per_point)
            self.replays += len(points)
            parts = [self.replay.evaluate(k, points[i:i + chunk]).reshape(len(points[i:i + chunk]), -1)
                     for i in range(0, len(points), chunk)]
            return np.concatenate(parts) if parts else np.empty((0, 0))
        work = np.array(points[0]) if len(points) else None
        rows = []
        with reading(self.leaves[k], work):
            for point in points:
                work[...] = point
                rows.append(self.call())
        return np.stack(rows)

    # ---- structured sets of points ---------------------------------------------------------------
    def along_components(self, k: int, base: np.ndarray, cols: np.ndarray, multiples: Sequence[int],
                         replayed: bool) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """f(θ + sε e_i) for the components `cols` of leaf k and each s in `multiples`.

        Returns, per s, the values (outputs, len(cols)) and the offsets fl(θ_i + sε) − θ_i actually taken.
        """
        flat = base.reshape(-1)
        moved = [flat[cols] + s * self.eps for s in multiples]
        offsets = [m - flat[cols] for m in moved]
        per_point = max(base.size, self.replay.largest if replayed and self.replay is not None else 1)
        chunk = max(1, BATCH_FLOATS // (len(multiples) * per_point))
        parts: list[list[np.ndarray]] = [[] for _ in multiples]
        for start in range(0, len(cols), chunk):
            idx = np.arange(start, min(len(cols), start + chunk))
            c = len(idx)
            points = np.repeat(flat[None], len(multiples) * c, axis=0)
            for j, m in enumerate(moved):
                points[j * c + np.arange(c), cols[idx]] = m[idx]
            ys = self.at(k, points.reshape((len(points),) + base.shape), replayed)
            for j in range(len(multiples)):
                parts[j].append(ys[j * c:(j + 1) * c].T)
        values = [np.concatenate(p, axis=1) for p in parts]
        return values, offsets

    def along(self, k: int, base: np.ndarray, u: np.ndarray, multiples: Sequence[int],
              replayed: bool) -> tuple[np.ndarray, np.ndarray]:
        """f(θ + sεu) for each s: values (len(multiples), outputs) and the points themselves."""
        points = np.stack([base + s * self.eps * u for s in multiples])
        return self.at(k, points, replayed), points

    # ---- noise ------------------------------------------------------------------------------------
    def noise(self, k: int, base: np.ndarray) -> np.ndarray:
        """The function's own rounding noise σ per output, measured by real calls along random directions."""
        if k not in self._noise:
            u = self.rng.choice([-1.0, 1.0], (LINE_DIRECTIONS,) + base.shape)
            lines = np.stack([self.along(k, base, u[d], LINE, replayed=False)[0] for d in range(LINE_DIRECTIONS)])
            self._noise[k] = sigma_along_line(lines)
        return self._noise[k]

    def measured(self, k: int) -> np.ndarray | None:
        return self._noise.get(k)

    # ---- the replay ---------------------------------------------------------------------------------
    def record_replay(self, out: Tensor, y0: np.ndarray) -> str | None:
        """Record the graph for batched evaluation; a remark when it cannot be used."""
        try:
            replay = GraphReplay(out, self.leaves)
        except Exception as err:  # noqa: BLE001 - a graph we cannot replay just means: call the function
            return (f"the recorded graph could not be replayed ({type(err).__name__}: {err}); the function was "
                    "called for every evaluation")
        y = np.asarray(replay.output(), dtype=np.float64).reshape(-1)
        bound = allowance(floor_sigma(np.max(np.abs(y0), initial=0.0), self.unit), 1.0)
        if y.shape != y0.shape or not np.all((np.abs(y - y0) <= bound) | (y == y0) | (np.isnan(y) & np.isnan(y0))):
            return ("replaying the recorded graph did not reproduce the output (the function computes outside "
                    "its graph): it was called for every evaluation")
        self.replay = replay
        return None

    def validate(self, k: int, base: np.ndarray, f0: np.ndarray, tol: Tolerances) -> bool:
        """Trust the replay for leaf k only if its slopes along two random directions are the function's.

        `f0` is a real call's value at θ itself.
        """
        u = self.rng.choice([-1.0, 1.0], (2,) + base.shape)
        points = np.stack([base, base + self.eps * u[0], base + self.eps * u[1], base - self.eps * u[0],
                           base - self.eps * u[1]])
        real = np.concatenate([f0.reshape(1, -1), self.at(k, points[1:], replayed=False)])
        replayed = self.at(k, points, replayed=True)
        slope_real = (real[1:3] - real[3:5]) / (2 * self.eps)
        slope_replayed = (replayed[1:3] - replayed[3:5]) / (2 * self.eps)
        with np.errstate(invalid="ignore"):
            gap = np.abs(slope_replayed - slope_real)
            same = (slope_replayed == slope_real) | (np.isnan(slope_replayed) & np.isnan(slope_real))
            # rounding between the two ways of computing: its floor, and what they differ by at θ itself,
            # where anything computed outside the graph still has its recorded value
            sigma = np.maximum(floor_sigma(np.max(np.abs(real), axis=0), self.unit), np.abs(replayed[0] - real[0]))
            if np.all(same | (gap <= tol.atol + allowance(sigma, self.eps))):
                self.trusted[k] = True
                return True
            sigma = np.maximum(sigma, self.noise(k, base))  # a mismatch at the level of the function's own noise?
            self.trusted[k] = bool(np.all(same | (gap <= tol.atol + allowance(sigma, self.eps))))
        self.roundoff_mismatch[k] = self.trusted[k]
        return self.trusted[k]
