"""docs/ops.md and `tinygrad-notes gradcheck --list` are the op table generated from the registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinygrad_notes.app.cli import main
from tinygrad_notes.gradcheck import optable, registry
from tinygrad_notes.primitives import Exp, Sum
from tinygrad_notes.primitives_reduce import Min

DOC = Path(__file__).resolve().parents[1] / "docs" / "ops.md"


def test_docs_ops_md_is_the_generated_table() -> None:
    assert DOC.read_text() == optable.markdown(), (
        "docs/ops.md is out of date: python -m tinygrad_notes.gradcheck.optable > docs/ops.md")


def test_every_registered_and_declared_op_has_a_row() -> None:
    rows = {row.name: row for row in optable.rows()}
    for op in registry.all_ops():
        assert rows[op.name].differentiable
        assert rows[op.name].derivative
    for name, reason in registry.non_differentiable().items():
        assert not rows[name].differentiable
        assert rows[name].derivative == f"not differentiable: {reason}"


def test_formulas_come_from_the_entry_or_from_the_primitive_it_runs() -> None:
    rows = {row.name: row for row in optable.rows()}
    assert optable.backward_formula(Exp) == "d e^x/dx = e^x"
    assert rows["Tensor.exp"].derivative == "d e^x/dx = e^x"  # read beside Exp's backward rule
    assert optable.backward_formula(Min).startswith("1 to the minimum")
    assert rows["Tensor.sum"].derivative == optable.backward_formula(Sum)
    assert rows["Tensor.tan"].derivative == "d tan x/dx = 1 + tan(x)^2"
    assert rows["Tensor.var"].derivative == "composed of mean, sub, mul, sum, div"
    assert rows["Tensor.prod"].derivative == registry.get("Tensor.prod").formula
    assert rows["Tensor.__pos__"].derivative.startswith("identity")


def test_the_cli_lists_the_table(capsys: pytest.CaptureFixture) -> None:
    assert main(["gradcheck", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    tan = next(line for line in lines if line.startswith("Tensor.tan "))
    assert tan.split() == ["Tensor.tan", "yes", "d", "tan", "x/dx", "=", "1", "+", "tan(x)^2"]
    floor = next(line for line in lines if line.startswith("Tensor.floor "))
    assert "no" in floor.split() and "piecewise constant" in floor
