"""Adam and AdamW: momentum and RMSprop together, with bias correction for their zero start."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from optim.optimizer import Optimizer, ParamsLike


class Adam(Optimizer):
    """The notes' Adam: V = β₁V + (1 − β₁)dW, S = β₂S + (1 − β₂)dW², W ← W − α V̂ / (√Ŝ + ε).

    V̂ = V/(1 − β₁ᵗ) and Ŝ = S/(1 − β₂ᵗ) undo the pull towards zero of the first steps (t counts
    this parameter's steps from 1), so the first step is α·dW/(|dW| + ε) ≈ α·sign(dW).
    `weight_decay` λ adds λW to the gradient (L2, coupled: it is then rescaled by √Ŝ like the
    rest of the gradient); AdamW decouples it.
    """

    state_arrays = ("V", "S")

    def __init__(self, params: ParamsLike, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, skip_nonfinite: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}, skip_nonfinite)

    def check_options(self, group: dict[str, Any], where: str) -> None:
        super().check_options(group, where)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise (TypeError if not isinstance(betas, (tuple, list)) else ValueError)(
                f"{self._name}: betas must be two numbers in [0, 1) in {where}, got {betas!r}")
        for i, b in enumerate(betas):
            self.check_number(b, f"betas[{i}]", where, "in [0, 1)", lambda v: 0 <= v < 1)
        group["betas"] = tuple(betas)

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any],
               tmp: np.ndarray) -> None:
        wd = group["weight_decay"]
        if wd:
            decayed = self.scratch(w, 1)  # a second scratch: tmp is needed while dW + λW is in use
            np.multiply(w, wd, out=decayed)  # dW + λW
            decayed += g
            g = decayed
        self.adam_step(w, g, state, group, tmp)

    @staticmethod
    def adam_step(w: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any],
                  tmp: np.ndarray) -> None:
        """The bias-corrected Adam update of `w` in place, with `tmp` as the only scratch memory."""
        lr, eps = group["lr"], group["eps"]
        b1, b2 = group["betas"]
        t = state["step"]
        V, S = state["V"], state["S"]
        V *= b1  # V = β₁V + (1 − β₁) dW
        np.multiply(g, 1 - b1, out=tmp)
        V += tmp
        S *= b2  # S = β₂S + (1 − β₂) dW²
        np.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        S += tmp
        # W ← W − α V̂/(√Ŝ + ε) with V̂ = V/c₁, Ŝ = S/c₂, computed as (α√c₂/c₁)·V/(√S + ε√c₂): one pass fewer
        c1, c2 = 1 - b1**t, 1 - b2**t
        root_c2 = math.sqrt(c2)
        np.sqrt(S, out=tmp)
        tmp += eps * root_c2
        np.divide(V, tmp, out=tmp)
        tmp *= lr * root_c2 / c1
        w -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay: W ← W − αλW, then the Adam step on dW alone (λ = 0.01 by default).

    Unlike L2 in Adam, the decay is not divided by √Ŝ, so every weight shrinks at the same rate αλ.
    """

    def __init__(self, params: ParamsLike, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, skip_nonfinite: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, skip_nonfinite)

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any],
               tmp: np.ndarray) -> None:
        wd = group["weight_decay"]
        if wd:
            w *= 1 - group["lr"] * wd  # W ← (1 − αλ) W
        self.adam_step(w, g, state, group, tmp)
