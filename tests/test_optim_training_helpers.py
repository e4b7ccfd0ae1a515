"""Mini-batches cover the data exactly once per epoch; early stopping stops and restores the best weights."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import optim
from tinygrad_notes import Tensor


# ---- minibatches -------------------------------------------------------------------------------------------
@settings(deadline=None, max_examples=40)
@given(m=st.integers(1, 300), batch_size=st.integers(1, 100), shuffle=st.booleans(), seed=st.integers(0, 2**16))
def test_one_epoch_sees_every_example_exactly_once(m, batch_size, shuffle, seed):
    X = np.arange(m * 2).reshape(m, 2)  # row i is (2i, 2i + 1): the id of example i is X[i, 0] // 2
    Y = np.arange(m) * 10
    batches = list(optim.minibatches(X, Y, batch_size=batch_size, shuffle=shuffle, seed=seed))
    sizes = [len(xb) for xb, _ in batches]
    assert sizes == [batch_size] * (m // batch_size) + ([m % batch_size] if m % batch_size else [])
    ids = np.concatenate([xb[:, 0] // 2 for xb, _ in batches])
    np.testing.assert_array_equal(np.sort(ids), np.arange(m))  # each example once
    for xb, yb in batches:
        np.testing.assert_array_equal(yb, xb[:, 0] // 2 * 10)  # X and Y shuffled together
    if not shuffle:
        np.testing.assert_array_equal(ids, np.arange(m))


def test_shuffles_reproducibly_and_reshuffles_every_epoch():
    X = np.arange(1000)
    batches = optim.minibatches(X, batch_size=128, seed=7)
    assert len(batches) == 8
    epoch1, epoch2 = np.concatenate(list(batches)), np.concatenate(list(batches))
    assert not np.array_equal(epoch1, np.arange(1000)) and not np.array_equal(epoch1, epoch2)
    np.testing.assert_array_equal(np.sort(epoch2), X)
    again = optim.minibatches(X, batch_size=128, seed=7)  # a new call with the same seed: the same epochs
    np.testing.assert_array_equal(np.concatenate(list(again)), epoch1)
    np.testing.assert_array_equal(np.concatenate(list(again)), epoch2)
    rng = np.random.default_rng(3)  # a shared Generator advances with every epoch
    first = np.concatenate(list(optim.minibatches(X, batch_size=128, seed=rng)))
    assert not np.array_equal(first, np.concatenate(list(optim.minibatches(X, batch_size=128, seed=rng))))


def test_tensors_in_tensors_out():
    X = Tensor(np.arange(10, dtype=np.float32).reshape(5, 2))
    Y = Tensor(np.arange(5, dtype=np.float32))
    for xb, yb in optim.minibatches(X, Y, batch_size=2, seed=0):
        assert isinstance(xb, Tensor) and isinstance(yb, Tensor)
        np.testing.assert_array_equal(xb.data[:, 0] / 2, yb.data)
    W = Tensor(np.ones((5, 2)), requires_grad=True)  # a tensor in the graph keeps its gradient path
    (xb,) = list(optim.minibatches(W, batch_size=5, seed=0))
    xb.sum().backward()
    np.testing.assert_array_equal(W.grad.data, 1)


def test_bad_minibatch_arguments_are_refused():
    with pytest.raises(ValueError, match="X has 5 examples .* Y has 4"):
        optim.minibatches(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="batch_size must be a whole number >= 1"):
        optim.minibatches(np.zeros(5), batch_size=0)
    with pytest.raises(ValueError, match="scalar"):
        optim.minibatches(np.float64(3.0))


# ---- early stopping ----------------------------------------------------------------------------------------
def test_stops_after_patience_epochs_without_improvement_and_restores_the_best_weights():
    W = Tensor(np.zeros(2), requires_grad=True)
    stopper = optim.EarlyStopping(patience=3, min_delta=0.05)
    dev_costs = [5.0, 4.0, 3.0, 2.98, 3.5, 3.6, 1.0]  # 2.98 is better by less than min_delta: no improvement
    stopped_at = None
    for epoch, cost in enumerate(dev_costs):
        W.data = np.full(2, float(epoch))  # "training" changes the weights every epoch
        if stopper.step(cost, [W]):
            stopped_at = epoch
            break
    assert stopped_at == 5 and stopper.best_epoch == 2 and stopper.best_cost == 3.0 and stopper.stopped
    np.testing.assert_array_equal(W.data, [2.0, 2.0])


def test_early_stopping_on_a_model_that_overfits():
    # 40 features, 30 training examples: the dev cost falls, then rises as GD starts fitting the noise.
    rng = np.random.default_rng(0)
    w_true = rng.standard_normal(40) * (rng.random(40) < 0.2)
    X_train, X_dev = rng.standard_normal((30, 40)), rng.standard_normal((200, 40))
    y_train, y_dev = X_train @ w_true + rng.standard_normal(30), X_dev @ w_true + rng.standard_normal(200)
    model = nn.Linear(40, 1, bias=False, init=lambda w, generator=None: w.inplace_data().fill(0), dtype=np.float64)
    opt = optim.SGD(model.parameters(), lr=0.05)

    def dev_cost():
        return float(np.mean((model(Tensor(X_dev)).data[:, 0] - y_dev) ** 2))

    stopper = optim.EarlyStopping(patience=10)
    costs = []
    for _ in range(400):
        opt.zero_grad()
        nn.functional.mse_loss(model(Tensor(X_train)), Tensor(y_train[:, None])).backward()
        opt.step()
        costs.append(dev_cost())
        if stopper.step(costs[-1], model):  # an nn.Module: its state_dict is kept and loaded back
            break
    assert len(costs) == stopper.best_epoch + 11 < 400  # stopped 10 epochs after the best one
    assert stopper.best_cost == min(costs) and costs[-1] > stopper.best_cost
    assert dev_cost() == stopper.best_cost  # the best weights are back


def test_restore_without_recorded_weights_is_explained():
    with pytest.raises(RuntimeError, match="no weights were recorded"):
        optim.EarlyStopping(patience=2).restore([Tensor(np.zeros(1))])
    with pytest.raises(ValueError, match="patience must be"):
        optim.EarlyStopping(patience=0)
