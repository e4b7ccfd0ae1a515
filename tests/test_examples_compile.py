"""The examples' --compile: the same numbers as without it, bit for bit (compiled steps replay the eager ones).

Every example that trains takes `compiled` in its `main` (so `--compile` on its command line, examples/_common.py)
and wraps its step in `_common.step_function`. The cheap examples run whole (quick) both ways; the others are
compared where their training happens, their `train` on a few steps, so that the suite stays short. Each test
runs with warnings as errors (a compile warning would mean a step ran eagerly) and checks that compiled steps
were replayed.
"""

import importlib
import importlib.util
import math
import subprocess
import sys
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def load(monkeypatch):
    """Import examples/<name>.py (examples/ on the path for `_common`), BLAS held to one thread."""
    from threadpoolctl import threadpool_limits

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.syspath_prepend(str(EXAMPLES))

    def _load(name):
        spec = importlib.util.spec_from_file_location(f"example_compile_{name}", EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    with threadpool_limits(limits=1, user_api="blas"):
        yield _load


@pytest.fixture
def compiled_steps(load, monkeypatch):
    """Every step the examples compile, collected (to check that they were replayed, not run eagerly)."""
    common = importlib.import_module("_common")  # the module the examples import (examples/ is on the path)
    made = []
    original = common.step_function

    def recording(step, compiled):
        wrapped = original(step, compiled)
        if compiled:
            made.append(wrapped)
        return wrapped

    monkeypatch.setattr(common, "step_function", recording)
    return made


def assert_replayed(steps):
    assert steps, "no step was compiled"
    assert sum(s.stats["replays"] for s in steps) > 0
    assert all(s.stats["eager"] == 0 for s in steps)


def assert_same(a, b, where="result"):
    """Equal numbers everywhere (NaN equal to NaN: diverging runs give them in both)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, (float, np.floating)) and math.isnan(a):
        assert math.isnan(b), where
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def both_ways(run, *args, **kwargs):
    """run(*args, **kwargs, compiled=...) eagerly and compiled (warnings as errors)."""
    eager = run(*args, **kwargs, compiled=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = run(*args, **kwargs, compiled=True)
    return eager, compiled


@pytest.mark.parametrize("name", ["normalization", "batchnorm", "saddle_points", "scalar_neuron"])
def test_example_gives_the_same_numbers_with_compile(name, load, compiled_steps, tmp_path):
    example = load(name)
    eager, compiled = both_ways(example.main, str(tmp_path), quick=True, seed=1)
    for result in (eager, compiled):
        result.pop("files", None)  # written into the same folder, twice
    assert_same(eager, compiled)
    if name != "scalar_neuron":  # it compiles its own step (floats=True), not through step_function
        assert_replayed(compiled_steps)


def test_optimizers_train_and_bowl_with_compile(load, compiled_steps):
    ex = load("optimizers")
    data = ex._common.digits(1)
    for name in ex.OPTIMIZERS:
        for lr in (0.01, 5.0):  # 5.0 diverges for some: the run stops at its first NaN cost, both ways
            assert_same(*both_ways(ex.train, name, lr, data, steps=20, seed=1))
        assert_same(*both_ways(ex.bowl_path, name, 0.5))
    assert_replayed(compiled_steps)


def test_initialization_train_with_compile(load, compiled_steps):
    ex = load("initialization")
    X, y = ex.make_circles(100, noise=0.08, seed=1)
    def train(init, compiled):
        return ex.train(ex.build_model(init, np.random.default_rng(1)), X, y, 0.1, 20, compiled)

    for init in ex.INITS.values():
        assert_same(*both_ways(train, init))
    assert_replayed(compiled_steps)


@pytest.mark.parametrize("run", ["none", "L2", "dropout"])
def test_regularization_train_with_compile(run, load, compiled_steps, monkeypatch):
    ex = load("regularization")
    monkeypatch.setattr(ex, "EVAL_EVERY", 5)
    X, y = ex.make_moons(100, noise=0.15, seed=1)
    data = {"X_train": X[:60], "y_train": y[:60], "X_dev": X[60:], "y_dev": y[60:]}
    def train(compiled):
        return ex.train(run, ex.build_model(run, 16, np.random.default_rng(1)), data, 20, compiled)

    assert_same(*both_ways(train))
    assert_replayed(compiled_steps)


def test_augmentation_train_with_compile(load, compiled_steps, monkeypatch):
    ex = load("augmentation")
    monkeypatch.setattr(ex, "EPOCHS", 2)
    monkeypatch.setattr(ex, "EVAL_EVERY", 1)
    data = ex.load(1)
    for run in ex.RUNS:
        assert_same(*both_ways(ex.train, run, data, 1))
    assert_replayed(compiled_steps)


def test_vanishing_exploding_train_with_compile(load, compiled_steps):
    ex = load("vanishing_exploding")
    data = ex._common.digits(1)
    data = {"X_train": data["X_train"][:192], "y_train": data["y_train"][:192]}

    def train(name, make_opt, clip, compiled):
        model = ex.build(name, np.random.default_rng(1))
        costs = ex.train(model, data, 1, 1, make_opt(model.parameters()), clip, compiled)
        return costs, [p.data for p in model.parameters()]

    adam, sgd = partial(ex.optim.Adam, lr=1e-3), partial(ex.optim.SGD, lr=0.01)
    assert_same(*both_ways(train, "ReLU, He (g = 1)", adam, None))
    assert_same(*both_ways(train, "ReLU, g = 1.5", sgd, None))  # NaN within the first steps: stops, both ways
    assert_same(*both_ways(train, "ReLU, g = 1.5", sgd, 1.0))  # clipped outside the compiled part
    assert_replayed(compiled_steps)


def test_cnn_digits_train_with_compile(load, compiled_steps, monkeypatch):
    ex = load("cnn_digits")
    digits = ex.load_data(1)
    monkeypatch.setattr(ex, "load_data", lambda seed: {k: v[:200] for k, v in digits.items()})
    eager, compiled = both_ways(ex.train, 1, 2)
    for result in (eager, compiled):
        result.pop("seconds")
    assert_same(eager, compiled)
    assert_replayed(compiled_steps)


def test_minibatch_size_steps_are_the_same_with_compile(load, compiled_steps):
    """The race is timed (a compiled step is cheaper, so more fit in the budget): compare step by step instead."""
    ex = load("minibatch_size")
    data = ex._common.digits(1)
    def steps(name, compiled):
        contender = ex.Contender(name, ex.LEARNING_RATES[name][1], data, 1, compiled)
        for _ in range(20 if ex.SIZES[name] else 4):
            contender.step(*next(contender.stream))
        return [p.data for p in contender.model.parameters()]

    for name in ex.SIZES:
        assert_same(*both_ways(steps, name))
    assert_replayed(compiled_steps)


def test_the_command_line_takes_compile(tmp_path):
    runs = [subprocess.run([sys.executable, "-W", "error", str(EXAMPLES / "saddle_points.py"), "--quick",
                            "--out", str(tmp_path / name), *flag], capture_output=True, text=True, check=True).stdout
            for name, flag in (("eager", []), ("compiled", ["--compile"]))]
    assert runs[0].replace("eager", "compiled") == runs[1]
    assert "gradient descent" in runs[0]


def test_quickstart_prints_the_same_with_compile():
    runs = [subprocess.run([sys.executable, "-W", "error", str(EXAMPLES / "quickstart.py"), *flag],
                           capture_output=True, text=True, check=True).stdout for flag in ([], ["--compile"])]
    assert runs[0] == runs[1]
    assert "step 300" in runs[0]
