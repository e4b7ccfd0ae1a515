"""Preparing data the way the course notes teach: train/dev/test splits, input normalization, one-hot labels,
and data augmentation for image batches (from `tinygrad_notes.augment`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_notes.augment import Augment, GaussianNoise, RandomRotation, RandomShift, Transform, rotate, shift
from tinygrad_notes.tensor import Tensor

__all__ = [
    "train_dev_test_split", "Normalizer", "one_hot",
    "Augment", "Transform", "RandomShift", "RandomRotation", "GaussianNoise", "shift", "rotate",
]


def _array(v: Any) -> np.ndarray:
    return v.data if isinstance(v, Tensor) else np.asarray(v)


def train_dev_test_split(X: Any, y: Any, sizes: Sequence[float] = (0.6, 0.2, 0.2), seed: int | None = None,
                         stratify: bool = False) -> tuple[np.ndarray, ...]:
    """Shuffle and split into train, dev and test sets: (X_train, y_train, X_dev, y_dev, X_test, y_test).

    `sizes` are fractions summing to 1 (the notes: about 60/20/20 for small data, 98/1/1 for a million
    examples) or example counts. With `stratify=True` every class is split in the same proportions, so
    dev and test come from the same distribution as train. A size of 0 gives an empty set.
    """
    X, y = _array(X), _array(y)
    if len(X) != len(y):
        raise ValueError(f"train_dev_test_split: X has {len(X)} examples but y has {len(y)}; they must match")
    if len(sizes) != 3 or any(s < 0 for s in sizes):
        raise ValueError(f"train_dev_test_split: sizes must be three non-negative numbers, got {tuple(sizes)}")
    rng = np.random.default_rng(seed)
    fractions = _fractions(sizes, len(X))
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(len(X))]
    parts: list[list[np.ndarray]] = [[], [], []]
    for idx in groups:
        idx = rng.permutation(idx)
        # cumulative rounding: the three parts never overlap and lose no example to rounding
        bounds = np.round(np.cumsum([0.0, *fractions]) * len(idx)).astype(int)
        for k in range(3):
            parts[k].append(idx[bounds[k]:bounds[k + 1]])
    out: list[np.ndarray] = []
    for k in range(3):
        idx = rng.permutation(np.concatenate(parts[k])) if parts[k] else np.array([], dtype=int)
        out += [X[idx], y[idx]]
    return tuple(out)


def _fractions(sizes: Sequence[float], total: int) -> list[float]:
    """Sizes as fractions of the data: given as fractions summing to 1, or as example counts."""
    sizes = [float(s) for s in sizes]
    fractions = sizes if abs(sum(sizes) - 1) < 1e-9 else [s / total for s in sizes]
    if sum(fractions) > 1 + 1e-9:
        raise ValueError(f"train_dev_test_split: sizes {tuple(sizes)} ask for more than the {total} examples; "
                         "give fractions summing to 1 or counts summing to at most the number of examples")
    return fractions


class Normalizer:
    """Input normalization fitted on the training set only, then applied unchanged to dev and test.

    The notes: μ = (1/m) Σ x⁽ⁱ⁾, σ² = (1/m) Σ (x⁽ⁱ⁾ − μ)², x ← (x − μ) / σ, using the training
    set's μ and σ² for every set. Features with (near-)zero variance are only centred (σ taken as 1).

    Dividing by σ, not σ²: the notes' slides write the last step as x /= σ², but only x / σ gives
    every feature variance 1 (x / σ² leaves it 1/σ², so a feature measured in thousands would
    shrink to almost nothing instead of matching the others). This class divides by σ = √σ².
    """

    def __init__(self, eps: float = 1e-8) -> None:
        self.eps = eps
        self.mean: np.ndarray | None = None
        self.var: np.ndarray | None = None

    def fit(self, X: Any) -> Normalizer:
        """Compute μ and σ² per feature (over axis 0) from the training set."""
        X = _array(X).astype(np.float64)
        if X.ndim < 1 or len(X) == 0:
            raise ValueError(f"Normalizer.fit: needs at least one example, got shape {X.shape}")
        self.mean = X.mean(axis=0)
        self.var = ((X - self.mean) ** 2).mean(axis=0)
        return self

    def transform(self, X: Any) -> Any:
        """(X − μ) / σ with the fitted statistics; a Tensor in gives a Tensor out, an array an array."""
        if self.mean is None or self.var is None:
            raise RuntimeError("Normalizer.transform: call fit(X_train) first (statistics come from the training set)")
        arr = _array(X)
        if arr.shape[1:] != self.mean.shape:
            raise ValueError(f"Normalizer.transform: examples of shape {arr.shape[1:]} do not match the fitted "
                             f"features {self.mean.shape}")
        dtype = arr.dtype if arr.dtype.kind == "f" else np.float32
        scale = np.where(self.var > self.eps, np.sqrt(self.var), 1.0)
        out = ((arr - self.mean) / scale).astype(dtype)
        return Tensor(out) if isinstance(X, Tensor) else out

    def fit_transform(self, X: Any) -> Any:
        return self.fit(X).transform(X)

    def state_dict(self) -> dict[str, Any]:
        """μ and σ² as arrays, for saving beside a model's checkpoint."""
        if self.mean is None or self.var is None:
            raise RuntimeError("Normalizer.state_dict: nothing fitted yet")
        return {"mean": self.mean.copy(), "var": self.var.copy(), "eps": self.eps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        missing = {"mean", "var"} - set(state)
        if missing:
            raise KeyError(f"Normalizer.load_state_dict: missing {sorted(missing)}")
        self.mean, self.var = np.asarray(state["mean"]), np.asarray(state["var"])
        self.eps = float(state.get("eps", self.eps))


def one_hot(labels: Any, num_classes: int | None = None, dtype: Any = np.float32) -> np.ndarray:
    """Class indices (m,) to an (m, C) matrix with a 1 in each row's class column."""
    y = _array(labels)
    if y.dtype.kind not in "iu" and not (y.dtype.kind == "f" and np.all(y == np.round(y))):
        raise TypeError(f"one_hot: labels must be integer class indices, got dtype {y.dtype}")
    y = y.astype(np.int64)
    n = int(y.max()) + 1 if num_classes is None else int(num_classes)
    if y.size and (y.min() < 0 or y.max() >= n):
        raise ValueError(f"one_hot: labels must be in [0, {n}), got values from {y.min()} to {y.max()}")
    out = np.zeros((*y.shape, n), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out
