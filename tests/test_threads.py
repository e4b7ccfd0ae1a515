"""Modes are per thread: what one thread does with grad mode, name scopes, anomaly mode or the default dtype is
never seen by another, and two models trained at once come out exactly as when trained one after the other.

Each test runs its threads in a fixed interleaving, enforced with barriers, so a leak shows up every run.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import nn
import optim
import tinygrad_notes as tn
from tinygrad_notes import Tensor

TIMEOUT = 30  # seconds a barrier or a join may wait before the test fails instead of hanging


def run_threads(*bodies, barrier: threading.Barrier | None = None):
    """Run each body in its own thread; re-raise the first exception one of them raised.

    When a body fails, the barrier is broken so the other threads stop waiting for it at once.
    """
    errors: list[BaseException] = []

    def wrap(body):
        def run():
            try:
                body()
            except BaseException as err:  # noqa: BLE001 - handed back to the test's thread
                errors.append(err)
                if barrier is not None:
                    barrier.abort()
        return run

    threads = [threading.Thread(target=wrap(b)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (a barrier was never reached)"
    if errors:
        first = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)] or errors
        raise first[0]


def records_graph() -> bool:
    """Whether an op in the calling thread records a graph node right now."""
    return (Tensor([1.0], requires_grad=True) * 2).requires_grad


def test_no_grad_in_one_thread_does_not_stop_another_threads_graph():
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    seen = {}

    def a():
        with tn.no_grad():
            barrier.wait()  # 1: a is inside no_grad
            seen["a inside"] = records_graph()
            barrier.wait()  # 2: b has looked

    def b():
        barrier.wait()  # 1
        seen["b while a is in no_grad"] = records_graph()
        barrier.wait()  # 2

    run_threads(a, b, barrier=barrier)
    assert seen == {"a inside": False, "b while a is in no_grad": True}


def test_interleaved_enter_and_exit_leave_grad_mode_on_everywhere():
    """a enters, b enters, a exits, b exits: not nested, the order that left a global flag off for good."""
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    seen = {}

    def a():
        with tn.no_grad():
            barrier.wait()  # 1: both inside
            barrier.wait()  # 2
        seen["a after its exit, b still inside"] = records_graph()
        barrier.wait()  # 3
        barrier.wait()  # 4: b has exited
        seen["a at the end"] = records_graph()

    def b():
        barrier.wait()  # 1
        with tn.no_grad():
            barrier.wait()  # 2
            barrier.wait()  # 3: a has exited
            seen["b inside, after a exited"] = records_graph()
        barrier.wait()  # 4
        seen["b at the end"] = records_graph()

    run_threads(a, b, barrier=barrier)
    assert seen == {"a after its exit, b still inside": True, "b inside, after a exited": False,
                    "a at the end": True, "b at the end": True}
    assert records_graph()  # the main thread never changed either
    assert tn.is_grad_enabled()


def test_one_threads_backward_does_not_switch_off_grad_mode_in_another():
    """A hook pauses thread a in the middle of its backward; thread b records a graph and runs its own backward."""
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    seen = {}

    def a():
        x = Tensor([1.0, 2.0], requires_grad=True)
        y = x * 3

        def pause(g):  # runs in the middle of a's backward
            barrier.wait()  # 1
            barrier.wait()  # 2

        y.register_hook(pause)
        y.sum().backward()
        seen["a's gradient"] = x.grad.numpy().tolist()

    def b():
        barrier.wait()  # 1: a is inside backward
        w = Tensor([2.0], requires_grad=True)
        loss = (w * w).sum()
        seen["b records"] = loss.requires_grad
        loss.backward()
        seen["b's gradient"] = w.grad.numpy().tolist()
        barrier.wait()  # 2: let a finish

    run_threads(a, b, barrier=barrier)
    assert seen == {"b records": True, "b's gradient": [4.0], "a's gradient": [3.0, 3.0]}


def test_name_scope_is_per_thread():
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    seen = {}

    def a():
        with tn.name_scope("encoder"):
            barrier.wait()  # 1: a is inside its scope
            barrier.wait()  # 2: b has recorded
            seen["a"] = (Tensor([1.0], requires_grad=True) * 2).grad_fn.scope

    def b():
        barrier.wait()  # 1
        seen["b, no scope"] = (Tensor([1.0], requires_grad=True) * 2).grad_fn.scope
        with tn.name_scope("decoder"):
            seen["b"] = (Tensor([1.0], requires_grad=True) * 2).grad_fn.scope
        barrier.wait()  # 2

    run_threads(a, b, barrier=barrier)
    assert seen == {"b, no scope": None, "b": "decoder", "a": "encoder"}


def test_nn_modules_running_in_two_threads_record_their_own_names():
    """Thread a calls its layer while thread b is paused inside another model's forward: each op is named
    after the module of its own thread."""
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    seen = {}

    class ModelA(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            barrier.wait()  # 1: a is inside its model
            barrier.wait()  # 2: b is inside its own
            out = self.lin(x)
            barrier.wait()  # 3
            return out

    class PauseB(nn.Module):
        def forward(self, x):
            barrier.wait()  # 2
            barrier.wait()  # 3: a has called its layer
            return x

    model_a, model_b = ModelA(), nn.Sequential(PauseB(), nn.Linear(2, 2))

    def a():
        seen["a"] = model_a(Tensor(np.ones((1, 2), np.float32))).grad_fn.scope

    def b():
        barrier.wait()  # 1
        seen["b"] = model_b(Tensor(np.ones((1, 2), np.float32))).grad_fn.scope

    run_threads(a, b, barrier=barrier)
    assert seen == {"a": "lin", "b": "1"}


def test_detect_anomaly_is_per_thread_and_never_left_on():
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    seen = {}
    zero = np.zeros(1)

    def a():
        with tn.detect_anomaly():
            barrier.wait()  # 1: a is in anomaly mode
            try:
                with np.errstate(divide="ignore"):  # numpy's warning; anomaly mode raises its own error
                    Tensor(zero, requires_grad=True).log()
                seen["a"] = "no error"
            except FloatingPointError as err:
                seen["a"] = str(err).split(" produced")[0]
            barrier.wait()  # 2
        barrier.wait()  # 3: a has left; b still inside

    def b():
        barrier.wait()  # 1
        with np.errstate(divide="ignore"):
            seen["b, not in anomaly mode"] = Tensor(zero, requires_grad=True).log().numpy().tolist()
        with tn.detect_anomaly():
            barrier.wait()  # 2
            barrier.wait()  # 3
        with np.errstate(divide="ignore"):
            seen["b after both left"] = Tensor(zero, requires_grad=True).log().numpy().tolist()

    with np.errstate(divide="ignore"):
        run_threads(a, b, barrier=barrier)
        seen["main thread"] = Tensor(zero, requires_grad=True).log().numpy().tolist()
    assert seen == {"a": "detect_anomaly: forward of log", "b, not in anomaly mode": [-np.inf],
                    "b after both left": [-np.inf], "main thread": [-np.inf]}


def test_default_dtype_is_per_thread():
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    seen = {}

    def a():
        with tn.default_dtype(np.float64):
            barrier.wait()  # 1
            seen["a inside"] = Tensor([1.0]).dtype
            barrier.wait()  # 2
        tn.set_default_dtype(np.float16)  # a thread's own setting, for the rest of that thread
        seen["a after set_default_dtype"] = Tensor([1.0]).dtype
        barrier.wait()  # 3

    def b():
        barrier.wait()  # 1
        seen["b while a is inside"] = Tensor([1.0]).dtype
        barrier.wait()  # 2
        barrier.wait()  # 3
        seen["b after a set its own"] = Tensor([1.0]).dtype

    run_threads(a, b, barrier=barrier)
    assert seen == {"a inside": np.float64, "b while a is inside": np.float32,
                    "a after set_default_dtype": np.float16, "b after a set its own": np.float32}
    assert Tensor([1.0]).dtype == np.float32


def test_gradcheck_in_one_thread_leaves_the_default_dtype_of_another_alone():
    """The checked function pauses in the middle of the check, while the other thread makes a tensor."""
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    seen = {}
    paused = []

    def f(x):
        if not paused:
            paused.append(True)
            barrier.wait()  # 1: the check is running
            barrier.wait()  # 2: the other thread has looked
        return (x * x * Tensor([2.0])).sum()  # a Python constant inside the checked function

    def a():
        seen["check passed"] = tn.gradcheck(f, [np.array([1.0, -2.0])]).passed

    def b():
        barrier.wait()  # 1
        seen["b's dtype"] = Tensor([1.0]).dtype
        barrier.wait()  # 2

    run_threads(a, b, barrier=barrier)
    assert seen == {"b's dtype": np.float32, "check passed": True}


def test_a_gradient_check_freezes_the_random_draws_of_its_own_thread_only():
    """The check's second evaluation pauses between its two dropout draws; meanwhile another thread draws masks
    of its own, which must neither be replayed from the check nor disturb it."""
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    seen = {}
    calls = []

    def f(x):
        calls.append(1)
        first = nn.functional.dropout(x, 0.5, generator=np.random.default_rng(5))
        if len(calls) == 2:
            barrier.wait()  # 1: the check is between two of its draws
            barrier.wait()  # 2: the other thread has drawn
        return (first + nn.functional.dropout(x, 0.5, generator=np.random.default_rng(6))).sum()

    def a():
        seen["check"] = tn.numerical_grad(f, [np.ones(6)])[0]

    def b():
        barrier.wait()  # 1
        ones = Tensor(np.ones(1000))
        seen["b"] = [nn.functional.dropout(ones, 0.5, generator=np.random.default_rng(7)).numpy() for _ in range(2)]
        barrier.wait()  # 2

    run_threads(a, b, barrier=barrier)
    expected = nn.functional.dropout(Tensor(np.ones(1000)), 0.5, generator=np.random.default_rng(7)).numpy()
    assert np.array_equal(seen["b"][0], expected)  # b's own generator, not a replayed draw
    assert np.array_equal(seen["b"][1], expected)
    masks = [np.random.default_rng(seed).random(6) < 0.5 for seed in (5, 6)]
    np.testing.assert_allclose(seen["check"], 2.0 * masks[0] + 2.0 * masks[1], atol=1e-6)  # the frozen masks


# ---- two models at once ---------------------------------------------------------------------------
def train(seed: int, steps: int, barrier: threading.Barrier | None = None) -> list[np.ndarray]:
    """A small MLP trained with Adam on a seeded task; with a barrier, the two threads meet at every step, so
    their forwards, backwards, no_grad evaluations and optimizer steps interleave."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((32, 4)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(4, 16, generator=np.random.default_rng(seed)), nn.ReLU(),
                          nn.Dropout(0.1, generator=np.random.default_rng(seed + 1)),
                          nn.Linear(16, 2, generator=np.random.default_rng(seed + 2)))
    opt = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        if barrier is not None:
            barrier.wait()
        model.train()
        loss = nn.functional.cross_entropy(model(Tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        if barrier is not None:
            barrier.wait()
        opt.step()
        model.eval()
        with tn.no_grad():
            model(Tensor(X))  # an evaluation in between, as a training loop does
    return [p.numpy().copy() for p in model.parameters()]


def test_two_models_trained_at_once_equal_the_two_trained_one_after_the_other():
    steps = 25
    alone = [train(0, steps), train(10, steps)]
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    together: dict[int, list[np.ndarray]] = {}
    run_threads(lambda: together.__setitem__(0, train(0, steps, barrier)),
                lambda: together.__setitem__(10, train(10, steps, barrier)), barrier=barrier)
    for seed, params in zip((0, 10), alone):
        assert len(together[seed]) == len(params) == 4
        for got, expected in zip(together[seed], params):
            assert np.array_equal(got, expected)  # bit for bit
    assert not np.array_equal(alone[0][0], train(0, 0)[0])  # (training did move the weights)


@pytest.mark.parametrize("manager", [tn.no_grad(), tn.name_scope("shared"), tn.detect_anomaly(),
                                     tn.default_dtype(np.float64)], ids=["no_grad", "name_scope", "anomaly", "dtype"])
def test_one_context_manager_object_entered_by_two_threads_restores_each_threads_own_modes(manager):
    """a enters, b enters, a exits, b exits, all through the same object: each thread gets its own modes back."""
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    before = tn.mode.current.get()
    seen = {}

    def a():
        start = tn.mode.current.get()
        with manager:
            barrier.wait()  # 1
            barrier.wait()  # 2: b is inside too
        seen["a restored"] = tn.mode.current.get() is start
        barrier.wait()  # 3

    def b():
        barrier.wait()  # 1
        start = tn.mode.current.get()
        with manager:
            barrier.wait()  # 2
            barrier.wait()  # 3: a has left
        seen["b restored"] = tn.mode.current.get() is start

    run_threads(a, b, barrier=barrier)
    assert seen == {"a restored": True, "b restored": True}
    assert tn.mode.current.get() is before
