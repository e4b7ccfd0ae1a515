"""Small datasets for the course's experiments: handwritten digits (bundled with scikit-learn) and 2-D toys."""

from __future__ import annotations

import numpy as np


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 8x8 handwritten digits, bundled with it (no download): X (1797, 64) in [0, 16], y."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn: pip install 'tinygrad-notes[demo]' "
                          "(or pip install scikit-learn)") from None
    bunch = sklearn_digits()
    return bunch.data.astype(np.float32), bunch.target.astype(np.int64)


def make_moons(n: int = 200, noise: float = 0.1, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, labels 0 and 1."""
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0, t1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n - n0)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(0, noise, (n, 2))
    return _shuffled(X, np.repeat([0, 1], [n0, n - n0]), rng)


def make_circles(n: int = 200, noise: float = 0.05, factor: float = 0.5,
                 seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A circle inside a circle (inner radius `factor`), labels 0 (outer) and 1 (inner)."""
    rng = np.random.default_rng(seed)
    n0 = n // 2
    angles = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(np.arange(n) < n0, 1.0, factor)
    X = np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1) + rng.normal(0, noise, (n, 2))
    return _shuffled(X, (np.arange(n) >= n0).astype(np.int64), rng)


def make_spiral(n: int = 300, classes: int = 3, noise: float = 0.2,
                seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`classes` interleaved spiral arms (the classic case a linear softmax cannot separate)."""
    rng = np.random.default_rng(seed)
    per = np.diff(np.linspace(0, n, classes + 1).astype(int))
    X, y = [], []
    for c, m in enumerate(per):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, m) + rng.normal(0, noise, m)
        X.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        y.append(np.full(m, c))
    return _shuffled(np.concatenate(X), np.concatenate(y), rng)


def make_planar(n: int = 400, petals: int = 4, noise: float = 0.2,
                seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The notes' "planar" flower: petals of two colours, not linearly separable."""
    rng = np.random.default_rng(seed)
    half = n // 2
    X, y = np.zeros((n, 2)), np.zeros(n, dtype=np.int64)
    for j, (start, stop) in enumerate([(0, half), (half, n)]):
        m = stop - start
        t = np.linspace(j * 3.12, (j + 1) * 3.12, m) + rng.normal(0, noise, m)
        r = 4 * np.sin(petals * t) + rng.normal(0, noise, m)
        X[start:stop] = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        y[start:stop] = j
    return _shuffled(X, y, rng)


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(X))
    return X[order].astype(np.float32), y[order].astype(np.int64)
