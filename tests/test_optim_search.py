"""Hyperparameter search: samplers on the right scale, reproducible random search in parallel, coarse to fine."""

import csv
import math
import os

import numpy as np
import pytest

import optim
from optim import Choice, Integer, LogUniform, OneMinusLog, Uniform
from tinygrad_notes import Tensor


# ---- samplers ----------------------------------------------------------------------------------------------
def within_binomial(counts: np.ndarray, n: int, p: float, sds: float = 4.0) -> bool:
    """Each count within `sds` binomial standard deviations of n·p."""
    return bool(np.all(np.abs(counts - n * p) <= sds * math.sqrt(n * p * (1 - p))))


def test_log_uniform_spreads_evenly_over_decades():
    rng = np.random.default_rng(0)
    n = 4000
    alphas = np.array([LogUniform(1e-4, 1).sample(rng) for _ in range(n)])
    assert alphas.min() >= 1e-4 and alphas.max() <= 1
    counts = np.histogram(np.log10(alphas), bins=[-4, -3, -2, -1, 0])[0]
    assert within_binomial(counts, n, 1 / 4), counts
    # Sampling α uniformly instead would spend about 90% of the trials in the top decade.
    uniform = np.array([Uniform(1e-4, 1).sample(rng) for _ in range(n)])
    assert np.mean(uniform >= 0.1) > 0.85


def test_one_minus_log_spreads_beta_evenly_over_decades_of_one_minus_beta():
    rng = np.random.default_rng(1)
    n = 2000
    betas = np.array([OneMinusLog(0.9, 0.999).sample(rng) for _ in range(n)])
    assert betas.min() >= 0.9 and betas.max() <= 0.999
    counts = np.histogram(np.log10(1 - betas), bins=[-3, -2, -1])[0]  # 0.99 ... 0.999 as often as 0.9 ... 0.99
    assert within_binomial(counts, n, 1 / 2), counts


def test_uniform_integer_and_choice():
    rng = np.random.default_rng(2)
    n = 3000
    ints = [Integer(2, 5).sample(rng) for _ in range(n)]
    assert all(isinstance(i, int) for i in ints)
    assert within_binomial(np.bincount(ints, minlength=6)[2:], n, 1 / 4)  # both ends included
    options = ["relu", "tanh", "sigmoid"]
    picks = [Choice(options).sample(rng) for _ in range(n)]
    assert within_binomial(np.array([picks.count(o) for o in options]), n, 1 / 3)
    xs = np.array([Uniform(-1, 3).sample(rng) for _ in range(n)])
    assert xs.min() >= -1 and xs.max() <= 3 and abs(xs.mean() - 1) < 4 * (4 / math.sqrt(12)) / math.sqrt(n)


def test_narrowing_zooms_in_on_each_samplers_own_scale():
    lr = LogUniform(1e-4, 1).narrow([1e-3, 3e-3], margin=0.25)
    pad = 0.25 * math.log10(3)
    assert lr.low == pytest.approx(10 ** (-3 - pad)) and lr.high == pytest.approx(10 ** (math.log10(3e-3) + pad))
    beta = OneMinusLog(0.9, 0.999).narrow([0.99, 0.995], margin=0.5)
    assert 0.9 < beta.low < 0.99 and 0.995 < beta.high < 0.999
    assert Integer(1, 100).narrow([10, 20], margin=0.5).__dict__ == {"low": 5, "high": 25}
    assert Uniform(0, 1).narrow([0.05, 0.5], margin=0.5).low == 0  # clipped to the old bounds
    assert Choice(["a", "b", "c"]).narrow(["c", "a", "c"]).options == ["a", "c"]


@pytest.mark.parametrize("make, message", [
    (lambda: LogUniform(0, 1), "low must be > 0"),
    (lambda: OneMinusLog(0.9, 1.0), "high must be < 1"),
    (lambda: Uniform(1, 1), "low must be below high"),
    (lambda: Integer(3, 2), "low <= high"),
    (lambda: Choice([]), "at least one option"),
])
def test_bad_sampler_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# ---- random search -----------------------------------------------------------------------------------------
def train_logistic(params: dict, seed: int) -> dict:
    """A real (tiny) training run: logistic regression with Adam; returns the dev cost and the train cost."""
    rng = np.random.default_rng(seed)
    data = np.random.default_rng(0)  # the same data for every trial
    X = data.standard_normal((200, 4)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) > 0).astype(np.float32)
    W = Tensor((rng.standard_normal(4) * 0.1).astype(np.float32), requires_grad=True)
    opt = optim.Adam([W], lr=params["lr"], betas=(params["beta1"], 0.999))

    def cost(xs, ys):
        p = (Tensor(xs) @ W).sigmoid().clip(1e-7, 1 - 1e-7)
        return -(Tensor(ys) * p.log() + (1 - Tensor(ys)) * (1 - p).log()).mean()

    for xb, yb in optim.minibatches(X[:150], y[:150], batch_size=params["batch_size"], seed=rng):
        opt.zero_grad()
        cost(xb, yb).backward()
        opt.step()
    return {"score": cost(X[150:], y[150:]).item(), "train_cost": cost(X[:150], y[:150]).item()}


SPACE = {"lr": LogUniform(1e-4, 1), "beta1": OneMinusLog(0.8, 0.99), "batch_size": Choice([8, 16, 32]),
         "hidden": 0}


def test_random_search_returns_the_trials_sorted_best_first_and_is_reproducible():
    result = optim.random_search(train_logistic, SPACE, n_trials=8, seed=3)
    scores = [t.score for t in result]
    assert len(result) == 8 and scores == sorted(scores) and result.best.score == scores[0]
    for t in result:  # the table's score is what train_fn gives for that trial's params and seed
        assert train_logistic(t.params, t.seed)["score"] == t.score
        assert 1e-4 <= t.params["lr"] <= 1 and t.params["hidden"] == 0
    assert len({t.seed for t in result}) == 8
    assert optim.random_search(train_logistic, SPACE, n_trials=8, seed=3).to_rows() == result.to_rows()
    other = optim.random_search(train_logistic, SPACE, n_trials=8, seed=4)
    assert {t.params["lr"] for t in other}.isdisjoint({t.params["lr"] for t in result})
    first_trials = optim.random_search(train_logistic, SPACE, n_trials=3, seed=3)  # trial i does not depend on n
    assert {t.index: t.params for t in first_trials} == {t.index: t.params for t in result if t.index < 3}


def train_and_say_where(params: dict, seed: int) -> dict:
    return {**train_logistic(params, seed), "pid": os.getpid()}


def test_a_search_on_two_workers_gives_the_same_table_as_on_one():
    serial = optim.random_search(train_and_say_where, SPACE, n_trials=6, seed=11, n_jobs=1)
    parallel = optim.random_search(train_and_say_where, SPACE, n_trials=6, seed=11, n_jobs=2)
    assert {t.metrics.pop("pid") for t in serial} == {os.getpid()}
    assert os.getpid() not in {t.metrics.pop("pid") for t in parallel}  # the trials ran in worker processes
    assert parallel.to_rows() == serial.to_rows()


def test_the_table_reads_well_and_saves_as_csv(tmp_path):
    result = optim.random_search(train_logistic, SPACE, n_trials=4, seed=0)
    text = str(result).splitlines()
    assert text[0] == "4 trials, lowest score first"
    assert text[1].split() == ["rank", "round", "trial", "seed", "score", "lr", "beta1", "batch_size", "hidden",
                               "train_cost"]
    assert [line.split()[0] for line in text[3:]] == ["1", "2", "3", "4"]
    assert text[3].split()[4] == f"{result.best.score:.4g}"
    result.to_csv(tmp_path / "trials.csv")
    with open(tmp_path / "trials.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["score"]) for r in rows] == [t.score for t in result]
    assert [int(r["batch_size"]) for r in rows] == [t.params["batch_size"] for t in result]


def test_diverged_trials_sort_last_and_maximizing_sorts_descending():
    scores = {0: 0.3, 1: float("nan"), 2: 0.9, 3: 0.1}
    trials = [optim.Trial(round=0, index=i, seed=0, params={"i": i}, score=s) for i, s in scores.items()]
    assert [t.index for t in optim.SearchResult(trials)] == [3, 0, 2, 1]
    assert [t.index for t in optim.SearchResult(trials, minimize=False)] == [2, 0, 3, 1]
    with pytest.raises(TypeError, match="return a number"):
        optim.random_search(lambda p, s: "good", {"x": Uniform(0, 1)}, n_trials=1)
    with pytest.raises(ValueError, match="without a 'score' entry"):
        optim.random_search(lambda p, s: {"cost": 1.0}, {"x": Uniform(0, 1)}, n_trials=1)


def test_trials_are_seeded_and_leave_the_global_generators_alone():
    before = np.random.get_state()[1].copy()

    def uses_globals(params, seed):
        return float(np.random.random())  # seeded per trial by the search

    a = optim.random_search(uses_globals, {"x": Uniform(0, 1)}, n_trials=3, seed=0)
    b = optim.random_search(uses_globals, {"x": Uniform(0, 1)}, n_trials=3, seed=0)
    assert a.to_rows() == b.to_rows()
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# ---- coarse to fine ----------------------------------------------------------------------------------------
def bowl_score(params: dict, seed: int) -> float:
    """A known landscape: best at lr = 10^-2.5, β = 0.99, width 64."""
    return ((math.log10(params["lr"]) + 2.5) ** 2 + (math.log10(1 - params["beta"]) + 2) ** 2
            + (params["width"] != 64) * 0.5)


def test_coarse_to_fine_zooms_into_the_best_region():
    space = {"lr": LogUniform(1e-5, 1), "beta": OneMinusLog(0.9, 0.9999), "width": Choice([16, 32, 64, 128])}
    result = optim.coarse_to_fine(bowl_score, space, n_trials=24, rounds=3, top_k=4, seed=0)
    assert len(result) == 72 and len(result.spaces) == 3
    lrs = [s["lr"] for s in result.spaces]
    widths = [math.log10(s.high) - math.log10(s.low) for s in lrs]
    assert widths[0] > widths[1] > widths[2]
    for r, s in enumerate(result.spaces):
        in_round = [t for t in result if t.round == r]
        assert all(s["lr"].low <= t.params["lr"] <= s["lr"].high for t in in_round)
        assert all(t.params["width"] in s["width"].options for t in in_round)
    assert lrs[2].low < 10**-2.5 < lrs[2].high
    medians = [np.median([t.score for t in result if t.round == r]) for r in range(3)]
    assert medians[0] > medians[1] > medians[2]
    coarse_best = min(t.score for t in result if t.round == 0)
    assert result.best.score < coarse_best and result.best.round > 0
