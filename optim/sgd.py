"""SGD: gradient descent with optional momentum (PyTorch's form or the notes' averaged form) and weight decay.

The notes write momentum as an exponentially weighted average of the gradients,

    V = β V + (1 − β) dW,    W ← W − α V,

PyTorch (and this class by default) drops the (1 − β):

    V = β V + dW,            W ← W − α V.

`dampening` is the general knob, V = β V + (1 − dampening) dW, so `dampening=momentum` gives the notes'
form (`Momentum(params, lr, beta)` is that, spelled as in the notes). Both velocities start at zero
and obey the same linear recursion, so for the same gradients V_notes = (1 − β)·V_pytorch at every
step: the directions are identical and the notes' form with learning rate α moves exactly as
PyTorch's form with α·(1 − β). Put the other way, PyTorch's form at α behaves like the notes' at
α/(1 − β): ten times larger for β = 0.9, which is why a learning rate tuned for one form must be
rescaled for the other.

One difference from PyTorch: its buffer starts as a copy of the first gradient, ours at zero as in
the notes (V₀ = 0), so with dampening ≠ 0 our first step is (1 − dampening)·dW; with dampening = 0
the two agree exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optim.optimizer import Optimizer, ParamsLike


class SGD(Optimizer):
    """W ← W − α·V with V = μV + (1 − dampening)(dW + λW); plain gradient descent when momentum μ = 0.

    `nesterov=True` steps along dW + μV (the look-ahead form; needs momentum > 0 and dampening = 0).
    `weight_decay` λ adds λW to the gradient (L2 regularization, the notes' λ/m when the cost is a mean).
    """

    state_arrays = ("V",)

    def __init__(self, params: ParamsLike, lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0, skip_nonfinite: bool = False) -> None:
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "nesterov": nesterov,
                    "weight_decay": weight_decay}
        super().__init__(params, defaults, skip_nonfinite)

    def check_options(self, group: dict[str, Any], where: str) -> None:
        super().check_options(group, where)
        mu, damp = group["momentum"], group["dampening"]
        self.check_number(mu, "momentum", where, "in [0, 1)", lambda v: 0 <= v < 1)
        self.check_number(damp, "dampening", where, "in [0, 1]", lambda v: 0 <= v <= 1)
        if group["nesterov"] and (mu <= 0 or damp != 0):
            raise ValueError(f"{self._name}: nesterov=True needs momentum > 0 and dampening = 0 in {where} "
                             f"(got momentum={mu}, dampening={damp})")

    def init_state(self, w: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        state: dict[str, Any] = {"step": 0}
        if group["momentum"]:
            state["V"] = np.zeros_like(w)  # V₀ = 0
        return state

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any],
               tmp: np.ndarray) -> None:
        lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
        d = g
        if wd:
            np.multiply(w, wd, out=tmp)  # d = dW + λW
            tmp += g
            d = tmp
        if mu:
            V = state.get("V")
            if V is None:  # momentum switched on after some plain steps
                V = state["V"] = np.zeros_like(w)
            V *= mu  # V = μV + (1 − dampening) d
            damp = group["dampening"]
            if damp:
                np.multiply(d, 1 - damp, out=tmp)
                V += tmp
            else:
                V += d
            if group["nesterov"]:  # W ← W − α(d + μV)
                np.multiply(d, lr, out=tmp)
                w -= tmp
                np.multiply(V, lr * mu, out=tmp)
                w -= tmp
                return
            d = V
        np.multiply(d, lr, out=tmp)  # W ← W − α d
        w -= tmp


class Momentum(SGD):
    """The notes' momentum: V = βV + (1 − β)dW, W ← W − αV (β = 0.9); SGD with dampening = momentum = β."""

    def __init__(self, params: ParamsLike, lr: float, beta: float = 0.9, weight_decay: float = 0.0,
                 skip_nonfinite: bool = False) -> None:
        super().__init__(params, lr, momentum=beta, dampening=beta, weight_decay=weight_decay,
                         skip_nonfinite=skip_nonfinite)
