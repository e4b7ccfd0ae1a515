"""The examples' --compile: the same numbers as without it, bit for bit (compiled steps replay the eager ones)."""

import importlib.util
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_compile_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


@pytest.mark.parametrize("name", ["optimizers", "normalization", "batchnorm", "scalar_neuron"])
def test_example_gives_the_same_numbers_with_compile(name, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    example = load(name)
    eager = example.main(str(tmp_path / "eager"), quick=True, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a compile warning would mean a step ran eagerly
        compiled = example.main(str(tmp_path / "compiled"), quick=True, seed=1, compiled=True)
    for result in (eager, compiled):
        result.pop("files", None)  # paths differ
    assert_same(eager, compiled)


def test_quickstart_prints_the_same_with_compile():
    runs = [subprocess.run([sys.executable, "-W", "error", str(EXAMPLES / "quickstart.py"), *flag],
                           capture_output=True, text=True, check=True).stdout for flag in ([], ["--compile"])]
    assert runs[0] == runs[1]
    assert "step 300" in runs[0]
