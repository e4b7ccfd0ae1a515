"""Workloads engine.py and compile.py both measure: the chain of small ops, and the MLP step written by hand."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinygrad_notes import Tensor

N_OPS = 999  # mul, add, tanh in turn, 333 times


def chain_step(shape: tuple[int, ...]) -> Callable[[], object]:
    """Forward and backward of the chain y = tanh(y * 1.01 + 0.1), N_OPS ops, on a tensor of `shape`."""
    x = Tensor(np.full(shape, 0.5), requires_grad=True)

    def step() -> object:
        y = x
        for _ in range(N_OPS // 3):
            y = (y * 1.01 + 0.1).tanh()
        (y.sum() if shape else y).backward()
        x.grad = None
        return y

    return step


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
