"""The MLP 784-256-128-10 SGD step written by hand in numpy: the floor that engine.py and compile.py measure against."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def mlp_numpy_step(params: list[np.ndarray], X: np.ndarray, y: np.ndarray, lr: float) -> Callable[[], object]:
    """One SGD step (ReLU, softmax cross-entropy) on `params` = [W1, b1, W2, b2, W3, b3], its backward derived
    by hand; the arrays are updated in place. Returns the step (which returns the loss)."""
    W1, b1, W2, b2, W3, b3 = params
    rows = np.arange(len(y))

    def step() -> object:
        Z1 = X @ W1 + b1
        A1 = np.maximum(Z1, 0)
        Z2 = A1 @ W2 + b2
        A2 = np.maximum(Z2, 0)
        Z3 = A2 @ W3 + b3
        shifted = Z3 - Z3.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_p[rows, y].mean()
        dZ3 = np.exp(log_p)
        dZ3[rows, y] -= 1
        dZ3 /= len(y)
        dW3, db3 = A2.T @ dZ3, dZ3.sum(0)
        dZ2 = (dZ3 @ W3.T) * (Z2 > 0)
        dW2, db2 = A1.T @ dZ2, dZ2.sum(0)
        dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
        dW1, db1 = X.T @ dZ1, dZ1.sum(0)
        for p, g in zip(params, (dW1, db1, dW2, db2, dW3, db3)):
            p -= lr * g
        return loss

    return step
