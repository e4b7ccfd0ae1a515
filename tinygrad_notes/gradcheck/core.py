"""The engine behind gradcheck, gradgradcheck and gradcheck_model: one check, from the first call to the report.

`run_check(call, leaves, labels, settings)` checks the gradient of `call()`, a
function of the float64 leaf tensors `leaves`, with respect to each of them:

1. Record and vet. One call with the graph on. It must leave the leaves as they
   were, and every op of its graph must keep the promises differences cannot see
   (contracts.py). A second call at the same point must give the same values, or
   the function is random and its differences mean nothing. The lowest precision
   the function computes in sets the step (precision.py).
2. Analytical: backward once per output, with the graph retained, gives every row
   of the Jacobian (fast mode: once per block of outputs, with random signs).
3. Full mode, per input, in blocks of components: f(θ ± ε e_i) for every component
   (a batched replay of the recorded graph once it matched real calls, else real
   calls), and every (output, component) pair judged (judge.py). The ones that fail
   or show a slope jump are looked at again: by real calls when their values came
   from the replay, with the function's measured noise, and with f(θ ± 2ε e_i) for
   kinks and Richardson's re-check.
4. Fast mode: fast.py.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tinygrad_notes.autograd import grad
from tinygrad_notes.gradcheck.contracts import GraphFacts, Violation, inspect_graph
from tinygrad_notes.gradcheck.evaluate import Evaluator, output_of
from tinygrad_notes.gradcheck.fast import block_weights, fast_entry, fast_note
from tinygrad_notes.gradcheck.judge import FAIL, NONFINITE, Around, Tolerances, decide, kink_candidates, refine
from tinygrad_notes.gradcheck.noise import allowance, floor_sigma
from tinygrad_notes.gradcheck.precision import float64_inside, precision_of
from tinygrad_notes.gradcheck.report import Entry, GradcheckReport
from tinygrad_notes.gradcheck.tally import Tally
from tinygrad_notes.mode import enable_grad
from tinygrad_notes.random import FrozenDraws, frozen_randomness
from tinygrad_notes.tensor import Tensor

EPS = 1e-7  # the notes' ε
ATOL = 1e-8
RTOL = 1e-5
THRESHOLD = 1e-5  # pass/fail bound on an input's relative error (the notes: about 1e-5, look at the components)
PROBES = 4  # random directions per input in fast mode
BLOCKS = 8  # blocks of outputs in fast mode, each with its own random signs and its own backward
RECHECK = 32  # components flagged on a replay that are evaluated again by calling the function, per input
CHUNK_FLOATS = 1 << 20  # components x outputs judged at once: memory stays bounded for large Jacobians


@dataclass(frozen=True)
class Settings:
    """The knobs of one check (see `gradcheck` for their meaning)."""

    eps: float = EPS
    atol: float = ATOL
    rtol: float = RTOL
    threshold: float = THRESHOLD
    fast: bool = False
    probes: int = PROBES
    blocks: int = BLOCKS
    seed: int = 0
    fallback: bool = True
    allow_kinks: bool = True
    worst: int = 5
    replay: bool = True


def run_check(call: Callable[[], Tensor], leaves: list[Tensor], labels: list[str], settings: Settings, *,
              title: str, order: int, offsets: Sequence[int] | None = None) -> GradcheckReport:
    """Check the gradient of `call()` with respect to each of `leaves`; one report entry per leaf."""
    start = time.perf_counter()
    with float64_inside(), frozen_randomness() as frozen:
        check = Check(call, leaves, labels, settings, frozen, title)
        entries = check.entries()
    offset = 0
    for k, entry in enumerate(entries):
        entry.name = labels[k]
        entry.offset = offsets[k] if offsets is not None else offset
        offset += entry.size
    passed = all(e.passed for e in entries) and not check.violations and not check.random
    return GradcheckReport(
        entries=entries, rel_error=global_relative_error(entries), passed=passed, order=order,
        mode="fast" if settings.fast else "full", eps=check.eps, atol=settings.atol, rtol=settings.rtol,
        threshold=settings.threshold, noise=check.noise_max, noise_measured=check.noise_used,
        evaluations=check.ev.calls + check.ev.replays, calls=check.ev.calls, seconds=time.perf_counter() - start,
        title=title, notes=check.notes(), violations=[v.message for v in check.violations], random=check.random,
        precision=check.precision.describe(check.noise_max) if check.precision.reduced else "")


class Check:
    """One check in progress: the recorded point, its vetting, the analytical rows, the evaluator, the notes."""

    def __init__(self, call: Callable[[], Tensor], leaves: list[Tensor], labels: list[str], s: Settings,
                 frozen: FrozenDraws, title: str) -> None:
        self.leaves, self.labels, self.s, self.frozen, self.title = leaves, labels, s, frozen, title
        self.tol = Tolerances(s.atol, s.rtol)
        self.rng = np.random.default_rng(s.seed)
        self.remarks: list[str] = []
        self.noise_max, self.noise_used = 0.0, False
        self.rechecked = self.rescued = 0
        self.recheck_left = [RECHECK] * len(leaves)
        self.validated = [False] * len(leaves)
        self.blind_spots: dict[int, float] = {}
        self._full_rows: list[np.ndarray] | None = None
        self._fast_rows: tuple[np.ndarray, list[np.ndarray]] | None = None
        self._replay_tried = False
        y0 = self._record(call)
        self.ev = Evaluator(call, leaves, frozen, self.rng, self.eps, self.precision.unit)
        blocking = any(v.blocking for v in self.violations)
        self.f0 = y0 if blocking else self.ev.call()  # a second call at the same point ...
        self.random = "" if blocking else _randomness(y0, self.f0, self.output_shape)  # ... must agree with the first
        self.blocked = blocking or bool(self.random)
        if self.blocked:
            return
        bad = np.flatnonzero(~np.isfinite(self.f0))
        if bad.size:
            where = "" if self.m == 1 else " in " + ", ".join(
                f"out{_index(int(i), self.output_shape)}" for i in bad[:4]) + (", ..." if bad.size > 4 else "")
            self.remarks.append(f"the output is NaN/Inf at the check point{where}: nothing there can be compared; "
                                "move the point into the function's domain")
        if not self.out.requires_grad:
            self.remarks.append("the output does not depend on any checked input through the graph: analytical "
                                "gradient 0")
        if not s.fast:
            self.full_rows()
            self._record_replay()

    def _record(self, call: Callable[[], Tensor]) -> np.ndarray:
        """The recording call, and what it shows: changed inputs, broken promises, the precision inside."""
        before = [np.array(leaf.numpy()) for leaf in self.leaves]
        with enable_grad():
            self.out = output_of(call(), self.title)
        y0 = np.array(self.out.numpy(), dtype=np.float64)
        self.output_shape, self.m = y0.shape, y0.size
        changed = [k for k, (leaf, b) in enumerate(zip(self.leaves, before))
                   if not np.array_equal(leaf.numpy(), b, equal_nan=True)]
        self.violations = [Violation("the function", f"the function changed its input {self.labels[k]!r} while "
                                     "computing (its values differ after the call): a checked function must leave "
                                     "its inputs as they are, or every evaluation runs at another point",
                                     blocking=True) for k in changed]
        facts = inspect_graph(self.out, self.leaves, self.rng, frozenset(id(self.leaves[k]) for k in changed)) \
            if self.out.grad_fn is not None else GraphFacts()
        self.violations += facts.violations
        dtypes = dict(facts.dtypes)
        if self.out.dtype.kind == "f" and self.out.dtype.itemsize < 8:
            dtypes.setdefault("the output", self.out.dtype)
        self.precision = precision_of(dtypes, self.s.eps)
        self.eps = self.precision.eps
        if self.precision.reduced:
            low = self.precision.dtype
            warnings.warn(f"{self.title}: the function computes in {low} inside ({', '.join(self.precision.ops[:4])}),"
                          f" so {low} precision limits the check: it uses eps={self.eps:.1e} and a {low} rounding "
                          "allowance; keep the computation in float64 for a tight check", stacklevel=5)
        return y0.reshape(-1)

    # ---- analytical ---------------------------------------------------------------------------------
    def rows(self, weight: Callable[[int], np.ndarray], count: int) -> list[np.ndarray]:
        """Backward's gradient of weight(j) . output for j < count, per leaf: arrays (count, leaf.size)."""
        ana = [np.zeros((count, leaf.size)) for leaf in self.leaves]
        if not self.out.requires_grad:
            return ana
        for j in range(count):
            grads = grad(self.out, self.leaves, grad_outputs=weight(j).reshape(self.output_shape), retain_graph=True,
                         allow_unused=True)
            for k, g in enumerate(grads):
                if g is not None:
                    ana[k][j] = np.asarray(g.numpy(), dtype=np.float64).reshape(-1)
        return ana

    def full_rows(self) -> list[np.ndarray]:
        """Every row of the Jacobian: one backward per output."""
        if self._full_rows is None:
            def one_hot(j: int) -> np.ndarray:
                e = np.zeros(self.m)
                e[j] = 1.0
                return e

            self._full_rows = self.rows(one_hot, self.m)
        return self._full_rows

    def fast_rows(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Fast mode's block weights (blocks, outputs) and backward's w_b.J per leaf: one backward per block."""
        if self._fast_rows is None:
            w = block_weights(self.m, self.s.blocks, self.rng)
            self._fast_rows = (w, self.rows(lambda b: w[b], len(w)))
        return self._fast_rows

    def _record_replay(self) -> None:
        if self._replay_tried or not self.s.replay or self.out.grad_fn is None:
            return
        self._replay_tried = True
        remark = self.ev.record_replay(self.out, self.f0)
        if remark:
            self.remarks.append(remark)

    # ---- entries ------------------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        if self.blocked:
            why = "the function is random" if self.random else "a broken promise (above)"
            return [Entry(name="", shape=leaf.shape, passed=False, rel_error=math.nan, not_checked=why)
                    for leaf in self.leaves]
        return [self.leaf(k) for k in range(len(self.leaves))]

    def leaf(self, k: int) -> Entry:
        base = np.array(self.leaves[k].numpy(), dtype=np.float64)
        if self.s.fast:
            entry = fast_entry(self, k, base)
            if not entry.passed and self.s.fallback:
                probes, blind = entry.probes, entry.blind_spot
                entry = self.full(k, base)
                entry.probes, entry.mode, entry.blind_spot = probes, "fast, then full", blind
            return entry
        return self.full(k, base)

    def full(self, k: int, base: np.ndarray) -> Entry:
        """Every (output, component) pair of leaf k, in blocks of components."""
        ana = self.full_rows()[k]
        self._record_replay()
        if self.ev.replay is not None and not self.validated[k]:
            self.validated[k] = True
            self.ev.validate(k, base, self.f0, self.tol)
        tally = Tally(self, k, base)
        per_chunk = max(1, CHUNK_FLOATS // max(1, self.m))
        for start in range(0, base.size, per_chunk):
            cols = np.arange(start, min(base.size, start + per_chunk))
            self._block(k, base, cols, ana[:, cols], tally)
        return tally.entry()

    # ---- one block of components -------------------------------------------------------------------------
    def around(self, k: int, base: np.ndarray, cols: np.ndarray, multiple: int, replayed: bool) -> Around:
        """f(θ), f(θ ± multiple·ε e_i) for the components `cols` of leaf k."""
        (plus, minus), (up, down) = self.ev.along_components(k, base, cols, (multiple, -multiple), replayed)
        f0 = self.ev.replay.output().reshape(-1) if replayed and self.ev.replay is not None else self.f0
        return Around(f0.reshape(-1, 1), plus, minus, up, -down)

    def _floor(self, around: Around) -> np.ndarray:
        return allowance(floor_sigma(around.magnitude, self.precision.unit), self.eps)[None, :]

    def _block(self, k: int, base: np.ndarray, cols: np.ndarray, ana: np.ndarray, tally: Tally) -> None:
        replayed = self.ev.trusted[k]
        around = self.around(k, base, cols, 1, replayed)
        noise = np.broadcast_to(self._floor(around), ana.shape).copy()
        status, bound = decide(around.numerical, ana, noise, self.tol)
        candidates = kink_candidates(around, noise, self.tol) & (status != NONFINITE)
        flagged = np.flatnonzero(np.any((status == FAIL) | candidates, axis=0))
        numerical = around.numerical
        rescued = np.zeros(status.shape, dtype=bool)
        retried = np.zeros(status.shape, dtype=bool)
        if flagged.size and replayed:
            around, replayed = self._confirm(k, base, cols, flagged, around, ana, bound)
            if not replayed:  # the replay is not the function here: judge the block again from real calls
                noise = np.broadcast_to(self._floor(around), ana.shape).copy()
                status, bound = decide(around.numerical, ana, noise, self.tol)
                candidates = kink_candidates(around, noise, self.tol) & (status != NONFINITE)
                flagged = np.flatnonzero(np.any((status == FAIL) | candidates, axis=0))
            numerical = around.numerical
        if flagged.size:
            sub = _select(around, flagged)
            sigma = np.maximum(floor_sigma(sub.magnitude, self.precision.unit)[None, :],
                               self.ev.noise(k, base)[:, None])
            self.noise_used = True
            sub_noise = allowance(sigma, self.eps)
            sub_ana = ana[:, flagged]
            sub_status, sub_bound = decide(sub.numerical, sub_ana, sub_noise, self.tol)
            sub_candidates = kink_candidates(sub, sub_noise, self.tol) & (sub_status != NONFINITE)
            sub_numerical = sub.numerical
            look = np.flatnonzero(np.any((sub_status == FAIL) | sub_candidates, axis=0))
            if look.size:
                far = self.around(k, base, cols[flagged[look]], 2, replayed)
                r = refine(_select(sub, look), far, sub_ana[:, look], sub_status[:, look], sub_bound[:, look],
                           sub_noise[:, look], sub_candidates[:, look], self.tol)
                sub_status[:, look], sub_numerical[:, look] = r.status, r.numerical
                rescued[:, flagged[look]], retried[:, flagged[look]] = r.rescued, r.retried
            status[:, flagged], bound[:, flagged], noise[:, flagged] = sub_status, sub_bound, sub_noise
            numerical = numerical.copy()
            numerical[:, flagged] = sub_numerical
        tally.add(cols, status, numerical, ana, bound, noise, around, rescued, retried)

    def _confirm(self, k: int, base: np.ndarray, cols: np.ndarray, flagged: np.ndarray, around: Around,
                 ana: np.ndarray, bound: np.ndarray) -> tuple[Around, bool]:
        """Evaluate the worst flagged components by calling the function: the replay must agree with it there."""
        left = self.recheck_left[k]
        if left <= 0:
            return around, True
        with np.errstate(invalid="ignore"):
            badness = np.nan_to_num(np.max(np.abs(around.numerical - ana)[:, flagged] / bound[:, flagged], axis=0),
                                    nan=np.inf)
        take = flagged[np.argsort(-badness, kind="stable")[:left]]
        self.recheck_left[k] -= len(take)
        real = self.around(k, base, cols[take], 1, replayed=False)
        sigma = np.maximum(floor_sigma(real.magnitude, self.precision.unit)[None, :], self.ev.noise(k, base)[:, None])
        replayed_d, real_d = around.numerical[:, take], real.numerical
        with np.errstate(invalid="ignore"):
            agree = (np.abs(replayed_d - real_d) <= self.tol.atol + allowance(sigma, self.eps)) | (replayed_d == real_d)
            agree |= np.isnan(replayed_d) & np.isnan(real_d)
        if np.all(agree):
            around.plus[:, take], around.minus[:, take] = real.plus, real.minus
            return around, True
        self.ev.trusted[k] = False
        return self.around(k, base, cols, 1, replayed=False), False

    # ---- the notes -----------------------------------------------------------------------------------
    def notes(self) -> list[str]:
        """What the reader should know about how this check ran."""
        notes = list(self.remarks)
        if self.frozen.draws:
            notes.append(f"randomness frozen: the {len(self.frozen.draws)} random draw(s) of the first evaluation "
                         "(dropout masks, ...) were replayed in every evaluation, so J is a fixed function of θ")
        if self.ev.replay is not None:
            used = [k for k, v in enumerate(self.validated) if v and self.ev.trusted[k]]
            dropped = [self.labels[k] for k, v in enumerate(self.validated) if v and not self.ev.trusted[k]]
            if used:
                notes.append(f"{self.ev.replays} evaluations replayed the recorded graph ({self.ev.replay.n_nodes} "
                             "ops, only those downstream of the moved input), after checking it against real calls "
                             f"for {len(used)} of {len(self.leaves)} inputs")
            if dropped:
                notes.append(f"the function was called directly for {', '.join(dropped)}: replaying its graph did "
                             "not match real calls beyond rounding (values computed outside the graph)")
        if self.rechecked:
            notes.append(f"{self.rechecked} component(s) failed at eps and were re-checked with Richardson's "
                         f"extrapolation (4 d(eps) - d(2 eps)) / 3, error O(eps^4): {self.rescued} passed that way, "
                         f"{self.rechecked - self.rescued} still fail")
        if self.s.fast:
            notes.append(fast_note(self))
        return notes


def _select(around: Around, cols: np.ndarray) -> Around:
    return Around(around.f0, around.plus[:, cols], around.minus[:, cols], around.up[cols], around.down[cols])


def _index(flat: int, shape: tuple[int, ...]) -> str:
    idx = tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()
    return "(" + ", ".join(map(str, idx)) + ("," if len(idx) == 1 else "") + ")"


def _randomness(first: np.ndarray, second: np.ndarray, shape: tuple[int, ...]) -> str:
    """Why the function is random (two evaluations at the same point differ), or ""."""
    with np.errstate(invalid="ignore"):
        gap = np.abs(first - second)
        scale = np.maximum(np.abs(first), np.abs(second))
        differ = ~((gap <= 4 * np.finfo(np.float64).eps * scale) | (first == second) | (np.isnan(first)
                                                                                        & np.isnan(second)))
    if not differ.any():
        return ""
    worst = int(np.argmax(np.where(differ, np.nan_to_num(gap, nan=np.inf), -1.0)))
    where = f" in out{_index(worst, shape)}" if first.size > 1 else ""
    return (f"two evaluations at the same point differ (by {gap[worst]:.1e}{where}), so "
            "differences would measure the randomness, not the gradient, and nothing was compared. The notes' "
            "advice: turn dropout off for the check (keep_prob = 1; gradcheck_model(..., dropout='off')), check, "
            "then turn it back on; or draw the masks through tinygrad_notes.random.draw, which the check freezes")


def global_relative_error(entries: list[Entry]) -> float:
    """The notes' figure over all of θ (every entry's components together), from the per-entry norms."""
    checked = [e for e in entries if not e.not_checked]
    if not checked or any(e.nonfinite for e in checked):
        return math.nan
    num = math.sqrt(sum(e.norms[0] ** 2 for e in checked))
    ana = math.sqrt(sum(e.norms[1] ** 2 for e in checked))
    diff = math.sqrt(sum(e.norms[2] ** 2 for e in checked))
    return 0.0 if num + ana == 0 else diff / (num + ana)
