"""`python -m tinygrad_notes gradcheck`: the registry as a report, with an exit code CI can trust."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_notes import Function
from tinygrad_notes.app.cli import main
from tinygrad_notes.gradcheck import registry
from tinygrad_notes.gradcheck.registry import OpInfo, Sample

ROOT = Path(__file__).resolve().parents[1]


def _rows(text: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.startswith(("Tensor.", "prim"))}


def test_every_op_at_both_orders_passes_and_exits_0(capsys: pytest.CaptureFixture) -> None:
    assert main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    assert len(rows) >= 50 and "Tensor.exp" in rows and "primitives.ScatterAdd" in rows
    samples, first, second, verdict = rows["Tensor.matmul"][:4]
    assert int(samples) == 8 and float(first) < 1e-7 and float(second) < 1e-7 and verdict == "ok"
    n = len(registry.all_ops())
    assert f"{n}/{n} ops passed" in out


def test_one_op_one_order_fast(capsys: pytest.CaptureFixture) -> None:
    assert main(["gradcheck", "--op", "Tensor.tanh", "--op", "__getitem__", "--order", "2", "--fast"]) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    assert set(rows) == {"Tensor.tanh", "Tensor.__getitem__"}
    assert rows["Tensor.tanh"][1] == "-" and float(rows["Tensor.tanh"][2]) < 1e-7
    assert "fast mode" in out and "2/2 ops passed (20 samples, order 2)" in out


def test_an_operator_name_selects_the_entry_that_covers_it(capsys: pytest.CaptureFixture) -> None:
    assert main(["gradcheck", "--op", "Tensor.__mul__", "--order", "1"]) == 0
    assert set(_rows(capsys.readouterr().out)) == {"Tensor.mul"}


def test_a_failing_op_exits_1_and_prints_its_report(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture) -> None:
    class Wrong(Function):
        def forward(ctx, x):
            return np.exp(x)

        def backward(ctx, g):
            return g  # bug: d e^x/dx = e^x

    broken = OpInfo("Tensor.broken_exp", lambda x: Wrong.apply(x),
                    lambda rng: iter([Sample((rng.standard_normal(3),), {}, "three values")]))
    monkeypatch.setitem(registry._ops, broken.name, broken)
    assert main(["gradcheck", "--op", "Tensor.broken_exp", "--op", "Tensor.exp"]) == 1
    out = capsys.readouterr().out
    assert _rows(out)["Tensor.broken_exp"][-2:] == ["FAILED", "(1)"]  # order 1; its backward is self-consistent
    assert _rows(out)["Tensor.exp"][-1] == "ok"
    assert "1/2 ops passed" in out
    assert "Tensor.broken_exp, order 1, sample 'three values':" in out and "worst components of input 0" in out


def test_an_unknown_op_is_refused_with_the_known_names() -> None:
    with pytest.raises(SystemExit, match=r"no registered op called 'Tensor.expp'; did you mean Tensor.exp.*--list"):
        main(["gradcheck", "--op", "Tensor.expp"])


def test_list_shows_entries_and_non_differentiable_ops(capsys: pytest.CaptureFixture) -> None:
    assert main(["gradcheck", "--list"]) == 0
    out = capsys.readouterr().out
    assert "Tensor.mul" in out and "Tensor.__mul__" in out
    assert "Tensor.argmax" in out and "not differentiable: returns integer indices" in out


def test_python_dash_m_runs_the_command() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "tinygrad_notes", "gradcheck", "--op", "Tensor.sigmoid"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1/1 ops passed" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "tinygrad_notes"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "gradcheck" in bad.stderr
