"""The engine behind gradcheck, gradgradcheck and gradcheck_model: differences, the per-component test, kinks.

`run_check(call, leaves, labels, ...)` checks the gradient of `call()` (a function
of the float64 leaf tensors `leaves`) with respect to each leaf:

1. Record: one call with the graph on, backward for the analytical gradient of
   each checked row w_j . output (a full Jacobian for small outputs, one random
   projection for large ones), and a `GraphReplay` of the recorded graph.
2. Full mode, per leaf: trust the replay only if it matches real calls at
   θ ± ε u (u random signs); evaluate f(θ ± ε e_i) for every component (by
   batched replay, or by calling); compare each component; look at the
   one-sided differences of those that fail (kinks); re-evaluate the worst
   flagged components by calling the function, and redo the leaf by calling if
   the replay disagrees.
3. Fast mode, per leaf: a few random directions u with entries ±1, comparing
   (f(θ+εu) - f(θ-εu)) / 2ε with g.u; a leaf whose probe fails is then checked
   component by component (`fallback`).

Every evaluation restarts the frozen randomness, so dropout masks are the same
in all of them. The tolerances are described in `gradcheck.py`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_notes.autograd import grad
from tinygrad_notes.gradcheck.replay import GraphReplay
from tinygrad_notes.gradcheck.report import Component, Entry, GradcheckReport, Probe
from tinygrad_notes.mode import enable_grad, no_grad
from tinygrad_notes.random import FrozenDraws as Replay, frozen_randomness
from tinygrad_notes.tensor import Tensor, get_default_dtype, set_default_dtype

EPS = 1e-7  # the notes' ε
ATOL = 1e-8
RTOL = 1e-5
THRESHOLD = 1e-5  # pass/fail bound on an input's relative error (the notes: about 1e-5, look closer)
NOISE_FACTOR = 16.0  # rounding noise allowance, in units of float64 epsilon * |f| / ε
MAX_OUTPUTS = 32  # outputs up to this size get a full Jacobian check; larger ones a random projection
PROBES = 4  # random directions per input in fast mode
RECHECK = 32  # components flagged on a replay that are evaluated again by calling the function
BATCH_FLOATS = 1 << 18  # a batched replay moves at most about this many floats per op: batches stay in cache

_U = float(np.finfo(np.float64).eps)
OK, FAIL, KINK = 0, 1, 2


@dataclass(frozen=True)
class Settings:
    """The knobs of one check (see `gradcheck` for their meaning)."""

    eps: float = EPS
    atol: float = ATOL
    rtol: float = RTOL
    threshold: float = THRESHOLD
    fast: bool = False
    probes: int = PROBES
    seed: int = 0
    fallback: bool = True
    allow_kinks: bool = True
    max_outputs: int = MAX_OUTPUTS
    worst: int = 5
    replay: bool = True


def output_of(out: Any, who: str) -> Tensor:
    """`out`, which must be the Tensor a checked function returns."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{who}: the function must return a Tensor, it returned {type(out).__name__}")
    return out


class float64_default:
    """Inside, Python numbers and lists that become Tensors in the checked function are float64."""

    def __enter__(self) -> None:
        self.prev = get_default_dtype()
        set_default_dtype(np.float64)

    def __exit__(self, *exc: object) -> None:
        set_default_dtype(self.prev)


def run_check(call: Callable[[], Tensor], leaves: list[Tensor], labels: list[str], settings: Settings, *,
              title: str, order: int, offsets: Sequence[int] | None = None) -> GradcheckReport:
    """Check the gradient of `call()` with respect to each of `leaves`; one report entry per leaf."""
    start = time.perf_counter()
    with float64_default(), frozen_randomness() as frozen:
        check = _Check(call, leaves, settings, frozen, title)
        entries = [check.leaf(k) for k in range(len(leaves))]
    offset = 0
    for k, entry in enumerate(entries):
        entry.name = labels[k]
        entry.offset = offsets[k] if offsets is not None else offset
        offset += entry.size
    return GradcheckReport(
        entries=entries, rel_error=_global_relative_error(entries), passed=all(e.passed for e in entries),
        order=order, mode="fast" if settings.fast else "full", eps=settings.eps, atol=settings.atol,
        rtol=settings.rtol, threshold=settings.threshold, noise=check.noise, evaluations=check.calls + check.replays,
        calls=check.calls, seconds=time.perf_counter() - start, title=title, notes=check.notes())


class _Check:
    """One check in progress: the recorded point, the analytical rows, the evaluator, the notes."""

    def __init__(self, call: Callable[[], Tensor], leaves: list[Tensor], s: Settings, frozen: Replay,
                 title: str) -> None:
        self.call_fn, self.leaves, self.s, self.frozen = call, leaves, s, frozen
        self.rng = np.random.default_rng(s.seed)
        self.calls = self.replays = 0
        self.noise = 0.0
        self.remarks: list[str] = []
        self.replay: GraphReplay | None = None
        self.trusted = [False] * len(leaves)
        with enable_grad():
            out = output_of(call(), title)
        if out.dtype != np.float64:
            warnings.warn(f"{title}: the function returned {out.dtype}, so part of it runs in lower precision "
                          "and the finite differences are mostly rounding noise; keep the computation in float64",
                          stacklevel=4)
            self.remarks.append(f"the function returned {out.dtype}: part of it ran below float64 precision")
        y0 = np.array(out._data, dtype=np.float64)
        self.output_shape = y0.shape
        self.weights, self.output_rows = self._output_weights(y0)
        self.analytical = self._analytical(out)
        if s.replay and not s.fast and out.requires_grad:
            self._record_replay(out, y0)

    # ---- recording -------------------------------------------------------------------------------
    def _output_weights(self, y0: np.ndarray) -> tuple[np.ndarray, bool]:
        """Rows w_j of the checked functions w_j . output: the identity (a full Jacobian) or one random row.

        A random row has entries ±[0.5, 1.5], so no output gets a weight near 0.
        """
        m = y0.size
        if m == 1:
            return np.ones((1, 1)), False
        if not self.s.fast and m <= self.s.max_outputs:
            return np.eye(m), True
        w = self.rng.uniform(0.5, 1.5, m) * self.rng.choice([-1.0, 1.0], m)
        return w.reshape(1, m), False

    def _analytical(self, out: Tensor) -> list[np.ndarray]:
        """Backward's gradient of each row w_j . output, per leaf: arrays of shape (rows, leaf.size)."""
        ana = [np.zeros((len(self.weights), leaf.size)) for leaf in self.leaves]
        if not out.requires_grad:
            self.remarks.append("the output does not depend on any checked input through the graph: "
                                "analytical gradient 0")
            return ana
        for j, w in enumerate(self.weights):
            grads = grad(out, self.leaves, grad_outputs=w.reshape(out.shape), retain_graph=True, allow_unused=True)
            for k, g in enumerate(grads):
                if g is not None:
                    ana[k][j] = np.asarray(g._data, dtype=np.float64).reshape(-1)
        return ana

    def _record_replay(self, out: Tensor, y0: np.ndarray) -> None:
        try:
            replay = GraphReplay(out, self.leaves)
        except Exception as err:  # noqa: BLE001 - a graph we cannot replay just means: call the function
            self.remarks.append(f"the recorded graph could not be replayed ({type(err).__name__}: {err}); "
                                "the function was called for every evaluation")
            return
        if _close(replay.output(), y0, _scale(y0)):
            self.replay = replay
        else:
            self.remarks.append("replaying the recorded graph did not reproduce the output: the function was "
                                "called for every evaluation")

    # ---- evaluating ---------------------------------------------------------------------------------
    def call(self) -> np.ndarray:
        """One real call of the function, at the leaves' current values, as a flat float64 array."""
        self.calls += 1
        self.frozen.restart()
        with no_grad():
            out = output_of(self.call_fn(), "gradcheck")
        return np.array(out._data, dtype=np.float64).reshape(-1)

    def outputs(self, k: int, work: np.ndarray, points: np.ndarray, replayed: bool) -> np.ndarray:
        """f at each of `points` (copies of leaf k, shape (P, *leaf.shape)): an array (P, output.size).

        One batched replay when `replayed`; else one call per point, leaf k reading `work` (inside `moving`).
        """
        if replayed:
            self.replays += len(points)
            return self.replay.evaluate(k, points).reshape(len(points), -1)  # type: ignore[union-attr]
        rows = []
        for point in points:
            work[...] = point
            rows.append(self.call())
        return np.stack(rows)

    def moving(self, k: int, work: np.ndarray) -> _Moving:
        return _Moving(self.leaves[k], work)

    def _validate_replay(self, k: int, base: np.ndarray) -> bool:
        """Trust the replay for leaf k only if it matches real calls at θ ± ε u, for two random sign vectors u."""
        u = self.rng.choice([-1.0, 1.0], (2,) + base.shape)
        points = np.concatenate([base + self.s.eps * u, base - self.s.eps * u])
        work = base.copy()
        with self.moving(k, work):
            real = self.outputs(k, work, points, replayed=False)
        return _close(self.outputs(k, work, points, replayed=True), real, _scale(real))

    # ---- checking one leaf ----------------------------------------------------------------------------
    def leaf(self, k: int) -> Entry:
        base = np.array(self.leaves[k]._data, dtype=np.float64)
        if self.s.fast:
            entry = self._fast(k, base)
            if not entry.passed and self.s.fallback:
                probes = entry.probes
                entry = self._full(k, base)
                entry.probes, entry.mode = probes, "fast, then full"
            return entry
        if self.replay is not None:
            self.trusted[k] = self._validate_replay(k, base)
        return self._full(k, base)

    def _full(self, k: int, base: np.ndarray) -> Entry:
        """Every component of leaf k: two-sided differences, the per-component test, kinks."""
        s, weights = self.s, self.weights
        indices = np.arange(base.size)
        work = base.copy()
        replayed = self.replay is not None and self.trusted[k]
        with self.moving(k, work):
            d = self._differences(k, work, base, indices, replayed)
            f0 = weights @ (self.replay.output().reshape(-1) if replayed else self.call())  # type: ignore[union-attr]
            status, tol = _judge(d, f0, self.analytical[k], s)
            if replayed and np.any(status != OK):
                d, f0, status, tol = self._recheck(k, work, base, d, f0, status, tol)
        return self._entry(d, f0, self.analytical[k], status, tol, base.shape)

    def _recheck(self, k: int, work: np.ndarray, base: np.ndarray, d: _Differences, f0: np.ndarray,
                 status: np.ndarray, tol: np.ndarray) -> tuple:
        """Components flagged on a replay: evaluate the worst of them by calling the function itself."""
        ana = self.analytical[k]
        flagged = np.flatnonzero(np.any(status != OK, axis=0))
        badness = np.max(np.abs(d.numerical - ana)[:, flagged] / tol[:, flagged], axis=0)
        again = flagged[np.argsort(-badness)[:RECHECK]]
        real = self._differences(k, work, base, again, replayed=False)
        f0_real = self.weights @ self.call()
        scale = float(np.max(real.magnitude))
        if _close(real.plus, d.plus[:, again], scale) and _close(real.minus, d.minus[:, again], scale) \
                and _close(f0_real, f0, scale):
            d.plus[:, again], d.minus[:, again] = real.plus, real.minus
        else:  # the replay is not the function here: evaluate every component for real
            self.trusted[k] = False
            d = self._differences(k, work, base, np.arange(base.size), replayed=False)
        status, tol = _judge(d, f0_real, ana, self.s)
        return d, f0_real, status, tol

    def _differences(self, k: int, work: np.ndarray, base: np.ndarray, indices: np.ndarray,
                     replayed: bool) -> _Differences:
        """f(θ ± ε e_i) for the components `indices` of leaf k, projected on the checked rows."""
        flat = base.reshape(-1)
        up, down = flat[indices] + self.s.eps, flat[indices] - self.s.eps
        n, weights = len(indices), self.weights
        abs_w = np.abs(weights)
        plus, minus, magnitude = (np.empty((len(weights), n)) for _ in range(3))
        per_point = max(base.size, self.replay.largest) if replayed else 1  # type: ignore[union-attr]
        chunk = max(1, BATCH_FLOATS // (2 * per_point)) if replayed else 1
        for start in range(0, n, chunk):
            idx = indices[start:start + chunk]
            c = len(idx)
            points = np.repeat(flat[None], 2 * c, axis=0)
            points[np.arange(c), idx] = up[start:start + c]
            points[c + np.arange(c), idx] = down[start:start + c]
            ys = self.outputs(k, work, points.reshape((2 * c,) + base.shape), replayed)
            plus[:, start:start + c] = weights @ ys[:c].T
            minus[:, start:start + c] = weights @ ys[c:].T
            ay = np.abs(ys)
            magnitude[:, start:start + c] = np.maximum(abs_w @ ay[:c].T, abs_w @ ay[c:].T)
        work[...] = base
        return _Differences(plus, minus, magnitude, up - down)

    def _entry(self, d: _Differences, f0: np.ndarray, ana: np.ndarray, status: np.ndarray, tol: np.ndarray,
               shape: tuple[int, ...]) -> Entry:
        s = self.s
        num = d.numerical
        kinks = status == KINK
        failed = (status == FAIL) | (kinks & (not s.allow_kinks))
        smooth = ~kinks if s.allow_kinks else np.ones_like(kinks)
        rel = relative_error(num[smooth], ana[smooth])
        diff = np.abs(num - ana)
        noise = np.broadcast_to(d.noise, diff.shape)
        self.noise = max(self.noise, float(noise.max()) if noise.size else 0.0)
        near_zero = bool(np.all(diff[smooth] <= s.atol + noise[smooth]))  # a relative error of noise is noise
        passed = not failed.any() and (rel <= s.threshold or near_zero)
        worst = []
        for flat_index in np.argsort(-(diff / tol), axis=None)[:s.worst]:
            row, col = (int(i) for i in np.unravel_index(flat_index, diff.shape))
            kink = status[row, col] == KINK
            left, right = d.one_sided(f0, row, col) if kink else (None, None)
            worst.append(Component(
                index=tuple(int(i) for i in np.unravel_index(col, shape)), analytical=float(ana[row, col]),
                numerical=float(num[row, col]), tolerance=float(tol[row, col]),
                status=("kink" if s.allow_kinks else "kink (counted)") if kink else ("fail" if failed[row, col]
                                                                                    else "ok"),
                output_index=tuple(int(i) for i in np.unravel_index(row, self.output_shape))
                if self.output_rows else None, left=left, right=right))
        return Entry(name="", shape=shape, passed=bool(passed), rel_error=rel, checked=int(num.size),
                     failed=int(failed.sum()), kinks=int(kinks.sum()), worst=worst,
                     max_abs_diff=float(diff.max()) if diff.size else 0.0, norms=_norms(num[smooth], ana[smooth]),
                     within_noise=bool(passed and rel > s.threshold))

    def _fast(self, k: int, base: np.ndarray) -> Entry:
        """`probes` random directions u (entries ±1) for leaf k: (f(θ+εu) - f(θ-εu)) / 2ε against g.u."""
        s, w = self.s, self.weights[0]
        g = self.analytical[k][0]
        work = base.copy()
        probes = []
        with self.moving(k, work):
            for _ in range(s.probes):
                u = self.rng.choice([-1.0, 1.0], base.shape)
                up, down = base + s.eps * u, base - s.eps * u
                ys = self.outputs(k, work, np.stack([up, down]), replayed=False)
                work[...] = base
                numerical = float(w @ ys[0] - w @ ys[1]) / (2 * s.eps)
                analytical = float(g @ (up - down).reshape(-1)) / (2 * s.eps)  # g.u with the exact steps taken
                magnitude = float(np.max(np.abs(ys) @ np.abs(w)))
                noise = NOISE_FACTOR * _U * magnitude / s.eps
                self.noise = max(self.noise, noise)
                tol = s.atol + s.rtol * abs(numerical) + noise
                probes.append(Probe(analytical, numerical, tol, abs(numerical - analytical) <= tol))
        nums, anas = np.array([p.numerical for p in probes]), np.array([p.analytical for p in probes])
        return Entry(name="", shape=base.shape, passed=all(p.passed for p in probes),
                     rel_error=relative_error(nums, anas), mode="fast", checked=len(probes),
                     failed=sum(not p.passed for p in probes), probes=probes,
                     max_abs_diff=float(np.max(np.abs(nums - anas))) if probes else 0.0, norms=_norms(nums, anas))

    def notes(self) -> list[str]:
        """What the reader should know about how this check ran."""
        notes = list(self.remarks)
        if self.frozen.draws:
            notes.append(f"randomness frozen: the {len(self.frozen.draws)} random draw(s) of the first evaluation "
                         "(dropout masks, ...) were replayed in every evaluation, so J is a fixed function of θ")
        if self.replay is not None:
            used = sum(self.trusted)
            if used:
                notes.append(f"{self.replays} evaluations replayed the recorded graph ({self.replay.n_nodes} ops, "
                             "only those downstream of the moved input), after checking it against real calls for "
                             f"{used} of {len(self.leaves)} inputs")
            if used < len(self.leaves):
                notes.append(f"the function was called directly for {len(self.leaves) - used} input(s) whose replay "
                             "did not match a real call (values computed outside the graph from the inputs)")
        if self.s.fast:
            notes.append(f"fast check: {self.s.probes} random projections v.J.u per input (seed {self.s.seed}) "
                         "instead of every component; " + (
                             "inputs with a failed probe were then checked component by component"
                             if self.s.fallback else "run the full check (fast=False) to find the components"))
        return notes


class _Moving:
    """While inside, leaf k reads the array `work` (which the check perturbs in place); restored on exit.

    The array is swapped, not written: the leaf's own array (a model's parameter) is never modified,
    so its in-place version does not move and a graph the user recorded before the check stays valid.
    """

    def __init__(self, leaf: Tensor, work: np.ndarray) -> None:
        self.leaf, self.work = leaf, work

    def __enter__(self) -> None:
        self.orig = self.leaf._data
        self.leaf._data = self.work

    def __exit__(self, *exc: object) -> None:
        self.leaf._data = self.orig


@dataclass
class _Differences:
    """f(θ + ε e_i) and f(θ - ε e_i) per checked row and component, their magnitudes, and the exact steps."""

    plus: np.ndarray  # (rows, components)
    minus: np.ndarray
    magnitude: np.ndarray  # |w| . |y| at the two points, the larger one
    steps: np.ndarray  # (θ_i + ε) - (θ_i - ε) as represented: the exact denominator

    @property
    def numerical(self) -> np.ndarray:
        return (self.plus - self.minus) / self.steps

    @property
    def noise(self) -> np.ndarray:
        """Rounding error of each difference: the rows of one output share their intermediates (log_softmax of
        logits near 25 gives outputs near 0 with errors of 25 ulps), so all rows take the largest magnitude."""
        return NOISE_FACTOR * _U * np.max(self.magnitude, axis=0, keepdims=True) / (self.steps / 2)

    def one_sided(self, f0: np.ndarray, row: int, col: int) -> tuple[float, float]:
        """(left, right): (f(θ) - f(θ-ε)) / ε and (f(θ+ε) - f(θ)) / ε."""
        half = self.steps[col] / 2
        return float((f0[row] - self.minus[row, col]) / half), float((self.plus[row, col] - f0[row]) / half)


def _judge(d: _Differences, f0: np.ndarray, ana: np.ndarray, s: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Status per component (OK, FAIL, KINK) and the tolerance atol + rtol |num| + noise each was held to.

    A failing component is a kink when its one-sided differences disagree by more than their own
    tolerance and the analytical value lies between them (a subgradient, as backward picks at kinks).
    """
    num, noise = d.numerical, d.noise
    tol = s.atol + s.rtol * np.abs(num) + noise
    status = (np.abs(num - ana) > tol).astype(np.int8)
    if status.any():
        f0c = f0.reshape(-1, 1)
        right = (d.plus - f0c) / (d.steps / 2)
        left = (f0c - d.minus) / (d.steps / 2)
        one_sided_tol = 2 * (s.atol + s.rtol * np.maximum(np.abs(left), np.abs(right)) + 2 * noise)
        between = (ana >= np.minimum(left, right) - tol) & (ana <= np.maximum(left, right) + tol)
        status[(status == FAIL) & (np.abs(right - left) > one_sided_tol) & between] = KINK
    return status, tol


def relative_error(numerical: Any, analytical: Any) -> float:
    """The notes' ||num - ana||_2 / (||num||_2 + ||ana||_2) over all components (0 when both are 0)."""
    num, ana = _flat(numerical), _flat(analytical)
    if num.shape != ana.shape:
        raise ValueError(f"relative_error: {num.size} numerical components against {ana.size} analytical ones")
    denominator = np.linalg.norm(num) + np.linalg.norm(ana)
    return 0.0 if denominator == 0 else float(np.linalg.norm(num - ana) / denominator)


def _flat(values: Any) -> np.ndarray:
    def arr(v: Any) -> np.ndarray:
        return np.ravel(np.asarray(v._data if isinstance(v, Tensor) else v, dtype=np.float64))

    if isinstance(values, (list, tuple)) and values and not np.isscalar(values[0]):
        return np.concatenate([arr(v) for v in values])
    return arr(values)


def _norms(num: np.ndarray, ana: np.ndarray) -> tuple[float, float, float]:
    return float(np.linalg.norm(num)), float(np.linalg.norm(ana)), float(np.linalg.norm(num - ana))


def _global_relative_error(entries: list[Entry]) -> float:
    """The notes' figure over all of θ (every entry's components together), from the per-entry norms."""
    num = np.sqrt(sum(e.norms[0] ** 2 for e in entries))
    ana = np.sqrt(sum(e.norms[1] ** 2 for e in entries))
    diff = np.sqrt(sum(e.norms[2] ** 2 for e in entries))
    return 0.0 if num + ana == 0 else float(diff / (num + ana))


def _scale(y: np.ndarray) -> float:
    return float(np.max(np.abs(y))) if y.size else 0.0


def _close(a: np.ndarray, b: np.ndarray, scale: float) -> bool:
    """Equal up to rounding: a replay computes the same ops on the same arrays as a call."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    return bool(np.all(np.abs(a - b) <= NOISE_FACTOR * _U * (scale + np.abs(b))))
