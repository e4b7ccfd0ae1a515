"""Early stopping: watch the dev-set cost each epoch, stop once it stops improving, keep the best weights.

The notes' picture: the train cost keeps falling while the dev cost turns up; stop where the dev cost
was lowest. Typical use:

    stopper = EarlyStopping(patience=5)
    for epoch in range(max_epochs):
        train_one_epoch()
        if stopper.step(dev_cost(), model):   # restores the best weights when it says stop
            break

Its drawback, in the notes' words: it couples two jobs that orthogonalization keeps apart. Training
has one knob for "optimize the cost J" (the optimizer, more epochs) and others for "do not overfit"
(L2, dropout, more data). Stopping early ends the optimization of J before it is done *in order to*
limit overfitting, so one knob now moves both, and a change that should help one (a better optimizer,
say) shifts the other too. The alternative the notes prefer: train until J stops falling and tune λ
of L2 against the dev set, at the cost of training once per λ tried. Early stopping's advantage is
that one run tries every "size" of the weights at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from tinygrad_notes import Tensor


class EarlyStopping:
    """Says stop after `patience` epochs without a dev cost lower than the best by more than `min_delta`.

    Mind the drawback (module docstring): stopping early regularizes by leaving J under-optimized, so
    it mixes "optimize J" with "do not overfit"; L2 tuned on the dev set keeps the two apart.

    The model is anything with `state_dict()`/`load_state_dict()` (an nn.Module) or an iterable of
    Tensors (`[W1, b1, ...]` or `model.parameters()`). With `restore_best`, the weights of the best
    epoch are copied aside whenever the dev cost improves and put back when `step` says stop (call
    `restore(model)` yourself if the epochs run out first).
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, restore_best: bool = True) -> None:
        if not isinstance(patience, int) or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be a whole number of epochs >= 1, got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta!r}")
        self.patience = patience
        self.min_delta = float(min_delta)
        self.restore_best = restore_best
        self.best_cost = math.inf
        self.best_epoch = -1
        self.epoch = -1  # epochs seen so far, minus one
        self.bad_epochs = 0  # epochs in a row without improvement
        self.stopped = False
        self._best_weights: Any = None

    def step(self, dev_cost: float, model: Any = None) -> bool:
        """Record this epoch's dev cost; True when training should stop (the best weights are then restored)."""
        cost = float(dev_cost)
        self.epoch += 1
        if cost < self.best_cost - self.min_delta:
            self.best_cost, self.best_epoch, self.bad_epochs = cost, self.epoch, 0
            if self.restore_best and model is not None:
                self._best_weights = _snapshot(model)
        else:  # no better (a NaN cost never is)
            self.bad_epochs += 1
        if self.bad_epochs >= self.patience:
            self.stopped = True
            if self.restore_best and model is not None:
                self.restore(model)
        return self.stopped

    def restore(self, model: Any) -> None:
        """Put the weights of the best epoch back into `model`."""
        if self._best_weights is None:
            raise RuntimeError("EarlyStopping.restore: no weights were recorded; pass the model to step() "
                               "(with restore_best=True) so the best epoch's weights are kept")
        if hasattr(model, "load_state_dict"):
            model.load_state_dict(_copy(self._best_weights))
            return
        params = _tensors(model)
        if len(params) != len(self._best_weights):
            raise ValueError(f"EarlyStopping.restore: {len(params)} tensors given, {len(self._best_weights)} saved")
        for p, saved in zip(params, self._best_weights):
            if p.shape != saved.shape:
                raise ValueError(f"EarlyStopping.restore: a tensor of shape {p.shape} cannot take saved weights "
                                 f"of shape {saved.shape}; pass the same tensors, in the same order, as to step()")
            p.inplace_data()[...] = saved


def _snapshot(model: Any) -> Any:
    if hasattr(model, "state_dict"):
        return _copy(model.state_dict())
    return [np.array(p.data, copy=True) for p in _tensors(model)]


def _tensors(model: Iterable[Any]) -> list[Tensor]:
    params = list(model)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"EarlyStopping: item {i} of the model is a {type(p).__name__}; give a model with "
                            "state_dict()/load_state_dict() or an iterable of Tensors")
    return params


def _copy(tree: Any) -> Any:
    """A deep copy of a state dict's arrays (Tensors stay Tensors), so later training cannot change it."""
    if isinstance(tree, dict):
        return type(tree)((k, _copy(v)) for k, v in tree.items())
    if isinstance(tree, (list, tuple)):
        return type(tree)(_copy(v) for v in tree)
    if isinstance(tree, Tensor):
        return Tensor(np.array(tree.data, copy=True))
    if isinstance(tree, np.ndarray):
        return tree.copy()
    return tree
