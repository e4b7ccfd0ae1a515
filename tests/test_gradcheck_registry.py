"""Every registered op passes the gradient checker, and every public differentiable op is registered.

The tests are generated from the registry: adding an entry adds its checks.
The registry loads its declared providers (the engine's entries and nn's) itself;
`nn` is imported here only to list its public ops.
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import nn
import tinygrad_notes
from tinygrad_notes import Tensor, gradcheck, gradgradcheck
from tinygrad_notes.app.cli import check_op
from tinygrad_notes.gradcheck import registry
from tinygrad_notes.gradcheck.registry import OpInfo, Sample

CASES = [(op, i, sample) for op in registry.all_ops() for i, sample in enumerate(op.samples(np.random.default_rng(0)))]
IDS = [f"{op.name}[{i}: {sample.note}]" for op, i, sample in CASES]


def _bound(op: OpInfo, sample: Sample):
    return lambda *tensors: op.fn(*tensors, **sample.kwargs)


@pytest.mark.parametrize(("op", "index", "sample"), CASES, ids=IDS)
def test_first_order_passes_at_default_thresholds(op: OpInfo, index: int, sample: Sample) -> None:
    report = gradcheck(_bound(op, sample), list(sample.inputs))
    assert report.passed, str(report)
    if sample.at_kink:  # an edge point on purpose: it must be recognized as a kink, not pass by luck
        assert report.kinks > 0, f"a sample marked at_kink shows no kink:\n{report}"
    else:
        assert report.kinks == 0, f"samples stay away from kinks:\n{report}"


@pytest.mark.parametrize(("op", "index", "sample"), [c for c in CASES if c[0].second_order],
                         ids=[i for c, i in zip(CASES, IDS) if c[0].second_order])
def test_second_order_passes_at_default_thresholds(op: OpInfo, index: int, sample: Sample) -> None:
    report = gradgradcheck(_bound(op, sample), list(sample.inputs))
    assert report.passed, str(report)
    assert report.order == 2 and report.entries[-1].name == "grad_output"


def test_no_false_alarms_at_random_points_over_many_seeds() -> None:
    failures = []
    for seed in range(1, 5):
        for op in registry.all_ops():
            result = check_op(op, (1, 2), seed=seed)
            failures += [(seed, op.name, order, note) for order, note, _ in result.failures]
    assert failures == []


def test_primitives_made_by_backward_rules_are_reached_by_second_order_checks() -> None:
    """Indexing's second derivative runs through ScatterAdd (getitem's VJP), which also has its own entry."""
    from tinygrad_notes import grad
    from tinygrad_notes.function import op_name

    x = Tensor(np.linspace(-1, 1, 5), requires_grad=True)
    y = x[np.array([0, 0, 3])]
    v = Tensor(np.ones(y.shape), requires_grad=True)  # as in gradgradcheck, the incoming gradient is an input
    (g,) = grad(y, x, grad_outputs=v, create_graph=True)
    assert op_name(g.grad_fn) == "scatter_add"
    assert "primitives.ScatterAdd" in registry.covered_names()


# ---- coverage: a public differentiable op missing from the registry fails here ----------------------
OPS_RETURN = re.compile(r"^(Tensor|list\[Tensor\]|tuple\[Tensor, \.\.\.\])$")
OPERATORS = {  # Python's operator protocol: any of these on Tensor is an op
    f"__{n}__" for n in (
        "add radd sub rsub mul rmul truediv rtruediv floordiv rfloordiv mod rmod pow rpow matmul rmatmul neg pos "
        "abs lt le gt ge eq ne iadd isub imul itruediv ipow imatmul getitem "
        "and rand or ror xor rxor invert lshift rlshift rshift rrshift").split()}


def _returns_tensor(fn: object) -> bool:
    target = fn.fget if isinstance(fn, property) else fn
    annotation = inspect.get_annotations(target).get("return") if callable(target) else None
    return isinstance(annotation, str) and bool(OPS_RETURN.match(annotation))


def public_ops() -> set[str]:
    """Every public name that makes a Tensor from Tensors: Tensor methods and operators, module functions,
    and, when nn provides them, nn.functional's functions, nn's layer classes and nn's Tensor functions."""
    names = set()
    for name, member in vars(Tensor).items():  # the op families' methods too: tensor.py copies them in
        if name in OPERATORS or (not name.startswith("_") and _returns_tensor(member)):
            names.add(f"Tensor.{name}")
    for name in tinygrad_notes.__all__:
        member = getattr(tinygrad_notes, name)
        if inspect.isfunction(member) and _returns_tensor(member):
            names.add(name)
    functional = getattr(nn, "functional", None)
    if functional is not None:
        for name in getattr(functional, "__all__", [n for n in vars(functional) if not n.startswith("_")]):
            member = getattr(functional, name)
            if inspect.isfunction(member) and member.__module__.startswith("nn") and _returns_tensor(member):
                names.add(f"nn.functional.{name}")
    module = getattr(nn, "Module", None)
    for name in getattr(nn, "__all__", []):
        member = getattr(nn, name)
        if module is not None and inspect.isclass(member) and issubclass(member, module) and member is not module:
            names.add(f"nn.{name}")  # a layer
        elif inspect.isfunction(member) and inspect.get_annotations(member).get("return") == "Tensor":
            names.add(f"nn.{name}")  # a function computing a Tensor (the penalties), not a selector of tensors
    return names


def test_every_public_differentiable_op_is_registered_or_declared() -> None:
    public = public_ops()
    assert {"Tensor.exp", "Tensor.__add__", "Tensor.__rpow__", "Tensor.T", "concatenate", "where"} <= public
    known = registry.covered_names() | set(registry.non_differentiable())
    missing = sorted(public - known)
    assert missing == [], (
        f"public ops without a registry entry: {missing}. Register each with samples "
        "(tinygrad_notes/gradcheck/opinfo.py, nn/opinfo.py: ENTRIES), or declare it in the provider's "
        "NON_DIFFERENTIABLE with registry.non_differentiable_names(reason, name)"
    )


def test_every_registry_name_is_a_real_public_name() -> None:
    """No stale entries: an entry checks something a user can call."""
    stale = []
    for name in registry.covered_names() | set(registry.non_differentiable()):
        owner, _, attr = name.rpartition(".")
        target = {"": tinygrad_notes, "Tensor": Tensor, "primitives": tinygrad_notes.primitives,
                  "nn": nn, "nn.functional": getattr(nn, "functional", None)}.get(owner)
        if target is None or not hasattr(target, attr):
            stale.append(name)
    assert stale == []


def test_declared_non_differentiable_ops_return_constants() -> None:
    x = Tensor(np.array([[0.5, -1.0], [2.0, 0.0]]), requires_grad=True)
    for result in (x.sign(), x.argmax(), x.argmin(axis=0), x < 1, x >= 0, x == x, x != 0, x.detach()):
        assert not result.requires_grad
    assert "Tensor.sign" in registry.non_differentiable()
    assert "Tensor.__lt__" in registry.non_differentiable()


def test_registry_refuses_a_second_entry_with_the_same_name_and_names_the_unknown() -> None:
    with pytest.raises(ValueError, match="Tensor.exp"):
        registry.register(OpInfo("Tensor.exp", lambda x: x, lambda rng: iter(())))
    with pytest.raises(KeyError, match="no op named 'Tensor.nope'"):
        registry.get("Tensor.nope")
