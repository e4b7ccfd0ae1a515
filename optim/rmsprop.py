"""RMSprop: divide each step by a running root mean square of the gradient, so steep directions slow down."""

from __future__ import annotations

from typing import Any

import numpy as np

from optim.optimizer import Optimizer, ParamsLike


class RMSprop(Optimizer):
    """The notes' RMSprop: S = βS + (1 − β)dW² (elementwise), W ← W − α dW / (√S + ε).

    S starts at zero and is not bias-corrected (as in the notes), so the first step is about
    α/√(1 − β) in each coordinate; β is PyTorch's `alpha` (0.99 there, 0.9 in the notes).
    `weight_decay` λ adds λW to the gradient first (L2 regularization).
    """

    state_arrays = ("S",)

    def __init__(self, params: ParamsLike, lr: float, beta: float = 0.9, eps: float = 1e-8,
                 weight_decay: float = 0.0, skip_nonfinite: bool = False) -> None:
        super().__init__(params, {"lr": lr, "beta": beta, "eps": eps, "weight_decay": weight_decay}, skip_nonfinite)

    def check_options(self, group: dict[str, Any], where: str) -> None:
        super().check_options(group, where)
        self.check_number(group["beta"], "beta", where, "in [0, 1)", lambda v: 0 <= v < 1)

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any],
               tmp: np.ndarray) -> None:
        lr, beta, eps, wd = group["lr"], group["beta"], group["eps"], group["weight_decay"]
        if wd:
            decayed = self.scratch(w, 1)  # a second scratch: tmp is needed while dW + λW is in use
            np.multiply(w, wd, out=decayed)  # dW + λW
            decayed += g
            g = decayed
        S = state["S"]
        S *= beta  # S = βS + (1 − β) dW²
        np.multiply(g, g, out=tmp)
        tmp *= 1 - beta
        S += tmp
        np.sqrt(S, out=tmp)  # W ← W − α dW / (√S + ε)
        tmp += eps
        np.divide(g, tmp, out=tmp)
        tmp *= lr
        w -= tmp
