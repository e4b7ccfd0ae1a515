"""nn: modules, layers, initializers, losses, regularization and checkpoints built from tinygrad_notes ops.

PyTorch's conventions: `nn.Linear(in, out)` holds W of shape (out, in) and
computes x @ W.T + b; parameters register by attribute assignment and get
dotted names (`layers.0.weight`); `nn.Sequential` names its children "0", "1", ...
`nn/opinfo.py` gives the op registry an entry for every layer and functional
op (it is one of the registry's declared providers), so the checker covers them.
"""

__distribution__ = "tinygrad-notes"  # checked by tinygrad_notes.distribution.import_ours

from nn import functional, init, utils
from nn.activations import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from nn.batchnorm import BatchNorm1d
from nn.checkpoint import CheckpointError, load, save
from nn.containers import Sequential
from nn.dropout import Dropout
from nn.layers import Flatten, Identity, Linear
from nn.loss_modules import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from nn.module import LoadResult, Module, StateDictError, functional_call
from nn.parameter import Parameter
from nn.regularization import l1_penalty, l2_penalty, weight_matrices

__all__ = [
    "Module", "Parameter", "Sequential", "Identity", "Flatten", "Linear",
    "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "Dropout", "BatchNorm1d",
    "MSELoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "functional", "init", "utils", "functional_call", "l2_penalty", "l1_penalty", "weight_matrices",
    "save", "load", "CheckpointError", "StateDictError", "LoadResult",
]
