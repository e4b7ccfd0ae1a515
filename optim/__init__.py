"""optim: optimizers, learning-rate schedules, mini-batches, early stopping and hyperparameter search.

The second half of the course notes as a package, PyTorch-style:

    opt = optim.Adam(model.parameters(), lr=1e-3)
    sched = optim.ExponentialDecay(opt, base=0.95)
    for epoch in range(epochs):
        for xb, yb in optim.minibatches(X, Y, batch_size=64, seed=epoch):
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        sched.step()
"""

__distribution__ = "tinygrad-notes"  # checked by tinygrad_notes.distribution.import_ours

from optim.adam import Adam, AdamW
from optim.early_stopping import EarlyStopping
from optim.ewma import EWMA
from optim.minibatch import Minibatches, minibatches
from optim.optimizer import NonFiniteGradError, Optimizer
from optim.rmsprop import RMSprop
from optim.samplers import Choice, Integer, LogUniform, OneMinusLog, Sampler, Uniform
from optim.schedules import ExponentialDecay, InverseSqrtDecay, InverseTimeDecay, LambdaLR, LRScheduler, StepDecay
from optim.search import SearchResult, Trial, coarse_to_fine, narrow_space, random_search, sample_params
from optim.sgd import SGD, Momentum

__all__ = [
    "Optimizer", "NonFiniteGradError", "SGD", "Momentum", "RMSprop", "Adam", "AdamW",
    "LRScheduler", "InverseTimeDecay", "ExponentialDecay", "InverseSqrtDecay", "StepDecay", "LambdaLR",
    "EWMA", "minibatches", "Minibatches", "EarlyStopping",
    "Sampler", "Uniform", "Integer", "Choice", "LogUniform", "OneMinusLog",
    "random_search", "coarse_to_fine", "narrow_space", "sample_params", "SearchResult", "Trial",
]
