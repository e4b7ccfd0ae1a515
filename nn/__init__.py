"""nn: modules, layers, initializers, losses, regularization and checkpoints built from tinygrad_notes ops.

PyTorch's conventions: `nn.Linear(in, out)` holds W of shape (out, in) and
computes x @ W.T + b; parameters register by attribute assignment and get
dotted names (`layers.0.weight`); `nn.Sequential` names its children "0", "1", ...
`nn/opinfo.py` gives the op registry an entry for every layer and functional
op (it is one of the registry's declared providers), so the checker covers them.
"""

__distribution__ = "tinygrad-notes"  # checked by tinygrad_notes.distribution.import_ours

from nn import functional, init, utils
from nn.activations import (
    CELU,
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
)
from nn.batchnorm import BatchNorm1d
from nn.checkpoint import CheckpointError, load, save
from nn.containers import Sequential
from nn.conv import AvgPool2d, Conv2d, ConvTranspose2d, MaxPool2d
from nn.dropout import Dropout
from nn.layers import Flatten, Identity, Linear
from nn.loss_modules import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from nn.module import LoadResult, Module, StateDictError, functional_call
from nn.parameter import Parameter
from nn.regularization import l1_penalty, l2_penalty, weight_matrices

__all__ = [
    "Module", "Parameter", "Sequential", "Identity", "Flatten", "Linear",
    "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "Dropout", "BatchNorm1d",
    "GELU", "ELU", "SELU", "CELU", "SiLU", "Mish", "ReLU6", "Hardtanh", "Hardsigmoid", "Hardswish", "Softsign",
    "LogSigmoid", "Softplus", "Softmin", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d",
    "MSELoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "functional", "init", "utils", "functional_call", "l2_penalty", "l1_penalty", "weight_matrices",
    "save", "load", "CheckpointError", "StateDictError", "LoadResult",
]
