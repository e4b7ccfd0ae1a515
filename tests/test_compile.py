"""compile(fn): a compiled step gives the eager step's results bit for bit, over several steps, and replays.

Each test runs the same step on two identical setups, one eagerly and one compiled, and compares every
loss, parameter, gradient, optimizer state and batch-norm statistic exactly (same bytes), after each step.
"""

import warnings

import numpy as np
import pytest

import nn
import optim
import tinygrad_notes.function as function_module
import tinygrad_notes.tensor as tensor_module
from tinygrad_notes import Tensor, compile, no_grad
from tinygrad_notes import grad as tn_grad
from tinygrad_notes import random as tn_random

STEPS = 5


@pytest.fixture(autouse=True)
def _no_compile_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a compile warning means a step ran eagerly: these tests must replay
        yield


def same(a, b) -> bool:
    """Same bits: shape, dtype and every byte."""
    a = np.asarray(a._data if isinstance(a, Tensor) else a)
    b = np.asarray(b._data if isinstance(b, Tensor) else b)
    return a.shape == b.shape and a.dtype == b.dtype and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(
        b).tobytes()


def data(batch=16, features=12, classes=3, steps=STEPS, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((steps, batch, features)).astype(np.float32),
            rng.integers(0, classes, (steps, batch)))


def make_model(dropout=0.0, batchnorm=False):
    rng = np.random.default_rng(0)
    layers = [nn.Linear(12, 16, bias=not batchnorm, generator=rng)]
    if batchnorm:
        layers.append(nn.BatchNorm1d(16))
    layers.append(nn.ReLU())
    if dropout:
        layers.append(nn.Dropout(dropout, generator=np.random.default_rng(7)))
    layers.append(nn.Linear(16, 3, generator=rng))
    return nn.Sequential(*layers)


def training_step(model, opt, lambd=0.05):
    def step(xb, yb):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(Tensor(xb)), yb) + nn.l2_penalty(model, lambd, len(xb))
        loss.backward()
        opt.step()
        return loss

    return step


def assert_same_training(make_opt, dropout=0.0, batchnorm=False):
    X, Y = data()
    models, steps = [], []
    for compiled in (False, True):
        model = make_model(dropout, batchnorm)
        opt = make_opt(model.parameters())
        step = training_step(model, opt)
        models.append((model, opt))
        steps.append(compile(step) if compiled else step)
    (m_eager, o_eager), (m_comp, o_comp) = models
    for i in range(STEPS):
        loss_eager, loss_comp = steps[0](X[i], Y[i]), steps[1](X[i], Y[i])
        assert same(loss_eager, loss_comp), f"step {i}: loss {loss_eager.item()} vs {loss_comp.item()}"
        for (name, a), (_, b) in zip(m_eager.state_dict().items(), m_comp.state_dict().items()):
            assert same(a, b), f"step {i}: {name} differs"  # parameters and batch-norm buffers
        for p, q in zip(m_eager.parameters(), m_comp.parameters()):
            assert same(p.grad, q.grad), f"step {i}: a gradient differs"
        for key, state in o_eager.state_dict()["state"].items():
            for k, v in state.items():
                assert same(v, o_comp.state_dict()["state"][key][k]), f"step {i}: optimizer state {key}.{k} differs"
    assert steps[1].stats["replays"] == STEPS - 2  # traced once, checked once, replayed after
    return models


def test_mlp_step_with_sgd_and_momentum_is_bit_identical():
    assert_same_training(lambda p: optim.SGD(p, lr=0.1, momentum=0.9))


def test_mlp_step_with_adam_is_bit_identical():
    assert_same_training(lambda p: optim.Adam(p, lr=1e-2))


def test_dropout_and_batchnorm_are_bit_identical_and_draw_new_masks():
    (m_eager, _), (m_comp, _) = assert_same_training(lambda p: optim.Adam(p, lr=1e-2), dropout=0.3, batchnorm=True)
    bn = m_comp[1]
    assert int(bn.num_batches_tracked.item()) == STEPS  # the running statistics moved on every replay
    assert not np.allclose(bn.running_mean.data, 0)
    gen_eager, gen_comp = m_eager[3].generator, m_comp[3].generator
    assert gen_eager.bit_generator.state == gen_comp.bit_generator.state  # the same number of draws, same stream


def test_dropout_draws_a_new_mask_on_every_replay():
    drop = nn.Dropout(0.5, generator=np.random.default_rng(3))
    x = Tensor(np.ones((4, 8)))

    @compile
    def masked():
        with no_grad():
            return drop(x)

    masks = [masked().data.copy() for _ in range(4)]
    assert all(not np.array_equal(masks[0], m) for m in masks[1:])
    assert masked.stats["replays"] == 2


def test_default_generator_dropout_follows_manual_seed_stream():
    outs = []
    for compiled in (False, True):
        tn_random.manual_seed(11)
        drop = nn.Dropout(0.5)

        def f(x, drop=drop):
            with no_grad():
                return drop(Tensor(x))

        f = compile(f) if compiled else f
        outs.append([f(np.ones((3, 5))).data.copy() for _ in range(4)])
    assert all(same(a, b) for a, b in zip(*outs))


def chain_step(shape):
    x = Tensor(np.full(shape, 0.5), requires_grad=True)

    def step():
        y = x
        for _ in range(30):
            y = (y * 1.01 + 0.1).tanh()
        (y.sum() if shape else y).backward()
        g = x.grad
        x.grad = None
        return y, g

    return step


@pytest.mark.parametrize("shape", [(), (3, 4)])
def test_scalar_and_small_chains_are_bit_identical(shape):
    eager, compiled = chain_step(shape), compile(chain_step(shape))
    for _ in range(STEPS):
        (y1, g1), (y2, g2) = eager(), compiled()
        assert same(y1, y2)
        assert same(g1, g2)
    assert compiled.stats["replays"] == STEPS - 2


def test_floats_program_on_a_scalar_chain_is_bit_identical_and_runs_python_floats():
    eager, compiled = chain_step(()), compile(chain_step(()), floats=True)
    for _ in range(STEPS):
        (y1, g1), (y2, g2) = eager(), compiled()
        assert same(y1, y2)
        assert same(g1, g2)
    assert compiled.programs()[0].floats is None  # it qualified
    assert "float(" in compiled.source() and "out=" not in compiled.source()


def test_floats_falls_back_to_numpy_calls_where_python_would_raise():
    x = Tensor(np.array(1.0), requires_grad=True)
    d = Tensor(np.array(1.0))

    @compile(floats=True)
    def f():
        return (x / d).detach()

    f(), f()
    d.inplace_data()[...] = 0.0  # Python's 1.0 / 0.0 raises; numpy gives inf (with its warning)
    with np.errstate(divide="ignore"):
        assert f().item() == np.inf


def test_a_replay_makes_no_op_calls_and_no_backward_walk(monkeypatch):
    step = compile(chain_step((2, 2)))
    step(), step()  # trace, check
    calls = []
    monkeypatch.setattr(tensor_module, "run_op", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(function_module, "run_op", lambda *a, **k: calls.append(a))
    import tinygrad_notes.autograd as autograd

    monkeypatch.setattr(autograd, "_run", lambda *a, **k: calls.append(a))
    y, g = step()
    assert calls == []
    assert step.stats["replays"] == 1
    assert y.grad_fn is None and not y.requires_grad  # outputs are plain tensors: no graph


def test_the_demo_trains_identically_with_compile():
    from tinygrad_notes.app.demo import build_mlp, load_split, train

    split = load_split(0)
    results = []
    for compiled in (False, True):
        tn_random.manual_seed(0)
        model = build_mlp(64, (32,), 0.2, np.random.default_rng(0))
        r = train(model, split, lr=2e-3, lambd=0.1, max_epochs=2, compiled=compiled)
        results.append((r["history"], model.state_dict()))
    assert results[0][0] == results[1][0]
    assert all(same(a, b) for a, b in zip(results[0][1].values(), results[1][1].values()))


def test_learning_rate_schedule_between_calls_is_followed():
    X, Y = data()
    params = []
    for compiled in (False, True):
        model = make_model()
        opt = optim.SGD(model.parameters(), lr=0.5)
        schedule = optim.InverseTimeDecay(opt, decay_rate=1.0)
        step = training_step(model, opt)
        step = compile(step) if compiled else step
        for i in range(STEPS):
            step(X[i], Y[i])
            schedule.step()  # the optimizer's step is replayed whole: it reads the new rate
        params.append([p.data.copy() for p in model.parameters()])
    assert all(same(a, b) for a, b in zip(*params))


def test_in_place_update_written_in_the_step_is_recorded():
    X, Y = data()
    results = []
    for compiled in (False, True):
        model = make_model()
        params = list(model.parameters())

        def step(xb, yb, model=model, params=params):
            loss = nn.functional.cross_entropy(model(Tensor(xb)), yb)
            loss.backward()
            with no_grad():
                for p in params:
                    p -= 0.1 * p.grad
                    p.grad = None
            return loss

        step = compile(step) if compiled else step
        results.append([step(X[i], Y[i]).item() for i in range(STEPS)] + [p.data.copy() for p in params])
    assert results[0][:STEPS] == results[1][:STEPS]
    assert all(same(a, b) for a, b in zip(results[0][STEPS:], results[1][STEPS:]))


def test_a_gradient_penalty_with_create_graph_is_bit_identical():
    def make():
        w = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)

        def step(x):
            x = Tensor(x, requires_grad=True)  # made in the step: its .grad is no later call's business
            y = (x * w).tanh().sum()
            (gx,) = tn_grad(y, [x], create_graph=True)
            (gx * gx).sum().backward()  # second order: the backward of the backward
            g = w.grad
            w.grad = None
            return g

        return step

    eager, compiled = make(), compile(make())
    rng = np.random.default_rng(0)
    for _ in range(STEPS):
        x = rng.standard_normal(3)
        assert same(eager(x), compiled(x))
    assert compiled.stats["replays"] == STEPS - 2


def test_a_tensor_made_and_filled_in_the_step_starts_again_each_call():
    def step(x):
        total = Tensor(np.zeros(3))
        with no_grad():
            total += Tensor(x)  # written in place: the program resets it to zeros before each replay
            total *= 2
        return total

    compiled = compile(step)
    for i in range(STEPS):
        x = np.full(3, float(i))
        assert same(compiled(x), step(x))
    assert compiled.stats["replays"] == STEPS - 2
