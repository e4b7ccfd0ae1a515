"""Kinks, rounding noise, Richardson, float32 inside, and replays that differ only by rounding (issue 13, 3, 7, 8, 10).

Each test has a deliberately odd function: correct, but hard on a checker (a kink exactly
at the point, a sum of cancelling terms, float32 arithmetic inside, a replay rule that sums
in another order), and asserts what the report says about it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tinygrad_notes import Function, Primitive, Tensor, gradcheck

KINKS = {  # name: (function, inputs, the kinks' (index, left slope, right slope))
    "relu at 0": (lambda x: x.relu().sum(), [np.array([0.0, 1.0, -1.0])], [((0,), 0, 1)]),
    "abs at 0 (passes: backward's 0 is the two-sided mean)": (lambda x: x.abs().sum(), [np.array([0.0, 1.5])],
                                                              [((0,), -1, 1)]),
    "abs within eps": (lambda x: x.abs().sum(), [np.array([3e-8, -2.0])], [((0,), -0.4, 1)]),
    "relu within eps": (lambda x: x.relu().sum(), [np.array([-4e-8, 2.0])], [((0,), 0, 0.6)]),
    "leaky_relu at 0": (lambda x: x.leaky_relu(0.1).sum(), [np.array([0.0, 1.0])], [((0,), 0.1, 1)]),
    "a tie in max (split)": (lambda x: x.max(), [np.array([1.0, 3.0, 3.0, 2.0])], [((1,), 0, 1), ((2,), 0, 1)]),
    "a tie in min (split)": (lambda x: x.min(), [np.array([1.0, 0.5, 0.5])], [((1,), 1, 0), ((2,), 1, 0)]),
    "a tie along an axis": (lambda x: x.max(axis=1).sum(), [np.array([[1.0, 1.0], [0.0, 2.0]])],
                            [((0, 0), 0, 1), ((0, 1), 0, 1)]),
    "clip at its lower bound": (lambda x: x.clip(-0.5, 0.5).sum(), [np.array([-0.5, 0.1])], [((0,), 0, 1)]),
    "clip at its upper bound": (lambda x: x.clip(-0.5, 0.5).sum(), [np.array([0.5, 0.1])], [((0,), 1, 0)]),
    "abs inside a chain": (lambda x: ((x - 1.0).abs() * 3).tanh().sum(), [np.array([1.0, 2.0])], [((0,), -3, 3)]),
}


@pytest.mark.parametrize("name", sorted(KINKS))
def test_every_kink_is_reported_with_both_slopes_whether_or_not_the_value_passes(name: str) -> None:
    fn, inputs, expected = KINKS[name]
    report = gradcheck(fn, inputs)
    assert report.passed, str(report)
    kinks = sorted((c.index, c.left, c.right) for c in report.entries[0].worst if c.status == "kink")
    assert [index for index, _, _ in kinks] == [index for index, _, _ in expected]
    for (_, left, right), (_, want_left, want_right) in zip(kinks, expected):
        assert (left, right) == (pytest.approx(want_left, abs=1e-6), pytest.approx(want_right, abs=1e-6))
    assert report.kinks == len(expected) and "kink (left" in str(report)


def test_ties_in_an_elementwise_maximum_are_kinks_of_both_inputs() -> None:
    report = gradcheck(lambda a, b: a.maximum(b).sum(), [np.array([1.0, 2.0]), np.array([1.0, 0.0])])
    assert report.passed and [e.kinks for e in report.entries] == [1, 1]


SMOOTH = {  # steep, curved or large but smooth: never a kink, never a failure
    "x^-3 near 0.01": (lambda x: (x**-3).sum(), [np.array([0.01, 0.02, 0.013])], {}),
    "exp(30x)": (lambda x: (x * 30).exp().sum(), [np.array([0.5, 1.0, -0.2])], {}),
    "sin(1000x)": (lambda x: (x * 1000).sin().sum(), [np.linspace(-2, 2, 5)], {}),
    "tanh(100x) near 0": (lambda x: (x * 100).tanh().sum(), [np.array([0.003, -0.01])], {}),
    "x^2 at 1e-9": (lambda x: (x * x).sum(), [np.array([1e-9, -3e-10])], {}),
    "large values": (lambda x: (x * x).sum(), [np.array([1000.0, -3000.0])], {}),
}


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_a_smooth_function_is_never_called_a_kink(name: str) -> None:
    fn, inputs, options = SMOOTH[name]
    report = gradcheck(fn, inputs, **options)
    assert report.passed and report.kinks == 0, str(report)


N_TERMS = 100_000
_offsets_rng = np.random.default_rng(0)
OFFSETS = np.repeat([10.0, -10.0], N_TERMS // 2)
_offsets_rng.shuffle(OFFSETS)
SLOPES = _offsets_rng.standard_normal((N_TERMS, 4)) * 1e-4


def cancelling_sum(x: Tensor) -> Tensor:
    """10^5 terms: offsets of ±10 that cancel, plus small slopes: the value is small, its rounding is not."""
    return (Tensor(OFFSETS) + Tensor(SLOPES) @ x).sum()


@pytest.mark.parametrize("seed", range(6))
def test_a_sum_of_cancelling_terms_passes_on_its_own_measured_noise_without_false_kinks(seed: int) -> None:
    x = np.random.default_rng(seed).standard_normal(4)
    report = gradcheck(cancelling_sum, [x])
    assert report.passed and report.kinks == 0, str(report)
    # the floor, 16 ulps of |f| / eps, is below 1e-7 here; the measured noise of the sum is what was allowed
    assert report.noise_measured and report.noise > 1e-6
    assert "also the function's own rounding, measured" in str(report)


def test_a_bug_in_a_noisy_function_is_still_caught() -> None:
    class WrongSlope(Function):  # d/dx of (S @ x) is S^T g; this backward scales it by 1.2
        def forward(ctx, x):
            return SLOPES @ x

        def backward(ctx, g):
            return Tensor(SLOPES).T @ g * 1.2

    report = gradcheck(lambda x: (Tensor(OFFSETS) + WrongSlope.apply(x)).sum(),
                       [np.random.default_rng(0).standard_normal(4)])
    assert not report.passed and report.entries[0].failed == 4 and report.kinks == 0


def test_failures_that_are_the_steps_own_error_are_rescued_by_richardson_and_the_report_says_so() -> None:
    """With eps = 0.01 the difference of sin is off by eps^2/6 |cos| ~ 2e-5 relative: more than rtol."""
    x = np.array([0.3, 1.1])
    report = gradcheck(lambda x: x.sin().sum(), [x], eps=1e-2)
    entry = report.entries[0]
    assert report.passed and entry.rechecked == 2 and entry.rescued == 2
    assert all(c.status == "ok (Richardson)" for c in entry.worst)
    assert [c.numerical for c in sorted(entry.worst, key=lambda c: c.index)] == pytest.approx(np.cos(x), rel=1e-8)
    assert any("re-checked with Richardson's extrapolation" in note and "2 passed that way, 0 still fail" in note
               for note in report.notes)


def test_richardson_does_not_rescue_a_real_bug() -> None:
    class SinOff(Function):
        def forward(ctx, x):
            return np.sin(x)

        def backward(ctx, g):
            return g * ctx.inputs[0].cos() * 1.001

    report = gradcheck(lambda x: SinOff.apply(x).sum(), [np.array([0.3, 1.1])], eps=1e-2)
    assert not report.passed and report.entries[0].failed == 2 and report.entries[0].rescued == 0
    assert any("0 passed that way, 2 still fail" in note for note in report.notes)


# ---- float32 inside -----------------------------------------------------------------------------------
def _tanh32(factor: float) -> type[Function]:
    class Tanh32(Function):
        """tanh computed in float32, as a user's op might; backward off by `factor`."""

        def forward(ctx, x):
            return np.tanh(x.astype(np.float32))

        def backward(ctx, g):
            return g * (1 - Tensor(np.tanh(ctx.inputs[0].numpy())) ** 2) * factor

    return Tanh32


def _check_float32_layer(seed: int, factor: float):
    op = _tanh32(factor)
    x = np.random.default_rng(seed).standard_normal((4, 6))
    W = np.random.default_rng(seed + 100).standard_normal((6, 3))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = gradcheck(lambda x, W: (op.apply(x @ W) * np.arange(3.0)).sum(), [x, W])
    return report, caught


@pytest.mark.parametrize("seed", range(5))
def test_float32_inside_is_said_to_limit_the_check_not_called_a_bug_or_kinks(seed: int) -> None:
    report, caught = _check_float32_layer(seed, 1.0)
    assert report.passed and report.kinks == 0, str(report)
    assert report.eps == pytest.approx(np.finfo(np.float32).eps ** (1 / 3))
    assert report.precision.startswith("float32 inside (Tanh32): float32's precision (about 1e-07 relative) limits "
                                       "this check")
    assert f"may still differ by up to about {report.noise:.1e} per component" in report.precision
    assert "precision: float32 inside (Tanh32)" in str(report)
    assert any("computes in float32 inside (Tanh32)" in str(w.message) for w in caught)


def test_a_bug_in_a_float32_function_is_still_caught() -> None:
    report, _ = _check_float32_layer(0, 1.01)
    assert not report.passed and all(e.failed > 0 for e in report.entries) and report.kinks == 0


def test_float32_constants_that_numpy_promotes_do_not_count_as_float32_inside() -> None:
    report = gradcheck(lambda x: (x * Tensor(np.full(5, 0.3, dtype=np.float32))).exp().sum(),
                       [np.random.default_rng(0).standard_normal(5)])
    assert report.passed and report.eps == 1e-7 and not report.precision


# ---- a replay that differs from calls by rounding only --------------------------------------------------
class SequentialSum(Primitive):
    """sum(x) from left to right; its replay rule sums right to left: the same sum up to rounding."""

    op_name = "sequential_sum"
    batched = classmethod(lambda cls, args, flags, attrs, size: np.cumsum(args[0][:, ::-1], axis=1)[:, -1])

    def forward(ctx, x):
        return np.cumsum(x)[-1]

    def backward(ctx, g):  # d sum / d x_i = 1
        (x,) = ctx.operands()
        return g * np.ones(x.shape)


@pytest.mark.parametrize("seed", range(4))
def test_a_replay_that_differs_only_by_rounding_is_used_and_no_false_note_is_written(seed: int) -> None:
    offsets = np.repeat([10.0, -10.0], 500)
    np.random.default_rng(0).shuffle(offsets)
    x = np.random.default_rng(seed).standard_normal(1000) * 1e-3
    report = gradcheck(lambda x: SequentialSum.apply(x * x + offsets), [x])
    assert report.passed and report.kinks == 0, str(report)
    assert not any("did not match" in note or "called directly" in note for note in report.notes)
    assert any("replayed the recorded graph" in note for note in report.notes)
