"""Registry entries for the movement ops of tensor_movement.py: flip, roll, repeat, tile, tril, triu, diag, diagonal.

Each is composed from getitem, scatter_add, concatenate, broadcast_to and where, so these entries check
the composition (the pieces' own entries check the pieces). Samples cover negative and multiple axes,
shifts larger than the axis, array repeats, offsets above and below the diagonal, and batched matrices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tinygrad_notes.gradcheck.opinfo import _normal
from tinygrad_notes.gradcheck.registry import OpInfo, Sample

Gen = np.random.Generator


def _cases(cases: list[tuple[tuple, dict, str]]) -> Callable[[Gen], Iterator[Sample]]:
    def samples(rng: Gen) -> Iterator[Sample]:
        for shape, kwargs, note in cases:
            yield Sample((_normal(rng, shape),), dict(kwargs), note)
    return samples


def _method(name: str) -> Callable[..., Any]:
    return lambda x, **kw: getattr(x, name)(**kw)


ENTRIES: list[OpInfo] = [  # read by the registry: this module is one of its PROVIDERS
    OpInfo("Tensor.flip", _method("flip"), _cases([
        ((2, 3, 4), {}, "all axes"), ((2, 3, 4), {"axis": 1}, "one axis"),
        ((2, 3, 4), {"axis": (0, -1)}, "two axes"), ((5,), {"axis": 0}, "1-D")])),
    OpInfo("Tensor.roll", _method("roll"), _cases([
        ((5,), {"shift": 2}, "1-D"), ((3, 4), {"shift": -1, "axis": 1}, "negative shift"),
        ((3, 4), {"shift": 7, "axis": 0}, "a shift longer than the axis"),
        ((2, 3, 4), {"shift": (1, 2), "axis": (0, 2)}, "two axes"),
        ((3, 4), {"shift": 5}, "axis=None: over the flattened tensor")])),
    OpInfo("Tensor.repeat", _method("repeat"), _cases([
        ((3,), {"repeats": 2}, "each entry twice"), ((2, 3), {"repeats": 3, "axis": 1}, "along columns"),
        ((2, 3), {"repeats": [1, 0, 2], "axis": -1}, "a count per entry (one dropped)"),
        ((2, 2), {"repeats": 2}, "axis=None flattens")]), notes="numpy's repeat (PyTorch's repeat is tile)"),
    OpInfo("Tensor.tile", _method("tile"), _cases([
        ((3,), {"reps": 2}, "1-D twice"), ((2, 3), {"reps": (2, 1)}, "rows"),
        ((2, 3), {"reps": (2, 2, 3)}, "more reps than axes: new leading axis"),
        ((2, 1, 3), {"reps": 2}, "fewer reps than axes")])),
    OpInfo("Tensor.tril", _method("tril"), _cases([
        ((4, 4), {}, "square"), ((3, 5), {"k": 1}, "above the diagonal"),
        ((2, 4, 3), {"k": -1}, "batched, below the diagonal")])),
    OpInfo("Tensor.triu", _method("triu"), _cases([
        ((4, 4), {}, "square"), ((3, 5), {"k": -1}, "below the diagonal"),
        ((2, 4, 3), {"k": 2}, "batched, above the diagonal")])),
    OpInfo("Tensor.diag", _method("diag"), _cases([
        ((4,), {}, "a vector into a diagonal matrix"), ((3,), {"k": 2}, "onto diagonal 2"),
        ((3,), {"k": -1}, "onto diagonal -1"), ((4, 4), {}, "the diagonal of a matrix"),
        ((3, 5), {"k": 1}, "diagonal 1 of a wide matrix")])),
    OpInfo("Tensor.diagonal", _method("diagonal"), _cases([
        ((4, 4), {}, "main diagonal"), ((3, 5), {"offset": 2}, "offset 2"),
        ((5, 3), {"offset": -1}, "offset -1"),
        ((2, 3, 3), {"axis1": 1, "axis2": 2}, "batched matrices: a new last axis"),
        ((3, 2, 4), {"axis1": 2, "axis2": 0, "offset": 1}, "axes in reverse order")])),
]

NON_DIFFERENTIABLE: dict[str, str] = {}
