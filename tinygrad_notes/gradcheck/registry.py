"""The op registry: every differentiable public op with its sample inputs, so tests and the CLI check them all.

An entry names the public op (`Tensor.exp`, `concatenate`, `nn.functional.mse_loss`,
`nn.Linear`), gives a function that applies it to Tensors, and a generator of
samples: the arrays to differentiate (they become float64 Tensors that require
grad) and fixed keyword arguments, chosen inside the op's valid domain and away
from its kinks. Packages built on the engine register their own entries when
imported (`import nn` registers nn's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_notes.tensor import Tensor


@dataclass(frozen=True)
class Sample:
    """One call of an op: `inputs` are differentiated, `kwargs` are passed as they are."""

    inputs: tuple[np.ndarray, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    note: str = ""  # what the sample exercises, e.g. "broadcast (3, 1) with (4,)", "axis=-1, keepdims"


@dataclass(frozen=True)
class OpInfo:
    """A registered op: `fn(*tensors, **sample.kwargs)` returns a Tensor; `samples(rng)` yields Samples."""

    name: str
    fn: Callable[..., Tensor]
    samples: Callable[[np.random.Generator], Iterable[Sample]]
    second_order: bool = True  # also checked with gradgradcheck
    covers: tuple[str, ...] = ()  # further public names this entry checks (aliases, operators)
    notes: str = ""


_ops: dict[str, OpInfo] = {}
_non_differentiable: dict[str, str] = {}


def register(op: OpInfo) -> OpInfo:
    """Add an entry (a name may be registered once)."""
    if op.name in _ops:
        raise ValueError(f"registry: an op named {op.name!r} is already registered")
    _ops[op.name] = op
    return op


def declare_non_differentiable(reason: str, *names: str) -> None:
    """Record public ops that have no gradient on purpose (argmax, comparisons, sign...)."""
    for name in names:
        _non_differentiable[name] = reason


def all_ops() -> list[OpInfo]:
    """Every registered entry, in registration order (the engine's own ops are always loaded)."""
    import tinygrad_notes.gradcheck.opinfo  # noqa: F401  (registers the engine's entries on first import)

    return list(_ops.values())


def get(name: str) -> OpInfo:
    """The entry called `name`."""
    all_ops()
    try:
        return _ops[name]
    except KeyError:
        raise KeyError(f"registry: no op named {name!r}; known: {', '.join(sorted(_ops))}") from None


def non_differentiable() -> dict[str, str]:
    """Public ops declared to have no gradient, with the reason."""
    all_ops()
    return dict(_non_differentiable)


def covered_names() -> set[str]:
    """Every public name some entry checks."""
    return {n for op in all_ops() for n in (op.name, *op.covers)}
