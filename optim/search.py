"""Hyperparameter search as the notes teach it: random points (not a grid), on the right scale, coarse to fine.

    space = {"lr": LogUniform(1e-4, 1), "beta": OneMinusLog(0.9, 0.999), "hidden": Integer(16, 128)}
    result = random_search(train, space, n_trials=40, seed=0, n_jobs=-1)
    print(result)                        # the trials as a table, best first
    result = coarse_to_fine(train, space, n_trials=20, rounds=3, seed=0)

`train(params, seed)` trains one model with the hyperparameters in the dict `params`, using `seed`
for everything random (initialization, shuffles, dropout), and returns the score: a number (the dev
cost, lower is better unless `minimize=False`) or a dict with a "score" entry and any other metrics
to show. Trials run in parallel with joblib; the hyperparameters and each trial's seed are drawn
from `seed` before anything runs, so the table is the same for any n_jobs. Because joblib takes a
Dask or Ray backend unchanged, the same call runs on a cluster (docs/hyperparameter_search.md):

    import joblib
    from dask.distributed import Client
    client = Client("scheduler-address:8786")
    with joblib.parallel_backend("dask"):
        result = random_search(train, space, n_trials=500, seed=0, n_jobs=-1)
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optim.samplers import Sampler

TrainFn = Callable[[dict[str, Any], int], Any]


@dataclass
class Trial:
    """One trained model: its hyperparameters, seed, score and any other metrics train_fn returned."""

    round: int
    index: int
    seed: int
    params: dict[str, Any]
    score: float
    metrics: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0  # wall time of the trial (not part of the table: it differs from run to run)


class SearchResult:
    """The trials of a search sorted by score, best first (a NaN score, a diverged run, sorts last)."""

    def __init__(self, trials: list[Trial], minimize: bool = True, spaces: list[dict[str, Any]] | None = None):
        sign = 1.0 if minimize else -1.0
        self.trials = sorted(trials, key=lambda t: (math.isnan(t.score), sign * t.score if not math.isnan(t.score)
                                                    else 0.0, t.round, t.index))
        self.minimize = minimize
        self.spaces = spaces or []  # the space each round sampled from

    @property
    def best(self) -> Trial:
        """The trial with the best score."""
        return self.trials[0]

    def top(self, k: int) -> list[Trial]:
        """The k best trials."""
        return self.trials[:k]

    def __len__(self) -> int:
        return len(self.trials)

    def __iter__(self) -> Iterator[Trial]:
        return iter(self.trials)

    def __getitem__(self, i: int) -> Trial:
        return self.trials[i]

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per trial, best first: round, trial, seed, score, the hyperparameters, then the metrics."""
        return [{"round": t.round, "trial": t.index, "seed": t.seed, "score": t.score, **t.params, **t.metrics}
                for t in self.trials]

    def columns(self) -> list[str]:
        names: dict[str, None] = {}
        for row in self.to_rows():
            names.update(dict.fromkeys(row))
        return list(names)

    def __str__(self) -> str:
        columns = ["rank", *self.columns()]
        body = [[str(rank), *(_format(row.get(c, "")) for c in columns[1:])]
                for rank, row in enumerate(self.to_rows(), 1)]
        widths = [max(len(c), *(len(r[i]) for r in body)) if body else len(c) for i, c in enumerate(columns)]
        lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths))]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in body]
        best = "lowest" if self.minimize else "highest"
        return f"{len(self.trials)} trials, {best} score first\n" + "\n".join(lines)

    def __repr__(self) -> str:
        return f"SearchResult({len(self.trials)} trials, best score {self.best.score if self.trials else None})"

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write the table as CSV, atomically (a temporary file in the same folder, then a rename)."""
        path = os.fspath(path)
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".search-", suffix=".csv")
        try:
            with os.fdopen(fd, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=self.columns())
                writer.writeheader()
                writer.writerows(self.to_rows())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise


def random_search(train_fn: TrainFn, space: Mapping[str, Any], n_trials: int, seed: int = 0, n_jobs: int = 1,
                  minimize: bool = True) -> SearchResult:
    """Train `n_trials` models with hyperparameters drawn at random from `space`; the trials sorted by score.

    `space` maps each name to a Sampler (Uniform, Integer, Choice, LogUniform, OneMinusLog) or a fixed
    value. `n_jobs` trials run at once through joblib (-1: every core; 1: in this process, no joblib
    needed). Trial i of a search with `seed` always gets the same hyperparameters and seed.
    """
    return _search(train_fn, [dict(space)], n_trials, seed, n_jobs, minimize, round_=0, previous=[])


def coarse_to_fine(train_fn: TrainFn, space: Mapping[str, Any], n_trials: int, rounds: int = 2,
                   top_k: int | None = None, margin: float = 0.25, seed: int = 0, n_jobs: int = 1,
                   minimize: bool = True) -> SearchResult:
    """`rounds` random searches of `n_trials` each, every round sampling the region of the best `top_k` so far.

    The region is, per hyperparameter, the span of the best trials' values on the sampler's own scale
    (log for LogUniform, log(1 − β) for OneMinusLog) widened by `margin` of that span on each side,
    inside the previous bounds; a Choice keeps the options the best trials used. The result holds
    every round's trials (column "round") and `result.spaces`, the space of each round.
    """
    if rounds < 1:
        raise ValueError(f"coarse_to_fine: rounds must be >= 1, got {rounds!r}")
    if not margin > 0:
        raise ValueError(f"coarse_to_fine: margin must be > 0, got {margin!r}")
    k = top_k if top_k is not None else max(2, n_trials // 4)
    spaces = [dict(space)]
    trials: list[Trial] = []
    for r in range(rounds):
        if r:
            spaces.append(narrow_space(spaces[-1], SearchResult(trials, minimize), k, margin))
        result = _search(train_fn, spaces, n_trials, seed, n_jobs, minimize, round_=r, previous=trials)
        trials = result.trials
    return SearchResult(trials, minimize, spaces)


def narrow_space(space: Mapping[str, Any], result: SearchResult, top_k: int, margin: float = 0.25) -> dict[str, Any]:
    """The notes' "zoom in": each sampler narrowed to the region of the `top_k` best trials (fixed values kept)."""
    best = [t for t in result.top(top_k) if not math.isnan(t.score)]
    return {name: s.narrow([t.params[name] for t in best], margin) if isinstance(s, Sampler) else s
            for name, s in space.items()}


def sample_params(space: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """One point of `space`: each Sampler drawn in the order of the names, fixed values as they are."""
    return {name: s.sample(rng) if isinstance(s, Sampler) else s for name, s in space.items()}


def _search(train_fn: TrainFn, spaces: list[dict[str, Any]], n_trials: int, seed: int, n_jobs: int,
            minimize: bool, round_: int, previous: list[Trial]) -> SearchResult:
    if not callable(train_fn):
        raise TypeError(f"random_search: train_fn must be a function train_fn(params, seed), got {train_fn!r}")
    if not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"random_search: n_trials must be a whole number >= 1, got {n_trials!r}")
    space = spaces[-1]
    jobs = []
    for i in range(n_trials):
        # Trial (round, i) draws from its own stream: the same point whatever n_jobs or the other trials do.
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(round_, i)))
        trial_seed = int(rng.integers(2**31 - 1))
        jobs.append((i, trial_seed, sample_params(space, rng)))
    if n_jobs == 1:
        outcomes = [_run_trial(train_fn, params, s) for _, s, params in jobs]
    else:
        try:
            from joblib import Parallel, delayed
        except ImportError as err:
            raise ImportError("random_search: n_jobs != 1 runs trials with joblib, which is not installed; "
                              "pip install joblib (or tinygrad-notes[search]), or pass n_jobs=1") from err
        outcomes = Parallel(n_jobs=n_jobs)(delayed(_run_trial)(train_fn, params, s) for _, s, params in jobs)
    trials = list(previous)
    for (i, s, params), (score, metrics, seconds) in zip(jobs, outcomes):
        trials.append(Trial(round_, i, s, params, score, metrics, seconds))
    return SearchResult(trials, minimize, spaces)


def _run_trial(train_fn: TrainFn, params: dict[str, Any], seed: int) -> tuple[float, dict[str, Any], float]:
    """Run one trial with numpy's and the engine's global generators seeded too (restored afterwards)."""
    from tinygrad_notes import random as tn_random

    np_state = np.random.get_state()
    engine_state = tn_random.default_generator().bit_generator.state
    np.random.seed(seed)
    tn_random.manual_seed(seed)
    start = time.perf_counter()
    try:
        out = train_fn(dict(params), seed)
    finally:
        np.random.set_state(np_state)
        tn_random.default_generator().bit_generator.state = engine_state
    seconds = time.perf_counter() - start
    metrics: dict[str, Any] = {}
    if isinstance(out, Mapping):
        if "score" not in out:
            raise ValueError(f"random_search: train_fn returned a dict without a 'score' entry ({sorted(out)}) "
                             f"for params {params}; put the dev cost (or accuracy) under 'score'")
        metrics = {k: _number(v) for k, v in out.items() if k != "score"}
        out = out["score"]
    try:
        score = float(out)
    except (TypeError, ValueError):
        raise TypeError(f"random_search: train_fn returned {out!r} for params {params}; return a number "
                        "(the dev cost) or a dict with a 'score' entry") from None
    return score, metrics, seconds


def _number(v: Any) -> Any:
    """A metric as a plain Python value (numpy scalars and one-element Tensors become numbers)."""
    if hasattr(v, "item") and np.size(v) == 1:
        return v.item()
    return v


def _format(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
