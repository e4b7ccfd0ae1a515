"""Registry entries for take_along_axis, scatter_add, masked_fill, sort and topk (tensor_index.py).

take_along_axis samples repeat indices (their gradients must add up) and broadcast indices; scatter_add
is differentiated in the tensor and in the added values. sort and topk are checked on distinct values
and, marked `at_kink`, on ties: there the sorted output is continuous but not differentiable, and the
checker must report a kink (the gradient goes to the entry the stable sort put first), not a bug.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tinygrad_notes.gradcheck.opinfo import _distinct, _normal
from tinygrad_notes.gradcheck.registry import OpInfo, Sample, non_differentiable_names

Gen = np.random.Generator


def _take_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_normal(rng, (3, 4)),), {"indices": np.array([[0, 3, 3], [1, 1, 1], [2, 0, 3]]), "axis": 1},
                 "rows, repeated indices")
    yield Sample((_normal(rng, (3, 4)),), {"indices": np.array([[2, 0, 1, 2]]), "axis": 0},
                 "columns, one row of indices")
    yield Sample((_normal(rng, (2, 3, 4)),), {"indices": rng.integers(0, 3, (2, 5, 4)), "axis": -2},
                 "3-D, more picks than entries")
    yield Sample((_normal(rng, (2, 3)),), {"indices": np.array([[1], [0]]), "axis": 1}, "one pick per row")


def _scatter_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_normal(rng, (3, 4)), _normal(rng, (3, 2))), {"indices": np.array([[0, 0], [3, 1], [2, 2]]),
                                                                 "axis": 1}, "rows, values added twice at one place")
    yield Sample((_normal(rng, (4, 2)), _normal(rng, (3, 2))), {"indices": np.array([[0, 1], [0, 3], [2, 1]]),
                                                                 "axis": 0}, "columns")


def _masked_fill_samples(rng: Gen) -> Iterator[Sample]:
    mask = rng.random((3, 4)) < 0.5
    yield Sample((_normal(rng, (3, 4)),), {"mask": mask, "value": 0.0}, "fill with 0")
    yield Sample((_normal(rng, (3, 4)),), {"mask": np.array([True, False, False, True]), "value": -1.5},
                 "a mask broadcast along rows")


def _sort_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_distinct(rng, (6,)),), {}, "distinct values")
    yield Sample((_distinct(rng, (3, 4)),), {"axis": 0}, "columns")
    yield Sample((_distinct(rng, (3, 4)),), {"descending": True}, "descending")
    yield Sample((np.array([0.3, -1.0, 0.3, 2.0, -1.0]),), {}, "ties: a kink", at_kink=True)


def _topk_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_distinct(rng, (6,)),), {"k": 3}, "3 largest")
    yield Sample((_distinct(rng, (3, 5)),), {"k": 2, "axis": 0}, "2 largest per column")
    yield Sample((_distinct(rng, (3, 5)),), {"k": 2, "largest": False}, "2 smallest per row")
    yield Sample((np.array([1.5, 0.2, 1.5, -0.4]),), {"k": 1}, "a tie for the top: a kink", at_kink=True)


ENTRIES: list[OpInfo] = [  # read by the registry: this module is one of its PROVIDERS
    OpInfo("Tensor.take_along_axis", lambda x, indices, axis: x.take_along_axis(indices, axis), _take_samples,
           notes="second order reaches add_along_axis, its VJP"),
    OpInfo("Tensor.scatter_add", lambda x, v, indices, axis: x.scatter_add(indices, v, axis), _scatter_samples,
           formula="1 in x; each added value gets the gradient of the entry it went to (take_along_axis)"),
    OpInfo("Tensor.masked_fill", lambda x, mask, value: x.masked_fill(mask, value), _masked_fill_samples),
    OpInfo("Tensor.sort", lambda x, **kw: x.sort(**kw), _sort_samples,
           formula="each sorted entry's gradient goes back to where it came from (take_along_axis); ties are kinks"),
    OpInfo("Tensor.topk", lambda x, **kw: x.topk(**kw).values, _topk_samples,
           formula="each of the k values' gradient goes back to where it came from; ties are kinks"),
]

NON_DIFFERENTIABLE: dict[str, str] = {
    **non_differentiable_names("returns integer indices", "Tensor.argsort"),
}

