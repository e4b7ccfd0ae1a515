"""What differences cannot see: contracts of forward and backward, random functions, NaN and Inf (issue 13, 4-6).

Each test has a deliberately broken op or function and asserts that the report catches it,
names the op (or the input and output components), and says what to do.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from tinygrad_notes import Function, Primitive, Tensor, gradcheck, gradcheck_model
from tinygrad_notes.random import draw, frozen_randomness

rng = np.random.default_rng(0)


# ---- backward twice on the same gradient ------------------------------------------------------------
class NoisyBackward(Function):
    """2x, with a backward that adds noise of 1e-10: numerically invisible, and still not a function."""

    noise = np.random.default_rng(5)

    def forward(ctx, x):
        return x * 2

    def backward(ctx, g):
        return g * 2 + NoisyBackward.noise.normal(scale=1e-10, size=g.shape)


def test_a_backward_that_is_not_repeatable_fails_the_check_naming_the_op() -> None:
    report = gradcheck(lambda x: NoisyBackward.apply(x).tanh().sum(), [rng.standard_normal(5)])
    assert not report.passed
    assert report.entries[0].passed and report.reading == "great"  # the numbers alone would pass it
    assert len(report.violations) == 1
    assert report.violations[0].startswith("backward of NoisyBackward is not repeatable: run twice on the same "
                                           "incoming gradient, its gradient for input 0 differs by up to")
    assert "FAILED: 1 broken promise" in str(report) and "broken promise: backward of NoisyBackward" in str(report)


# ---- forward must not write into its inputs ----------------------------------------------------------------
class InplaceSoftmax(Function):
    """softmax that subtracts the max from its input in place: the check ran at the moved point, and passed."""

    def forward(ctx, x):
        x -= x.max(axis=-1, keepdims=True)
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)

    def backward(ctx, g):
        y = ctx.inputs[0].softmax()
        return y * (g - (g * y).sum(axis=-1, keepdims=True))


def test_a_forward_that_writes_into_its_input_is_named_and_the_users_array_is_untouched() -> None:
    x = rng.standard_normal((3, 4))
    before = x.copy()
    report = gradcheck(lambda x: (InplaceSoftmax.apply(x) * np.arange(4.0)).sum(), [x])
    np.testing.assert_array_equal(x, before)
    assert not report.passed
    assert ("forward of InplaceSoftmax writes into its input 0 (shape (3, 4)): a forward must leave its inputs as "
            "they are") in report.violations[1]
    assert "x = x - m, not x -= m" in report.violations[1]
    assert report.violations[0].startswith("the function changed its input 'input 0' while computing")
    assert [e.decision for e in report.entries] == ["not checked"]  # numbers taken at a moved point mean nothing


def test_a_forward_writing_into_an_intermediate_is_caught_too() -> None:
    report = gradcheck(lambda x: InplaceSoftmax.apply(x * 3).sum(axis=0), [rng.standard_normal((2, 3))])
    assert any(v.startswith("forward of InplaceSoftmax writes into its input 0") for v in report.violations)


# ---- backward gets its incoming gradient read-only -----------------------------------------------------------
class WritesIntoGrad(Function):
    def forward(ctx, x):
        return x * 3

    def backward(ctx, g):
        g *= 3
        return g


def test_a_backward_that_writes_into_its_gradient_is_named_by_the_checker() -> None:
    report = gradcheck(lambda x: WritesIntoGrad.apply(x).tanh().sum(), [rng.standard_normal(6)])
    assert not report.passed
    assert report.violations == [
        "backward of WritesIntoGrad writes into its incoming gradient (shape (6,)): the gradient it receives is "
        "read-only (the same array may reach other nodes, or be the caller's); compute a new one (g = g * 2, not "
        "g *= 2)"]


def test_writing_into_the_incoming_gradient_raises_an_error_that_says_so_and_the_callers_array_is_kept() -> None:
    x = Tensor(np.ones(6), requires_grad=True)
    w = np.arange(6.0)
    with pytest.raises(ValueError, match=r"'\*=': this tensor's array \(shape \(6,\)\) is read-only.*g = g \* 2 "
                                         r"rather than g \*= 2"):
        WritesIntoGrad.apply(x).backward(w)
    np.testing.assert_array_equal(w, np.arange(6.0))


def test_the_gradient_a_backward_receives_is_read_only_and_backward_never_modifies_the_callers() -> None:
    seen = []

    class Peek(Function):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, g):
            seen.append(g.numpy().flags.writeable)
            return g * 2

    x = Tensor(np.ones(4), requires_grad=True)
    w = np.array([1.0, -2.0, 3.0, 0.5])
    Peek.apply(x).backward(w)
    Peek.apply(x).backward(Tensor(w))
    (Peek.apply(x) * 3).sum().backward()  # a gradient mul's backward just made, fresh and writable
    assert seen == [False, False, False]
    np.testing.assert_array_equal(w, [1.0, -2.0, 3.0, 0.5])
    np.testing.assert_array_equal(x.grad.numpy(), 2 * 2 * w + 6)
    assert w.flags.writeable  # the caller's array itself is left writable


def test_even_a_primitive_that_writes_into_its_numpy_gradient_cannot_modify_the_callers() -> None:
    class TriplePrimitive(Primitive):  # a user's fused op: its backward gets plain numpy gradients
        def forward(ctx, x):
            return x * 3

        def backward(ctx, g):
            g *= 3
            return g

    w = np.arange(4.0)
    with pytest.raises(ValueError, match="read-only"):
        TriplePrimitive.apply(Tensor(np.ones(4), requires_grad=True)).backward(w)
    np.testing.assert_array_equal(w, np.arange(4.0))


# ---- random functions -------------------------------------------------------------------------------------
def own_numpy_dropout(x: Tensor) -> Tensor:
    """A learner's dropout: a fresh numpy mask on every call, not drawn through tinygrad_notes.random.draw."""
    mask = np.random.default_rng().random(x.shape) < 0.5
    return (x * mask * 2.0).tanh().sum()


def test_a_random_function_is_reported_as_random_with_the_notes_advice_not_as_failures() -> None:
    report = gradcheck(own_numpy_dropout, [rng.standard_normal(8)])
    assert not report.passed and report.kinks == 0
    assert report.random.startswith("two evaluations at the same point differ (by ")
    assert "turn dropout off for the check (keep_prob = 1" in report.random
    assert "tinygrad_notes.random.draw, which the check freezes" in report.random
    text = str(report)
    assert text.splitlines()[0].endswith("NOT CHECKED: the function is random")
    assert "random function: two evaluations" in text and "fail" not in text.split("random function")[0]
    assert [e.decision for e in report.entries] == ["not checked"]
    assert report.evaluations == 1  # the second call, which showed it; nothing else was evaluated


class OwnDropoutNet:
    """A model whose forward draws its own numpy dropout mask."""

    def __init__(self) -> None:
        self.W = Tensor(rng.standard_normal((4, 3)), requires_grad=True)

    def named_parameters(self):
        yield "W", self.W

    def __call__(self, X: Tensor) -> Tensor:
        h = X @ self.W
        return h * (np.random.default_rng().random(h.shape) < 0.5) * 2.0


def test_a_model_with_its_own_dropout_gets_the_same_advice() -> None:
    report = gradcheck_model(OwnDropoutNet(), lambda out: out.tanh().sum(), rng.standard_normal((5, 4)))
    assert not report.passed and "dropout='off'" in report.random


def test_dropout_drawn_through_the_library_is_frozen_and_checks() -> None:
    def library_dropout(x: Tensor) -> Tensor:
        return (x * draw(lambda g: g.random(x.shape) < 0.5) * 2.0).tanh().sum()

    report = gradcheck(library_dropout, [rng.standard_normal(8)])
    assert report.passed and not report.random


def test_frozen_randomness_is_per_thread() -> None:
    """A check freezing the draws in one thread never hands its recorded masks to another thread's dropout."""
    recorded, drawn_elsewhere = threading.Event(), []

    def other_thread() -> None:
        recorded.wait(10)
        drawn_elsewhere.append(float(draw(lambda g: g.random(()))))

    worker = threading.Thread(target=other_thread)
    worker.start()
    with frozen_randomness() as frozen:
        first = float(draw(lambda g: g.random(())))
        frozen.restart()  # the next draw in this thread would be `first` again ...
        recorded.set()
        worker.join()
        assert float(draw(lambda g: g.random(()))) == first
    assert drawn_elsewhere and drawn_elsewhere[0] != first  # ... but the other thread drew a fresh one


# ---- NaN and Inf -----------------------------------------------------------------------------------------
def test_nan_at_the_check_point_names_the_input_components() -> None:
    report = gradcheck(lambda x: x.log().sum(), [np.array([1.0, -1.0, 2.0])])
    entry = report.entries[0]
    assert not report.passed and entry.decision == "NaN/Inf (3 components)"
    assert np.isnan(report.rel_error) and report.reading == "NaN/Inf"
    assert "the output is NaN/Inf at the check point: nothing there can be compared" in " ".join(report.notes)
    assert {c.index for c in entry.worst} == {(0,), (1,), (2,)}
    assert all(c.status == "NaN (numerical)" for c in entry.worst)


def test_an_infinite_slope_names_the_component_and_which_side_is_not_finite() -> None:
    report = gradcheck(lambda x: x.sqrt().sum(), [np.array([0.0, 1.0])])
    entry = report.entries[0]
    assert not report.passed and entry.nonfinite == 1 and entry.failed == 0
    worst = entry.worst[0]
    assert worst.index == (0,) and worst.analytical == np.inf and worst.status == "NaN (analytical and numerical)"
    assert "FAILED: 1 of 2 components fail (NaN/Inf)" in str(report)


def test_a_nan_in_one_gradient_row_names_the_output_and_input_components() -> None:
    class NanInOneEntry(Function):  # y = 2x, but backward's d y_1 / d x_2 is NaN (0 there, really)
        def forward(ctx, x):
            return 2 * x

        def backward(ctx, g):
            gd = g.numpy()
            return Tensor(np.where((np.arange(3) == 2) & (gd[1] != 0), np.nan, 2 * gd))

    report = gradcheck(lambda x: NanInOneEntry.apply(x), [rng.standard_normal(3)])
    entry = report.entries[0]
    assert not report.passed and entry.nonfinite == 1 and entry.checked == 9
    bad = entry.worst[0]
    assert (bad.output_index, bad.index, bad.status, bad.numerical) == ((1,), (2,), "NaN (analytical)", 0.0)
    assert "out(1,) in(2,)" in str(report)


def test_a_forward_that_only_wants_writable_buffers_but_writes_nothing_is_not_accused() -> None:
    class NeedsWritable(Function):  # as some compiled code does: refuses read-only arrays, changes nothing
        def forward(ctx, x):
            if not x.flags.writeable:
                raise ValueError("buffer source array is read-only")
            return x * 2

        def backward(ctx, g):
            return g * 2

    report = gradcheck(lambda x: NeedsWritable.apply(x).tanh().sum(), [rng.standard_normal(4)])
    assert report.passed and report.violations == []
