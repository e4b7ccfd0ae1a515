"""Check a model's dJ/dθ like the notes: all named parameters flattened into one θ, reported per name.

The notes' recipe: reshape W1, b1, ..., WL, bL into one vector θ, compute
dθ_approx[i] = (J(θ+ε e_i) - J(θ-ε e_i)) / 2ε, compare with backprop's dθ, and
if they differ look at *which* components (all in db2? all in dW1?). Here the
cost J is exactly what you train on (the regularization term included when
`loss_fn` or `regularization` adds it), every entry of the report is one named
parameter with its place in θ, and dropout is handled: its masks are frozen so
J is a fixed function of θ, or it is switched off.

No import of `nn`: any object with `named_parameters()` works, and so does a
dict (or a list) of named Tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from typing import Any

import numpy as np

from tinygrad_notes.gradcheck.core import Settings, run_check
from tinygrad_notes.gradcheck.precision import float64_copies
from tinygrad_notes.gradcheck.report import GradcheckReport
from tinygrad_notes.leafswap import reading
from tinygrad_notes.tensor import Tensor


def named_tensors(model: Any) -> list[tuple[str, Tensor]]:
    """(name, Tensor) pairs of a model: `named_parameters()`, a (nested) dict, or a list of Tensors/pairs."""
    if hasattr(model, "named_parameters"):
        items = list(model.named_parameters())
    elif isinstance(model, Mapping):
        items = list(_flatten(model, ""))
    elif isinstance(model, (list, tuple)):
        items = []
        for i, item in enumerate(model):
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                items.append(item)
            else:
                items.append((getattr(item, "name", None) or f"param {i}", item))
    else:
        raise TypeError(f"gradcheck_model: cannot find the parameters of a {type(model).__name__}; pass an object "
                        "with named_parameters(), a dict {name: Tensor}, or a list of Tensors")
    seen: set[int] = set()
    out = []
    for name, t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"gradcheck_model: parameter {name!r} is a {type(t).__name__}, not a Tensor; the model's "
                            "forward must read Tensors for their gradients to be checked")
        if id(t) not in seen:  # a parameter shared by two layers is one block of θ
            seen.add(id(t))
            out.append((name, t))
    return out


def _flatten(tree: Mapping, prefix: str) -> Iterable[tuple[str, Any]]:
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, name + ".")
        else:
            yield name, value


def gradcheck_model(model: Any, loss_fn: Callable[..., Tensor], X: Any, y: Any = None, *,
                    forward: Callable[[Any, Tensor], Tensor] | None = None,
                    regularization: Callable[[Any], Tensor] | None = None, dropout: str = "frozen",
                    raise_on_failure: bool = False, **options: Any) -> GradcheckReport:
    """Check dJ/dθ for all of `model`'s parameters, J = loss_fn(forward(model, X), y) + regularization(model).

    `forward` defaults to calling the model (`model(X)`); give it for a dict of
    parameters. `dropout="frozen"` (default) keeps the model's mode and freezes
    every random draw made through `tinygrad_notes.random.draw` (dropout masks),
    so all evaluations see the same masks; `dropout="off"` calls `model.eval()`
    for the check when the model has it (this also puts batch norm on its running
    statistics) and restores the previous mode after. Parameters that are not
    float64 are checked as float64 copies; the model's own arrays are never
    written (a graph recorded before the check stays valid), and its mode and
    `state_dict()` (when it has one and the check moved it: batch-norm running
    statistics) are restored afterwards. Other options are gradcheck's (eps, atol, rtol, threshold, fast,
    probes, seed, ...).
    """
    if dropout not in ("frozen", "off"):
        raise ValueError(f"gradcheck_model: dropout must be 'frozen' or 'off', got {dropout!r}")
    named = named_tensors(model)
    params = [(n, t) for n, t in named if t.requires_grad]
    frozen_out = [n for n, t in named if not t.requires_grad]
    if not params:
        raise ValueError("gradcheck_model: the model has no parameter that requires grad")
    if forward is None:
        if not callable(model):
            raise TypeError(f"gradcheck_model: a {type(model).__name__} cannot be called; pass "
                            "forward=lambda params, X: ... to say how it computes its output")
        forward = lambda m, inputs: m(inputs)  # noqa: E731
    Xt, yt = _as_float64(X), _as_float64(y)

    def cost() -> Tensor:
        out = forward(model, Xt)
        J = loss_fn(out) if y is None else loss_fn(out, yt)
        if regularization is not None:
            J = J + regularization(model)
        return J

    notes: list[str] = []
    low = [(n, t) for n, t in params if t.dtype != np.float64]
    copies, promoted = float64_copies([(n, t.numpy()) for n, t in low], "gradcheck_model", stacklevel=3)
    notes += promoted
    snapshot = _state_snapshot(model)
    training = getattr(model, "training", None)
    switched = dropout == "off" and callable(getattr(model, "eval", None))
    try:
        with ExitStack() as float64:
            for (_, t), copy in zip(low, copies):  # the model's own arrays are never written (leafswap.reading)
                float64.enter_context(reading(t, copy))
            if switched:
                model.eval()
                notes.append("dropout off: model.eval() during the check (batch norm used its running statistics)")
            elif dropout == "off":
                notes.append("dropout='off' asked, but the model has no eval(): it ran as it is")
            offsets = np.cumsum([0] + [t.size for _, t in params])[:-1]
            report = run_check(cost, [t for _, t in params], [n for n, _ in params], Settings(**options),
                               title=f"gradcheck_model of {type(model).__name__}", order=1, offsets=list(offsets))
    finally:
        if switched and callable(getattr(model, "train", None)):
            model.train(training if training is not None else True)
        if snapshot is not None and _changed(snapshot, model.state_dict()):
            model.load_state_dict(snapshot)  # running statistics moved during the check: put them back
            notes.append("the model's state (running statistics) moved during the check and was restored")
    if dropout == "frozen" and not any(n.startswith("randomness frozen") for n in report.notes):
        notes.append("no random draws were made (no dropout active): nothing needed freezing")
    if frozen_out:
        notes.append(f"not checked (requires_grad=False): {', '.join(frozen_out)}")
    theta = " | ".join(f"{e.name} {e.offset}:{e.offset + e.size}" for e in report.entries)
    notes.insert(0, f"θ has {sum(e.size for e in report.entries)} components: [{theta}]")
    report.notes[:0] = notes
    if raise_on_failure:
        report.raise_if_failed()
    return report


def _as_float64(v: Any) -> Any:
    """Float data (an ndarray or a Tensor, kept as such) in float64; labels and other values unchanged."""
    if isinstance(v, Tensor) and v.dtype.kind == "f":
        return Tensor(np.asarray(v.numpy(), dtype=np.float64))
    if isinstance(v, np.ndarray) and v.dtype.kind == "f":
        return np.asarray(v, dtype=np.float64)
    return v


def _state_snapshot(model: Any) -> Any:
    """A deep copy of `model.state_dict()` when the model can load it back, else None."""
    if not (callable(getattr(model, "state_dict", None)) and callable(getattr(model, "load_state_dict", None))):
        return None
    return _copy(model.state_dict())


def _changed(before: Any, after: Any) -> bool:
    """Whether two state trees differ anywhere."""
    if isinstance(before, Mapping):
        return not isinstance(after, Mapping) or set(before) != set(after) or any(
            _changed(before[k], after[k]) for k in before)
    if isinstance(before, list):
        return not isinstance(after, list) or len(before) != len(after) or any(
            _changed(a, b) for a, b in zip(before, after))
    if isinstance(before, np.ndarray) or isinstance(after, (np.ndarray, Tensor)):
        a = after.numpy() if isinstance(after, Tensor) else after
        return np.shape(before) != np.shape(a) or not np.array_equal(before, a)
    return bool(before != after)


def _copy(tree: Any) -> Any:
    if isinstance(tree, Mapping):
        return {k: _copy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_copy(v) for v in tree]
    if isinstance(tree, Tensor):
        return np.array(tree.numpy())
    if isinstance(tree, np.ndarray):
        return np.array(tree)
    return tree
