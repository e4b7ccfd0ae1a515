"""Mini-batches: shuffle X and Y together, cut them into batches; one pass over the batches is one epoch.

It lives in `optim` because the notes teach it as the first optimization algorithm (mini-batch
gradient descent); `from optim import minibatches`. Examples are along axis 0 (rows, as in
`x @ W`), not the notes' columns: pass `X.T` for data stored as (features, examples).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from tinygrad_notes import Tensor


class Minibatches:
    """An epoch of mini-batches: iterate it for (X_batch, Y_batch) pairs (or X batches when Y is None).

    Every iteration is one epoch: a fresh shuffle drawn from the generator, every example exactly
    once, the last batch smaller when batch_size does not divide m. `len()` is the number of batches.
    """

    def __init__(self, X: Any, Y: Any = None, batch_size: int = 64, shuffle: bool = True,
                 seed: int | np.random.Generator | None = None) -> None:
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"minibatches: batch_size must be a whole number >= 1, got {batch_size!r}")
        m = _examples(X, "X")
        if Y is not None and _examples(Y, "Y") != m:
            raise ValueError(f"minibatches: X has {m} examples (axis 0 of shape {tuple(np.shape(X))}) but Y has "
                             f"{_examples(Y, 'Y')} (shape {tuple(np.shape(Y))}); they must pair up one to one")
        self.X, self.Y, self.m = X, Y, m
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def __len__(self) -> int:
        return -(-self.m // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        order = self.rng.permutation(self.m) if self.shuffle else None
        for start in range(0, self.m, self.batch_size):
            if order is None:
                index: Any = slice(start, start + self.batch_size)
            else:
                index = order[start:start + self.batch_size]
            xb = _take(self.X, index)
            yield xb if self.Y is None else (xb, _take(self.Y, index))


def minibatches(X: Any, Y: Any = None, batch_size: int = 64, shuffle: bool = True,
                seed: int | np.random.Generator | None = None) -> Minibatches:
    """Mini-batches of (X, Y) for one epoch per iteration; numpy arrays or Tensors, examples along axis 0.

    Choosing `batch_size`, the notes' rules: `batch_size = m` is batch gradient descent (smooth, but
    one slow step per pass), `1` is stochastic gradient descent (noisy, and it loses vectorization:
    most of each step is overhead), and in between is best. With a small training set (m ≤ about
    2,000) just use batch gradient descent (`batch_size=len(X)`); otherwise a power of 2: 64, 128,
    256 or 512 (the notes: memory being laid out as it is, code often runs a little faster so); and
    a batch must fit in memory, activations and gradients included. `examples/minibatch_size.py`
    compares the three on one time budget: on the digits (m = 1,078) batch gradient descent does
    well, mini-batches of 64 reach a lower cost in the same time, and single examples, at about 50
    times fewer examples per second, lag far behind.

    `seed` makes the shuffles reproducible: iterating the same `Minibatches` again gives the next
    epoch's shuffle (so `batches = minibatches(X, Y, seed=0)` outside the epoch loop reshuffles every
    epoch), while a new call with the same int seed repeats the same order. Pass a
    `np.random.Generator` to share one stream of randomness with the rest of your training.
    """
    return Minibatches(X, Y, batch_size, shuffle, seed)


def _examples(a: Any, name: str) -> int:
    shape = a.shape if isinstance(a, (Tensor, np.ndarray)) else np.shape(a)
    if len(shape) == 0:
        raise ValueError(f"minibatches: {name} is a scalar; it needs examples along axis 0")
    return int(shape[0])


def _take(a: Any, index: Any) -> Any:
    """Rows `index` of an array or a Tensor (a Tensor stays a Tensor; one that requires grad stays in the graph)."""
    if isinstance(a, Tensor):
        if a.requires_grad:
            return a[index]
        return Tensor(a.data[index])
    return np.asarray(a)[index]
