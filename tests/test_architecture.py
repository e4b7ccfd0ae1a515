"""The layout holds: one record per op, layers that import only downward, public seams, tests that can fail.

These tests read the source (imports and attribute accesses, with Python's own
parser) and the primitive classes, so a change that breaks the architecture fails
here with a message saying what and where.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import numpy as np
import pytest

import nn
import tinygrad_notes
from tinygrad_notes import Primitive, Tensor, walk
from tinygrad_notes.gradcheck import registry

ROOT = Path(__file__).resolve().parents[1]
SIBLINGS = {"nn", "optim", "viz"}
PRIVATE = {"_ctx", "_extra", "_data"}  # the engine's internals: other packages use grad_fn, name, data/numpy()


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported_packages(path: Path) -> set[str]:
    """Top-level packages a file imports (statically, anywhere in the file)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _library_primitives() -> list[type]:
    """Every op class of the library: Primitive subclasses in tinygrad_notes and nn that name their op
    (a shared base such as primitives_math.Unary names none: it is not an op)."""
    for package in (tinygrad_notes, nn):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)
    todo, found = [Primitive], []
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in ("tinygrad_notes", "nn") and "op_name" in vars(sub):
                found.append(sub)
    return found


# ---- one record per op ------------------------------------------------------------------------------
def _without_rule(primitives: list[type]) -> list[str]:
    return sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in primitives if cls.batched is None)


def test_every_library_primitive_names_its_batched_replay_rule() -> None:
    primitives = _library_primitives()
    assert len(primitives) >= 30
    assert _without_rule(primitives) == [], ("give each primitive `batched = classmethod(batch_...)` from "
                                             "tinygrad_notes/batching.py")


def test_a_library_primitive_without_a_rule_is_caught() -> None:
    class Cube(Primitive):  # a new primitive someone forgot to give a rule
        __slots__ = ()
        op_name = "cube"

        def forward(ctx, x):
            return x**3

        def backward(ctx, g):  # d x^3/dx = 3 x^2
            (x,) = ctx.operands()
            return g * 3 * x * x

    Cube.__module__ = "tinygrad_notes.primitives"  # as if it were written there
    try:
        assert _without_rule(_library_primitives()) == ["tinygrad_notes.primitives." + Cube.__qualname__]
    finally:
        Cube.__module__ = __name__


def test_every_library_primitive_is_reached_by_the_registry() -> None:
    """Adding a primitive means adding its registry entry: each one appears in some entry's graph."""
    reached: set[type] = set()
    for op in registry.all_ops():
        for sample in op.samples(np.random.default_rng(0)):
            xs = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in sample.inputs]
            out = op.fn(*xs, **sample.kwargs)
            reached |= {type(node) for node in walk([out])}
    unreached = sorted(cls.__qualname__ for cls in _library_primitives() if cls not in reached)
    assert unreached == [], f"primitives no registry entry exercises: {unreached}"


# ---- layers -----------------------------------------------------------------------------------------
def test_the_engine_and_the_checker_import_no_package_above_them() -> None:
    below_app = [p for p in _modules("tinygrad_notes") if "app" not in p.relative_to(ROOT / "tinygrad_notes").parts]
    assert len(below_app) > 20
    offenders = {str(p.relative_to(ROOT)): sorted(_imported_packages(p) & SIBLINGS) for p in below_app}
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize(("package", "allowed"), [("nn", set()), ("optim", set()), ("viz", {"nn"})])
def test_nn_optim_and_viz_import_each_other_only_where_allowed(package: str, allowed: set[str]) -> None:
    offenders = {}
    for path in _modules(package):
        bad = (_imported_packages(path) & SIBLINGS) - allowed - {package}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_nothing_below_the_app_imports_the_app() -> None:
    offenders = []
    for package in ("tinygrad_notes", "nn", "optim", "viz"):
        for path in _modules(package):
            if "app" in path.relative_to(ROOT).parts or path.name == "__main__.py":  # `python -m`: the app's door
                continue
            if re.search(r"^\s*(from|import) tinygrad_notes\.app\b", path.read_text(), re.M):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# ---- public seams -----------------------------------------------------------------------------------
@pytest.mark.parametrize("package", ["nn", "optim", "viz"])
def test_packages_above_the_engine_use_only_its_public_names(package: str) -> None:
    uses = []
    for path in _modules(package):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr in PRIVATE:
                uses.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert uses == [], "use grad_fn, name, data / numpy() / inplace_data() instead"


def test_the_public_seams_are_exported() -> None:
    for name in ("Primitive", "op_name", "walk", "topological_order", "inputs_of", "GraphFreedError", "Function"):
        assert name in tinygrad_notes.__all__
        assert getattr(tinygrad_notes, name) is not None


# ---- tests that can fail ----------------------------------------------------------------------------
CHAINED = re.compile(r"assert_\w+\([^\n]*\)\s+and\s+\S*assert_\w+\(")


def test_no_test_chains_assertion_calls_with_and() -> None:
    """A chain of two assert_allclose calls joined by `and` never runs its second half (the first returns None)."""
    offenders = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if CHAINED.search(line):
                offenders.append(f"{path.name}:{number}")
    assert offenders == [], "write one assertion per statement"


def test_the_scan_recognizes_the_pattern() -> None:
    assert CHAINED.search("    np.testing.assert_allclose(gx, y) " + "and np.testing.assert_allclose(gy, x)")
    assert not CHAINED.search("    assert a == 1 and b == 2")
