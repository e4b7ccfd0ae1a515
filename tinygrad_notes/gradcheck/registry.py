"""The op registry: every differentiable public op with its sample inputs, so tests and the CLI check them all.

An entry names the public op (`Tensor.exp`, `concatenate`, `nn.functional.mse_loss`,
`nn.Linear`), gives a function that applies it to Tensors, and a generator of
samples: the arrays to differentiate (they become float64 Tensors that require
grad) and fixed keyword arguments, chosen inside the op's valid domain and away
from its kinks.

The entries come from a declared list of providers (`PROVIDERS`), loaded the
first time the registry is asked, never as a side effect of importing a
package: a test file collects the same cases whether it runs alone or after
others. A provider is a module with `ENTRIES` (a list of OpInfo) and
`NON_DIFFERENTIABLE` (public name -> why it has no gradient). A provider in
`nn`, `optim` or `viz` is loaded only after checking that the package is this
distribution's own (another distribution may install a package of that name).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_notes.distribution import SIBLINGS, import_ours
from tinygrad_notes.tensor import Tensor

PROVIDERS = (
    "tinygrad_notes.gradcheck.opinfo", "tinygrad_notes.gradcheck.opinfo_math", "tinygrad_notes.gradcheck.opinfo_reduce",
    "tinygrad_notes.gradcheck.opinfo_movement", "tinygrad_notes.gradcheck.opinfo_index",
    "tinygrad_notes.gradcheck.opinfo_conv", "nn.opinfo", "nn.opinfo_activations", "nn.opinfo_conv",
)


@dataclass(frozen=True)
class Sample:
    """One call of an op: `inputs` are differentiated, `kwargs` are passed as they are."""

    inputs: tuple[np.ndarray, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    note: str = ""  # what the sample exercises, e.g. "broadcast (3, 1) with (4,)", "axis=-1, keepdims"
    at_kink: bool = False  # an edge point on purpose (relu6 at its bounds, ties in sort): reported as a kink


@dataclass(frozen=True)
class OpInfo:
    """A registered op: `fn(*tensors, **sample.kwargs)` returns a Tensor; `samples(rng)` yields Samples."""

    name: str
    fn: Callable[..., Tensor]
    samples: Callable[[np.random.Generator], Iterable[Sample]]
    second_order: bool = True  # also checked with gradgradcheck
    covers: tuple[str, ...] = ()  # further public names this entry checks (aliases, operators)
    notes: str = ""
    formula: str = ""  # its derivative, for the op table (docs/ops.md); empty: read from the primitives it runs


_ops: dict[str, OpInfo] = {}
_non_differentiable: dict[str, str] = {}
_loaded: list[str] = []  # providers loaded so far, in order
_lock = threading.Lock()


def _load() -> None:
    """Load every provider once (thread-safe); a missing or foreign provider raises, it is never skipped."""
    if len(_loaded) == len(PROVIDERS):
        return
    with _lock:
        for name in PROVIDERS:
            if name in _loaded:
                continue
            package = name.split(".")[0]
            if package in SIBLINGS:
                import_ours(package)  # ForeignPackageError names the other package and the fix
            module = importlib.import_module(name)
            for op in module.ENTRIES:
                _add(op)
            _non_differentiable.update(module.NON_DIFFERENTIABLE)
            _loaded.append(name)


def _add(op: OpInfo) -> None:
    if op.name in _ops:
        raise ValueError(f"registry: an op named {op.name!r} is already registered")
    _ops[op.name] = op


def register(op: OpInfo) -> OpInfo:
    """Add an entry at run time (a user's own op); a name may be registered once."""
    _load()
    with _lock:
        _add(op)
    return op


def non_differentiable_names(reason: str, *names: str) -> dict[str, str]:
    """A provider's declaration of public ops that have no gradient on purpose (argmax, comparisons, sign...)."""
    return dict.fromkeys(names, reason)


def all_ops() -> list[OpInfo]:
    """Every registered entry: the providers' in the order of PROVIDERS, then any registered at run time."""
    _load()
    return list(_ops.values())


def get(name: str) -> OpInfo:
    """The entry called `name`."""
    _load()
    try:
        return _ops[name]
    except KeyError:
        raise KeyError(f"registry: no op named {name!r}; known: {', '.join(sorted(_ops))}") from None


def non_differentiable() -> dict[str, str]:
    """Public ops declared to have no gradient, with the reason."""
    _load()
    return dict(_non_differentiable)


def covered_names() -> set[str]:
    """Every public name some entry checks."""
    return {n for op in all_ops() for n in (op.name, *op.covers)}
