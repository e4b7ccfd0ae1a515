"""Optimizers under faults: a NaN or Inf gradient never reaches a weight (the step raises naming the parameter and
its step, or is skipped and counted), a step is all or nothing, and options that are not numbers are refused."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import nn
import optim
from tinygrad_notes import ShapeError, Tensor

EVERY_OPTIMIZER = pytest.mark.parametrize("make", [
    lambda p, **kw: optim.SGD(p, lr=0.1, **kw),
    lambda p, **kw: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3, **kw),
    lambda p, **kw: optim.Momentum(p, lr=0.1, **kw),
    lambda p, **kw: optim.RMSprop(p, lr=0.1, **kw),
    lambda p, **kw: optim.Adam(p, **kw),
    lambda p, **kw: optim.AdamW(p, **kw),
], ids=["sgd", "sgd-momentum", "momentum", "rmsprop", "adam", "adamw"])


def model_with_grads(seed: int = 0) -> nn.Sequential:
    model = nn.Sequential(nn.Linear(3, 4, generator=np.random.default_rng(seed)), nn.Tanh(),
                          nn.Linear(4, 2, generator=np.random.default_rng(seed + 1)))
    set_grads(model, seed)
    return model


def set_grads(model: nn.Module, seed: int) -> None:
    rng = np.random.default_rng(seed + 10)
    for p in model.parameters():
        p.grad = Tensor(rng.standard_normal(p.shape).astype(p.dtype))


def snapshot(model: nn.Module, opt: optim.Optimizer) -> tuple:
    return [p.numpy().copy() for p in model.parameters()], copy.deepcopy(opt.state_dict())


def assert_same(a: tuple, b: tuple) -> None:
    for x, y in zip(a[0], b[0]):
        assert np.array_equal(x, y)
    assert a[1]["state"].keys() == b[1]["state"].keys()
    for key in a[1]["state"]:
        for name, value in a[1]["state"][key].items():
            assert np.array_equal(value, b[1]["state"][key][name]), f"state {name} of parameter {key} changed"


@EVERY_OPTIMIZER
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_nonfinite_gradient_raises_naming_the_parameter_and_its_step_and_writes_nothing(make, bad):
    model = model_with_grads()
    opt = make(model.named_parameters())
    opt.step()
    opt.step()  # two good steps: every parameter has state now
    model[2].weight.grad.numpy()[1, 0] = bad  # the third parameter, after two that are fine
    before = snapshot(model, opt)
    what = "NaN" if np.isnan(bad) else "Inf"
    with pytest.raises(optim.NonFiniteGradError, match=rf"^{type(opt).__name__}\.step: 1 gradient\(s\) hold NaN or "
                                                       rf"Inf; nothing was updated:\n  '2\.weight' \(parameter 2 in "
                                                       rf"param group 0\): 1 {what} of 8 gradient values, at its step "
                                                       r"3\n.*detect_anomaly.*skip_nonfinite=True"):
        opt.step()
    assert_same(before, snapshot(model, opt))  # all or nothing: the two parameters before it were not touched


def test_without_names_the_parameter_is_named_by_its_place_and_label():
    W, b = Tensor(np.ones((2, 2)), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    b.name = "b1"
    opt = optim.Adam([{"params": [W]}, {"params": [b], "lr": 0.1}])
    W.grad, b.grad = Tensor(np.full((2, 2), np.nan)), Tensor(np.array([np.inf, 1.0]))
    with pytest.raises(optim.NonFiniteGradError, match=r"2 gradient\(s\).*\n  parameter 0 in param group 0: 4 NaN of "
                                                       r"4 gradient values, at its step 1\n  'b1' \(parameter 0 in "
                                                       r"param group 1\): 1 Inf of 2 gradient values, at its step 1"):
        opt.step()
    assert opt.state == {}
    assert W.numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]


@EVERY_OPTIMIZER
def test_skip_nonfinite_skips_and_counts_the_step_and_training_goes_on_as_if_it_never_happened(make):
    model, twin = model_with_grads(), model_with_grads()
    opt, twin_opt = make(model.parameters(), skip_nonfinite=True), make(twin.parameters())
    opt.step()
    twin_opt.step()
    set_grads(model, 1)
    model[0].bias.grad.numpy()[0] = np.nan
    before = snapshot(model, opt)
    assert opt.step() is None
    assert opt.skipped_steps == 1
    assert_same(before, snapshot(model, opt))
    set_grads(model, 2)
    set_grads(twin, 2)
    opt.step()
    twin_opt.step()  # the twin never saw the bad step: both must be at the same place, bit for bit
    for p, q in zip(model.parameters(), twin.parameters()):
        assert np.array_equal(p.numpy(), q.numpy())
    assert opt.skipped_steps == 1


@pytest.mark.filterwarnings("ignore:overflow encountered in dot")  # the one-pass check overflowed: look closer
def test_huge_but_finite_gradients_are_not_mistaken_for_infinite_ones():
    W = Tensor(np.zeros(2, np.float32), requires_grad=True)
    opt = optim.SGD([W], lr=1e-38)
    W.grad = Tensor(np.array([3e38, 3e38], np.float32))  # their float32 sum overflows to inf; each is finite
    opt.step()
    np.testing.assert_allclose(W.numpy(), [-3.0, -3.0], rtol=1e-6)


def test_a_wrong_shape_later_in_the_list_leaves_the_earlier_parameters_alone():
    model = model_with_grads()
    opt = optim.SGD(model.parameters(), lr=0.1)
    model[2].bias.grad = Tensor(np.ones(5, np.float32))
    before = snapshot(model, opt)
    with pytest.raises(ShapeError, match=r"the gradient of parameter 3 in param group 0 has shape \(5,\)"):
        opt.step()
    assert_same(before, snapshot(model, opt))


@pytest.mark.parametrize("make, error, message", [
    (lambda p: optim.SGD(p, lr="0.1"), TypeError,
     r"^SGD: lr must be a number >= 0 in param group 0, got '0\.1' \(str\)$"),
    (lambda p: optim.SGD(p, lr=float("nan")), ValueError, r"^SGD: lr must be a number >= 0 in param group 0, got nan$"),
    (lambda p: optim.SGD(p, lr=True), TypeError, r"^SGD: lr must be a number >= 0 .*got True \(bool\)$"),
    (lambda p: optim.SGD(p, lr=0.1, momentum="0.9"), TypeError, r"^SGD: momentum must be a number in \[0, 1\)"),
    (lambda p: optim.SGD(p, lr=0.1, dampening=None), TypeError, r"^SGD: dampening must be a number in \[0, 1\]"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay="x"), TypeError, r"^SGD: weight_decay must be a number >= 0"),
    (lambda p: optim.RMSprop(p, lr=0.1, eps=-1e-8), ValueError, r"^RMSprop: eps must be a number >= 0 .*got -1e-08$"),
    (lambda p: optim.RMSprop(p, lr=0.1, beta="0.9"), TypeError, r"^RMSprop: beta must be a number in \[0, 1\)"),
    (lambda p: optim.Adam(p, betas=0.9), TypeError, r"^Adam: betas must be two numbers in \[0, 1\) .*got 0\.9$"),
    (lambda p: optim.Adam(p, betas=(0.9, "0.999")), TypeError, r"^Adam: betas\[1\] must be a number in \[0, 1\)"),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), ValueError, r"^Adam: betas\[1\] must be a number in \[0, 1\).*1\.0$"),
    (lambda p: optim.AdamW(p, eps="1e-8"), TypeError, r"^AdamW: eps must be a number >= 0"),
    (lambda p: optim.Adam(p, skip_nonfinite="yes"), TypeError, r"^Adam: skip_nonfinite must be True or False"),
    (lambda p: optim.Adam([{"params": p, "lr": "1"}]), TypeError, r"^Adam: lr must be a number >= 0 in param group 0"),
])
def test_options_that_are_not_numbers_are_refused_naming_the_argument(make, error, message):
    with pytest.raises(error, match=message):
        make([Tensor(np.ones(3), requires_grad=True)])


def test_betas_given_as_a_list_are_kept_as_a_tuple():
    opt = optim.Adam([Tensor(np.ones(3), requires_grad=True)], betas=[0.8, 0.99])
    assert opt.param_groups[0]["betas"] == (0.8, 0.99)


def test_a_search_trial_that_diverges_scores_nan_instead_of_stopping_the_search(monkeypatch):
    from tinygrad_notes.app import search_job

    def diverge(*args, **kwargs):
        raise optim.NonFiniteGradError("Adam.step: 1 gradient(s) hold NaN or Inf; nothing was updated")

    monkeypatch.setattr(search_job, "train", diverge)
    params = {"lr": 0.1, "beta1": 0.9, "hidden": 32, "lambd": 0.01, "keep_prob": 1.0}
    assert np.isnan(search_job.trial(params, seed=0, epochs=1))
