"""`tinygrad-notes search`: the notes' hyperparameter search on the demo's task, random and coarse to fine.

Each trial trains the digits MLP for a small budget with hyperparameters drawn on the
right scale, in the notes' order of importance (α = 10^r first; hidden units and
mini-batch size; layers and learning-rate decay; then the regularization strengths λ and
keep probability; Adam's β₁, β₂ and ε stay at their defaults), and scores it by its dev
error. Trials run in parallel over the cores with joblib and are seeded, so a search with
the same seed gives the same table whatever the number of jobs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes.app.demo import build_mlp, evaluate, load_split, train
from tinygrad_notes.app.threads import limited_threads

_data_cache: dict[int, Any] = {}


def space() -> dict[str, Any]:
    """The search space in the notes' order of importance, each hyperparameter on the scale the notes recommend.

    The notes' tiers: α first; then momentum's β, hidden units and mini-batch size; then the number of
    layers and learning-rate decay; Adam's β₁, β₂ and ε almost never. The demo trains with Adam, whose
    β₁ is the momentum term that the notes leave at 0.9, so this space has no β. λ (L2) and the keep
    probability (dropout) come last: they are tuned against the variance the dev set shows.
    """
    import optim

    return {
        "lr": optim.LogUniform(1e-4, 1e-1),  # α = 10^r, r uniform in [-4, -1]: the one that matters most
        "hidden": optim.Choice([32, 64, 128, 256]),
        "batch_size": optim.Choice([32, 64, 128, 256]),  # powers of 2, the notes' advice
        "layers": optim.Choice([1, 2]),
        "decay_rate": optim.LogUniform(1e-3, 0.3),  # α = α₀ / (1 + decay_rate · epoch)
        "lambd": optim.LogUniform(1e-3, 10.0),
        "keep_prob": optim.Uniform(0.5, 1.0),
    }


DEFAULTS = {"hidden": 128, "batch_size": 64, "layers": 1, "decay_rate": 0.05, "lambd": 0.1, "keep_prob": 0.8,
            "beta1": 0.9}  # the demo's settings, for whatever a custom space leaves out


def trial(params: dict[str, Any], seed: int, epochs: int = 15, data_seed: int = 0, threads: int | None = None) -> float:
    """Train one model with `params` (the demo's settings for any left out) and return its dev error (the search
    minimizes it), with at most `threads` BLAS threads (default 1) in whichever process or worker runs it."""
    with limited_threads(threads):
        return _train_and_score(params, seed, epochs, data_seed)


def _train_and_score(params: dict[str, Any], seed: int, epochs: int, data_seed: int) -> float:
    from tinygrad_notes import random as tn_random

    p = {**DEFAULTS, **params}
    data = _data_cache.get(data_seed)
    if data is None:
        data = _data_cache[data_seed] = load_split(data_seed)
    tn_random.manual_seed(seed)
    model = build_mlp(data.Xtr.shape[1], (int(p["hidden"]),) * int(p["layers"]), 1 - float(p["keep_prob"]),
                      np.random.default_rng(seed))
    import optim

    try:
        train(model, data, lr=float(p["lr"]), lambd=float(p["lambd"]), beta1=float(p["beta1"]),
              decay_rate=float(p["decay_rate"]), batch_size=int(p["batch_size"]), max_epochs=epochs,
              patience=epochs, seed=seed)
    except optim.NonFiniteGradError:
        return float("nan")  # diverged: the search ranks it last and says so
    return 1 - evaluate(model, data.Xdv, data.ydv)[1]


def run_search(n_trials: int = 12, rounds: int = 2, seed: int = 0, n_jobs: int = -1, epochs: int = 15,
               data_seed: int = 0, threads: int | None = None, search_space: dict[str, Any] | None = None) -> Any:
    """Coarse to fine: `rounds` random searches of `n_trials`, each zooming into the best trials' region.

    `search_space` replaces the default `space()` (e.g. to tune Adam's β₁ after all: add
    `"beta1": optim.OneMinusLog(0.9, 0.999)`).
    """
    import functools

    import optim

    fn = functools.partial(trial, epochs=epochs, data_seed=data_seed, threads=threads)
    return optim.coarse_to_fine(fn, space() if search_space is None else search_space, n_trials=n_trials,
                                rounds=rounds, seed=seed, n_jobs=n_jobs)
