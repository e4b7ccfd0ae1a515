"""Loss layers: the loss functions of nn.losses as modules holding their `reduction`."""

from __future__ import annotations

from typing import Any

from nn import losses
from nn.module import Module
from tinygrad_notes import Tensor


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        losses._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error, `nn.functional.mse_loss`."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.mse_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits with class indices or probability targets, `nn.functional.cross_entropy`."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.cross_entropy(input, target, self.reduction)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities, `nn.functional.nll_loss`."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.nll_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities, `nn.functional.binary_cross_entropy`."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits, stable for large |z|, `nn.functional.binary_cross_entropy_with_logits`."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.binary_cross_entropy_with_logits(input, target, self.reduction)
