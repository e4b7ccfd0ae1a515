"""`tinygrad-notes search`: the notes' hyperparameter search on the demo's task, random and coarse to fine.

Each trial trains the digits MLP for a small budget with hyperparameters drawn on the
right scale (α = 10^r, β = 1 − 10^r, hidden units, λ, keep probability) and scores it
by its dev error. Trials run in parallel over the cores with joblib and are seeded, so
a search with the same seed gives the same table whatever the number of jobs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes.app.demo import build_mlp, evaluate, load_split, train
from tinygrad_notes.app.threads import limited_threads

_data_cache: dict[int, Any] = {}


def space() -> dict[str, Any]:
    """The search space, each hyperparameter on the scale the notes recommend."""
    import optim

    return {
        "lr": optim.LogUniform(1e-4, 1e-1),  # α = 10^r, r uniform in [-4, -1]
        "beta1": optim.OneMinusLog(0.9, 0.999),  # β = 1 − 10^r, r uniform in [-3, -1]
        "hidden": optim.Choice([32, 64, 128, 256]),
        "lambd": optim.LogUniform(1e-3, 10.0),
        "keep_prob": optim.Uniform(0.5, 1.0),
    }


def trial(params: dict[str, Any], seed: int, epochs: int = 15, data_seed: int = 0, threads: int | None = None) -> float:
    """Train one model with `params` and return its dev error (the search minimizes it), with at most `threads`
    BLAS threads (default 1) in whichever process or worker runs it."""
    with limited_threads(threads):
        return _train_and_score(params, seed, epochs, data_seed)


def _train_and_score(params: dict[str, Any], seed: int, epochs: int, data_seed: int) -> float:
    from tinygrad_notes import random as tn_random

    data = _data_cache.get(data_seed)
    if data is None:
        data = _data_cache[data_seed] = load_split(data_seed)
    tn_random.manual_seed(seed)
    model = build_mlp(data.Xtr.shape[1], (int(params["hidden"]),), 1 - float(params["keep_prob"]),
                      np.random.default_rng(seed))
    import optim

    try:
        train(model, data, lr=float(params["lr"]), lambd=float(params["lambd"]), beta1=float(params["beta1"]),
              max_epochs=epochs, patience=epochs, seed=seed)
    except optim.NonFiniteGradError:
        return float("nan")  # diverged: the search ranks it last and says so
    return 1 - evaluate(model, data.Xdv, data.ydv)[1]


def run_search(n_trials: int = 12, rounds: int = 2, seed: int = 0, n_jobs: int = -1, epochs: int = 15,
               data_seed: int = 0, threads: int | None = None) -> Any:
    """Coarse to fine: `rounds` random searches of `n_trials`, each zooming into the best trials' region."""
    import functools

    import optim

    fn = functools.partial(trial, epochs=epochs, data_seed=data_seed, threads=threads)
    return optim.coarse_to_fine(fn, space(), n_trials=n_trials, rounds=rounds, seed=seed, n_jobs=n_jobs)
