"""A small two-sided-difference helper for the engine's own tests (the full checker is tinygrad_notes.gradcheck)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinygrad_notes import Tensor


def numeric_grads(f: Callable[..., Tensor], arrays: list[np.ndarray], eps: float = 1e-6) -> list[np.ndarray]:
    """d sum(f(*arrays)) / d arrays by central differences, in float64."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + eps
            up = float(np.sum(f(*[Tensor(x) for x in arrays]).data))
            a[i] = old - eps
            down = float(np.sum(f(*[Tensor(x) for x in arrays]).data))
            a[i] = old
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def analytic_grads(f: Callable[..., Tensor], arrays: list[np.ndarray]) -> list[np.ndarray]:
    """d sum(f(*arrays)) / d arrays by backward, in float64."""
    xs = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    f(*xs).sum().backward()
    return [x.grad.data if x.grad is not None else np.zeros_like(x.data) for x in xs]


def assert_grads_match(f: Callable[..., Tensor], arrays: list[np.ndarray], tol: float = 1e-6) -> None:
    """backward agrees with central differences to `tol` (absolute, per component)."""
    for i, (a, n) in enumerate(zip(analytic_grads(f, arrays), numeric_grads(f, arrays))):
        np.testing.assert_allclose(a, n, atol=tol, rtol=tol, err_msg=f"input {i}")
