"""optim: optimizers, learning-rate schedules, mini-batches and hyperparameter search."""
