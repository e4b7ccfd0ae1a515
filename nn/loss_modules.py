"""Loss layers: the loss functions of nn.losses as modules holding their `reduction`."""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import losses
from nn.module import Module
from tinygrad_notes import Tensor


class _Loss(Module):
    """A loss function with its options held: `reduction`, and the keyword options its function takes."""

    def __init__(self, reduction: str = "mean", **options: Any) -> None:
        super().__init__()
        losses._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction
        self.options = {k: v for k, v in options.items() if v is not None}

    def extra_repr(self) -> str:
        return ", ".join([f"reduction={self.reduction!r}"] + [f"{k}={v!r}" for k, v in self.options.items()
                                                              if not isinstance(v, (np.ndarray, Tensor))])


class MSELoss(_Loss):
    """Mean squared error, `nn.functional.mse_loss`."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.mse_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits with class indices or probability targets, `nn.functional.cross_entropy`.

    Options as PyTorch's: `weight` (one per class), `ignore_index`, `label_smoothing`.
    """

    def __init__(self, reduction: str = "mean", *, weight: Any = None, ignore_index: int = -100,
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction, weight=weight, ignore_index=ignore_index, label_smoothing=label_smoothing)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.cross_entropy(input, target, self.reduction, **self.options)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities, `nn.functional.nll_loss` (options `weight`, `ignore_index`)."""

    def __init__(self, reduction: str = "mean", *, weight: Any = None, ignore_index: int = -100) -> None:
        super().__init__(reduction, weight=weight, ignore_index=ignore_index)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.nll_loss(input, target, self.reduction, **self.options)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities, `nn.functional.binary_cross_entropy` (option `weight`)."""

    def __init__(self, reduction: str = "mean", *, weight: Any = None) -> None:
        super().__init__(reduction, weight=weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.binary_cross_entropy(input, target, self.reduction, **self.options)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits, stable for large |z|, `nn.functional.binary_cross_entropy_with_logits`
    (options `weight`, `pos_weight`)."""

    def __init__(self, reduction: str = "mean", *, weight: Any = None, pos_weight: Any = None) -> None:
        super().__init__(reduction, weight=weight, pos_weight=pos_weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.binary_cross_entropy_with_logits(input, target, self.reduction, **self.options)
