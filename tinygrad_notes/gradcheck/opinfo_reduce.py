"""Registry entries for the reductions and running ops: prod, cumsum, cumprod, cummax, cummin, norm, einsum.

Samples include the edge points these ops are known to get wrong elsewhere: zeros in prod and cumprod
(one zero, two zeros, a zero first or last: the gradient there is a product of the others, not a
division by 0) and ties in cummax/cummin (a kink: the running extreme may come from either entry, marked
`at_kink`). The zero vector of norm is a kink whose two-sided difference (0) is the gradient, and where no
second derivative exists: tests/test_ops_reduce.py checks it directly.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tinygrad_notes.gradcheck.opinfo import _distinct, _normal, _positive
from tinygrad_notes.gradcheck.registry import OpInfo, Sample, non_differentiable_names
from tinygrad_notes.primitives_einsum import einsum

Gen = np.random.Generator


def _with_zeros(rng: Gen, shape: tuple[int, ...], count: int) -> np.ndarray:
    x = _normal(rng, shape).reshape(-1)
    x[rng.choice(x.size, count, replace=False)] = 0.0
    return x.reshape(shape)


def _cumulative_samples(method: str) -> callable:
    def samples(rng: Gen) -> Iterator[Sample]:
        yield Sample((_normal(rng, (5,)),), {"axis": 0}, "1-D")
        yield Sample((_normal(rng, (3, 4)),), {"axis": 1}, "rows of a matrix")
        yield Sample((_normal(rng, (3, 4)),), {"axis": -2}, "columns, negative axis")
        yield Sample((_normal(rng, (2, 3)),), {"axis": None}, "axis=None: over the flattened tensor")
        if method == "cumprod":
            yield Sample((np.array([1.5, 0.0, -2.0, 0.7]),), {"axis": 0}, "a zero inside")
            yield Sample((np.array([0.0, 1.3, -0.8]),), {"axis": 0}, "a zero first")
            yield Sample((np.array([0.9, -1.2, 0.0]),), {"axis": 0}, "a zero last")
            yield Sample((np.array([[1.1, 0.0, 2.0, 0.0], [0.5, -1.5, 0.8, 1.2]]),), {"axis": 1},
                         "two zeros in one row, none in the other")
    return samples


def _prod_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_normal(rng, (2, 3, 4)),), {}, "everything")
    yield Sample((_normal(rng, (2, 3, 4)),), {"axis": 1}, "middle axis")
    yield Sample((_normal(rng, (2, 3, 4)),), {"axis": (0, 2), "keepdims": True}, "two axes, keepdims")
    yield Sample((_normal(rng, ()),), {}, "0-d")
    yield Sample((_with_zeros(rng, (3, 4), 1),), {"axis": 1}, "one zero: its gradient is the product of the rest")
    yield Sample((np.array([[0.0, 1.5, 0.0], [1.2, -0.7, 2.0]]),), {"axis": 1}, "two zeros in a row: gradient 0")
    yield Sample((_with_zeros(rng, (4,), 1),), {}, "a zero, all axes")


def _running_extreme_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_distinct(rng, (6,)),), {"axis": 0}, "distinct values")
    yield Sample((_distinct(rng, (3, 4)),), {"axis": 1}, "rows")
    yield Sample((_distinct(rng, (3, 4)),), {"axis": 0}, "columns")
    yield Sample((np.array([0.5, 1.5, -0.3, 1.5, 0.2]),), {"axis": 0}, "a tie for the running extreme",
                 at_kink=True)


def _tied_low(rng: Gen) -> Iterator[Sample]:
    for s in _running_extreme_samples(rng):
        yield Sample((-s.inputs[0],), s.kwargs, s.note, s.at_kink)


def _norm_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_normal(rng, (3, 4)),), {}, "2-norm of everything (Frobenius)")
    yield Sample((_normal(rng, (3, 4)),), {"axis": 1, "keepdims": True}, "2-norm of rows, keepdims")
    yield Sample((_normal(rng, (3, 4)),), {"ord": "fro", "axis": (0, 1)}, "fro over both axes")
    yield Sample((_positive(rng, (3, 4)) * np.sign(_normal(rng, (3, 4))),), {"ord": 1, "axis": 0}, "1-norm")
    yield Sample((_distinct(rng, (3, 4)),), {"ord": np.inf, "axis": 1}, "max-norm, distinct |x|")
    yield Sample((_positive(rng, (5,)),), {"ord": 3}, "3-norm")


def _einsum_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_normal(rng, (3, 4)), _normal(rng, (4, 2))), {"subscripts": "ij,jk->ik"}, "matrix product")
    yield Sample((_normal(rng, (2, 3, 4)), _normal(rng, (2, 4, 5))), {"subscripts": "bij,bjk->bik"}, "batched")
    yield Sample((_normal(rng, (3, 4)),), {"subscripts": "ij->ji"}, "a transpose")
    yield Sample((_normal(rng, (3, 4)),), {"subscripts": "ij->i"}, "row sums")
    yield Sample((_normal(rng, (3, 3)),), {"subscripts": "ii->"}, "trace: a repeated index")
    yield Sample((_normal(rng, (3, 3)),), {"subscripts": "ii->i"}, "diagonal")
    yield Sample((_normal(rng, (3,)), _normal(rng, (4,))), {"subscripts": "i,j->ij"}, "outer product")
    yield Sample((_normal(rng, (3, 4)), _normal(rng, (3, 4))), {"subscripts": "ij,ij"}, "implicit output: a sum")
    yield Sample((_normal(rng, (2, 3, 4)), _normal(rng, (4, 5))), {"subscripts": "...j,jk->...k"}, "ellipsis")
    yield Sample((_normal(rng, (2, 3)), _normal(rng, (3, 4)), _normal(rng, (4,))), {"subscripts": "ij,jk,k->i"},
                 "three operands")


def _method(name: str):
    return lambda x, **kw: getattr(x, name)(**kw)


ENTRIES: list[OpInfo] = [  # read by the registry: this module is one of its PROVIDERS
    OpInfo("Tensor.cumsum", _method("cumsum"), _cumulative_samples("cumsum")),
    OpInfo("Tensor.cumprod", _method("cumprod"), _cumulative_samples("cumprod"),
           notes="zeros included: the rule multiplies the other entries instead of dividing"),
    OpInfo("Tensor.prod", _method("prod"), _prod_samples, formula="d prod/dx_i = prod_{j != i} x_j (the last "
           "entry of cumprod, so exact where entries are 0)"),
    OpInfo("Tensor.cummax", _method("cummax"), _running_extreme_samples,
           formula="1 to the entry holding the running max (take_along_axis); ties are kinks"),
    OpInfo("Tensor.cummin", _method("cummin"), _tied_low,
           formula="1 to the entry holding the running min (take_along_axis); ties are kinks"),
    OpInfo("Tensor.norm", _method("norm"), _norm_samples,
           formula="d ||x||_p/dx = sign(x) |x|^(p-1) / ||x||_p^(p-1); x / ||x|| for p = 2, 0 at x = 0"),
    OpInfo("einsum", lambda *xs, subscripts: einsum(subscripts, *xs), _einsum_samples,
           notes="the gradient of each operand is an einsum of the others with the output's gradient"),
]

NON_DIFFERENTIABLE: dict[str, str] = {
    **non_differentiable_names("returns a bool tensor", "Tensor.all", "Tensor.any"),
}

