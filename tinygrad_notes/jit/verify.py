"""Checking a program against the eager step: same starting state, both run, every result compared bit for bit.

Before a program is trusted (on the call after its trace), and on every call with
`verify=True`, the state the program can change is saved: the arrays of the
parameters and buffers it reads and writes, the `.grad` of the tensors it gives
gradients to, the generators of its random draws, and the `state_dict()` of the
objects whose methods it calls whole (an optimizer). The program runs; what it
left is saved; the state is put back; the eager step runs; the two are compared.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes.random import default_generator
from tinygrad_notes.tensor import Tensor, _make


def _copy(value: Any) -> Any:
    """A deep copy of state_dict-like data (dicts, lists, arrays, numbers)."""
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


class Snapshot:
    """Copies of everything a program can change (see the module docstring)."""

    def __init__(self, arrays: list[tuple[str, np.ndarray]], leaves: list[tuple[str, Tensor]],
                 generators: list[Any], owners: list[Any]) -> None:
        self.arrays = [(label, arr, np.array(arr, copy=True)) for label, arr in arrays]
        self.grads = [(label, leaf, None if leaf.grad is None else np.array(leaf.grad._data, copy=True))
                      for label, leaf in leaves]
        gens = [default_generator() if g is None else g for g in generators]
        self.rng = [(g, g.bit_generator.state) for g in gens]
        self.owners = [(o, _copy(o.state_dict())) for o in owners if hasattr(o, "state_dict")]

    def restore(self) -> None:
        for _, arr, saved in self.arrays:
            np.copyto(arr, saved)
        for _, leaf, saved in self.grads:
            leaf.grad = None if saved is None else _make(np.array(saved, copy=True), False, None)
        for g, state in self.rng:
            g.bit_generator.state = state
        for owner, state in self.owners:
            owner.load_state_dict(_copy(state))

    def differences(self, other: Snapshot) -> list[str]:
        """What differs between two snapshots of the same things, in words."""
        found = []
        for (label, _, a), (_, _, b) in zip(self.arrays, other.arrays):
            why = array_difference(a, b)
            if why:
                found.append(f"{label}: {why}")
        for (label, _, a), (_, _, b) in zip(self.grads, other.grads):
            if (a is None) != (b is None):
                found.append(f"the .grad of {label}: " + ("None" if a is None else "set") + " in the program, "
                             + ("None" if b is None else "set") + " in eager")
            elif a is not None:
                why = array_difference(a, b)
                if why:
                    found.append(f"the .grad of {label}: {why}")
        for (_, a), (_, b) in zip(self.rng, other.rng):
            if a != b:
                found.append("a random generator's state: the program drew a different number of values")
        for (owner, a), (_, b) in zip(self.owners, other.owners):
            why = _state_difference(a, b)
            if why:
                found.append(f"the state of {type(owner).__name__}: {why}")
        return found


def array_difference(a: Any, b: Any) -> str | None:
    """None when a and b are the same bits (shape, dtype and every value), else what differs."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return f"shape/dtype {a.shape} {a.dtype} in the program, {b.shape} {b.dtype} in eager"
    if np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes():
        return None
    if a.dtype.kind in "fc":
        with np.errstate(all="ignore"):
            diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        count = int(np.count_nonzero(~((a == b) | (np.isnan(a) & np.isnan(b)))))
        worst = float(np.nanmax(diff)) if diff.size else 0.0
        return f"{count} of {a.size} values differ (largest difference {worst:.3g})"
    return f"{int(np.count_nonzero(a != b))} of {a.size} values differ"


def _state_difference(a: Any, b: Any, path: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return f"entries {sorted(map(str, a))} vs {sorted(map(str, b))}{path}"
        for k in a:
            why = _state_difference(a[k], b[k], f"{path}[{k!r}]")
            if why:
                return why
        return None
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        why = array_difference(a, b)
        return f"{path}: {why}" if why else None
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            why = _state_difference(x, y, f"{path}[{i}]")
            if why:
                return why
        return None
    return None if a == b else f"{path}: {a!r} in the program, {b!r} in eager"


def value_differences(program: list[Any], eager: list[Any]) -> list[str]:
    """Differences between the outputs of the program and of eager (tensors and arrays, in order)."""
    found = []
    for i, (a, b) in enumerate(zip(program, eager)):
        a = a._data if isinstance(a, Tensor) else a
        b = b._data if isinstance(b, Tensor) else b
        why = array_difference(a, b)
        if why:
            found.append(f"output {i}: {why}")
    return found
