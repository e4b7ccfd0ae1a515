"""Let a leaf tensor compute with another array for a while, its own left untouched: how the gradient checker moves θ.

A gradient check evaluates J at thousands of points θ ± ε e_i. Writing those values
into a parameter's own array would touch the user's memory and count as in-place
writes (a graph recorded before the check would then refuse its backward). Inside
`reading(leaf, work)` the leaf computes with `work` instead, which the caller may
change between evaluations; on exit the leaf has its own array back, never written,
its in-place version unmoved.

Only a leaf can be swapped (a tensor made by an op must keep the value its node
computed), and `work` must have the leaf's shape; its dtype may differ (the checker
runs float32 parameters as float64 copies). The swap is the tensor's, so another
thread using the same tensor meanwhile sees `work` too: check a model that nothing
else is using.
"""

from __future__ import annotations

import numpy as np

from tinygrad_notes.function import op_name
from tinygrad_notes.tensor import Tensor


class reading:  # noqa: N801 - used like a function, as a context manager
    """While inside, `leaf` computes with `work` instead of its own array, which comes back untouched on exit."""

    __slots__ = ("leaf", "work", "own")

    def __init__(self, leaf: Tensor, work: np.ndarray) -> None:
        if leaf.grad_fn is not None:
            raise ValueError(f"reading: only a leaf tensor can compute with another array; this one was made by "
                             f"{op_name(leaf.grad_fn)} and must keep the value its node computed")
        if np.shape(work) != leaf.shape:
            raise ValueError(f"reading: the array has shape {np.shape(work)} but the leaf has shape {leaf.shape}")
        self.leaf, self.work = leaf, work

    def __enter__(self) -> np.ndarray:
        self.own = self.leaf._data
        self.leaf._data = self.work
        return self.work

    def __exit__(self, *exc: object) -> None:
        self.leaf._data = self.own
