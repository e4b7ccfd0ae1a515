"""The checker's own rules: the notes' formulas, tolerances, kinks, float32, fast mode, and the report.

The holes issue 13 closed (full means full, fast mode's blind spot, kinks, contracts, random functions,
NaN, noise, float32 inside, the verdict words, no false notes) have their own files, test_gradcheck_*.py.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

from tinygrad_notes import (
    Function,
    GradcheckError,
    Tensor,
    assert_gradcheck,
    get_default_dtype,
    gradcheck,
    numerical_grad,
    relative_error,
)
from tinygrad_notes.gradcheck.report import reading
from tinygrad_notes.leafswap import reading as reading_from

rng = np.random.default_rng(0)


# ---- the notes' formulas ---------------------------------------------------------------------------
def test_two_sided_difference_of_theta_cubed_matches_the_notes_example() -> None:
    """f = θ³ at θ = 1 with ε = 0.01: two-sided 3.0001 (error 1e-4), where one-sided would give 3.0301."""
    (g,) = numerical_grad(lambda t: t**3, [np.array(1.0)], eps=0.01)
    assert g == pytest.approx(3.0001, abs=1e-12)
    one_sided = ((1 + 0.01) ** 3 - 1) / 0.01
    assert abs(g - 3) == pytest.approx(1e-4, rel=1e-6)  # error O(eps^2) ...
    assert abs(one_sided - 3) == pytest.approx(0.0301, rel=1e-6)  # ... against O(eps)


def test_numerical_grad_gives_gradients_for_scalars_and_jacobians_for_vectors() -> None:
    x, w = rng.standard_normal(3), rng.standard_normal(3)
    gx, gw = numerical_grad(lambda x, w: (x * w).sum(), [x, w])
    np.testing.assert_allclose(gx, w, atol=1e-8)
    np.testing.assert_allclose(gw, x, atol=1e-8)
    (jac,) = numerical_grad(lambda x: x.tanh(), [x])
    assert jac.shape == (3, 3)
    np.testing.assert_allclose(jac, np.diag(1 - np.tanh(x) ** 2), atol=1e-8)


def test_relative_error_is_the_notes_formula() -> None:
    assert relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.sqrt(2) / 2)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([np.ones(2), np.ones(3)], [np.ones(2), np.ones(3)]) == 0.0
    num, ana = np.array([1.0, 2.0, 2.0]), np.array([1.0, 2.0, 2.03])
    assert relative_error(num, ana) == pytest.approx(0.03 / (3 + np.linalg.norm(ana)))
    with pytest.raises(ValueError, match="3 numerical components against 2"):
        relative_error(np.ones(3), np.ones(2))


def test_a_correct_function_reads_great_and_reports_each_input() -> None:
    x, W = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    report = gradcheck(lambda x, W: (x @ W).tanh().sum(), [x, W])
    assert report.passed and bool(report)
    assert report.rel_error < 1e-7 and report.reading == "great"
    assert report.decision == "18 components agree"
    assert [e.name for e in report.entries] == ["input 0", "input 1"]
    assert [e.shape for e in report.entries] == [(4, 3), (3, 2)]
    assert [e.checked for e in report.entries] == [12, 6]


def test_inputs_by_name_constants_and_tensor_names() -> None:
    x = Tensor(rng.standard_normal(3), requires_grad=True)
    x.name = "weights"
    labels = np.array([1, 0, 2])  # integers: passed through, not checked
    frozen = Tensor(rng.standard_normal(3))  # a tensor that does not require grad: a constant
    report = gradcheck(lambda x, labels, c: (x * c)[labels].sum(), [x, labels, frozen])
    assert [e.name for e in report.entries] == ["weights"] and report.passed
    report = gradcheck(lambda a, b: (a * b).sum(), {"a": rng.standard_normal(2), "b": rng.standard_normal(2)})
    assert [e.name for e in report.entries] == ["a", "b"]
    report = gradcheck(lambda a: a.exp().sum(), [rng.standard_normal(2)], names=["theta"])
    assert report.entries[0].name == "theta"
    with pytest.raises(ValueError, match="none of the inputs is differentiable"):
        gradcheck(lambda a: a, [np.arange(3)])
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda a: 1.0, [rng.standard_normal(2)])


def test_the_users_arrays_are_never_modified() -> None:
    x = rng.standard_normal((3, 3))
    before = x.copy()
    t = Tensor(rng.standard_normal(3), requires_grad=True)
    t_before = t.data.copy()
    gradcheck(lambda x, t: (x @ t).sum(), [x, t])
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(t.data, t_before)
    assert t.grad is None


# ---- vector outputs -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3), (8, 5)])
def test_every_output_is_checked_against_every_input_component_whatever_the_size(shape: tuple[int, int]) -> None:
    report = gradcheck(lambda x: x.softmax(), [rng.standard_normal(shape)])
    size = shape[0] * shape[1]
    assert report.entries[0].checked == size * size  # the full Jacobian: every (output, input) pair
    assert report.passed


def test_a_wrong_jacobian_entry_is_named_by_output_and_input_index() -> None:
    class RollWrong(Function):  # y_i = x_{i+1}, but backward routes to x_i
        def forward(ctx, x):
            return np.roll(x, -1)

        def backward(ctx, g):
            return g

    report = gradcheck(lambda x: RollWrong.apply(x), [rng.standard_normal(4)])
    comp = report.entries[0].worst[0]
    assert comp.output_index is not None and comp.status == "fail"
    assert {comp.analytical, comp.numerical} == {0.0, 1.0}


# ---- tolerances -----------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [16, 4096])
def test_the_component_test_does_not_loosen_with_size(n: int) -> None:
    """The same 1% error in one component fails at 16 and at 4,096 components."""

    class ScaledOne(Function):
        def forward(ctx, x):
            return x * x

        def backward(ctx, g):
            scale = np.ones(ctx.inputs[0].shape)
            scale[3] = 1.01
            return g * ctx.inputs[0] * 2 * scale

    x = rng.uniform(0.5, 1.5, n)
    report = gradcheck(lambda x: ScaledOne.apply(x).mean(), [x])
    entry = report.entries[0]
    assert entry.failed == 1 and entry.worst[0].index == (3,)
    assert entry.worst[0].tolerance < 0.01 * abs(entry.worst[0].numerical) / 2


def test_float32_inputs_are_promoted_with_a_warning_that_says_why() -> None:
    x = rng.standard_normal((3, 3)).astype(np.float32)
    with pytest.warns(UserWarning, match=r"input 0 \(float32\) checked as float64 copies.*rounding noise"):
        report = gradcheck(lambda x: (x * x).sum(), [x])
    assert report.passed and report.eps == 1e-7 and not report.precision  # the copies compute in float64
    assert any("float32" in note for note in report.notes)


def test_thresholds_are_parameters() -> None:
    class SlightlyOff(Function):  # every component 1e-4 relative off: relative error 5e-5
        def forward(ctx, x):
            return x * 3

        def backward(ctx, g):
            return g * 3 * (1 + 1e-4)

    x = rng.standard_normal(50)
    strict = gradcheck(lambda x: SlightlyOff.apply(x).sum(), [x])
    assert not strict.passed and strict.rel_error == pytest.approx(5e-5, rel=1e-3)
    loose = gradcheck(lambda x: SlightlyOff.apply(x).sum(), [x], rtol=1e-3, threshold=1e-3)
    assert loose.passed and loose.reading == "check the components"


# ---- kinks --------------------------------------------------------------------------------------
def test_relu_at_exactly_zero_is_a_kink_not_a_bug() -> None:
    x = np.array([0.0, 1.0, -1.0, 0.0])
    report = gradcheck(lambda x: x.relu().sum(), [x])
    assert report.passed and report.kinks == 2
    kink = report.entries[0].worst[0]
    assert kink.status == "kink" and kink.numerical == pytest.approx(0.5) and kink.analytical == 0.0
    assert (kink.left, kink.right) == (pytest.approx(0.0), pytest.approx(1.0))
    assert "kink (left 0, right 1)" in str(report)
    strict = gradcheck(lambda x: x.relu().sum(), [x], allow_kinks=False)
    assert not strict.passed and strict.entries[0].failed == 2


def test_a_kink_within_eps_of_the_point_is_recognized() -> None:
    report = gradcheck(lambda x: x.abs().sum(), [np.array([3e-8, -2.0])])
    assert report.passed and report.kinks == 1


def test_ties_in_max_split_the_gradient_like_the_two_sided_difference_and_are_reported_as_kinks() -> None:
    report = gradcheck(lambda x: x.max(), [np.array([1.0, 3.0, 3.0, 2.0])])
    assert report.passed and report.kinks == 2
    kinks = [c for c in report.entries[0].worst if c.status == "kink"]
    assert sorted(c.index for c in kinks) == [(1,), (2,)]
    assert all(c.analytical == 0.5 and (c.left, c.right) == (pytest.approx(0.0), pytest.approx(1.0)) for c in kinks)


def test_a_wrong_value_at_a_kink_is_still_a_bug() -> None:
    class ReluWrongAtZero(Function):
        def forward(ctx, x):
            return np.maximum(x, 0)

        def backward(ctx, g):  # 2 where x == 0: outside [left, right] = [0, 1]
            x = ctx.inputs[0].data
            return g * np.where(x > 0, 1.0, np.where(x == 0, 2.0, 0.0))

    report = gradcheck(lambda x: ReluWrongAtZero.apply(x).sum(), [np.array([0.0, 1.0])])
    assert not report.passed and report.entries[0].worst[0].status == "fail"


# ---- fast mode ------------------------------------------------------------------------------------
def test_fast_mode_uses_a_few_evaluations_and_says_so() -> None:
    x, W = rng.standard_normal((4, 30)), rng.standard_normal((30, 20))
    report = gradcheck(lambda x, W: (x @ W).tanh().sum(), [x, W], fast=True, probes=3)
    assert report.passed and report.mode == "fast"
    assert [len(e.probes) for e in report.entries] == [3, 3]
    # two evaluations per probe and input (against 2 x 720 in full), and one more call at the point itself, which
    # must give the same value again (else the function is random)
    assert report.evaluations == report.calls == 2 * 3 * 2 + 1
    assert any("fast check: 3 random probes w.J.u per input" in note for note in report.notes)


def test_fast_mode_is_reproducible_with_its_seed() -> None:
    x = rng.standard_normal(10)
    a = gradcheck(lambda x: x.sin().sum(), [x], fast=True, seed=3).entries[0].probes
    b = gradcheck(lambda x: x.sin().sum(), [x], fast=True, seed=3).entries[0].probes
    c = gradcheck(lambda x: x.sin().sum(), [x], fast=True, seed=4).entries[0].probes
    assert [p.numerical for p in a] == [p.numerical for p in b] != [p.numerical for p in c]


def test_fast_mode_without_fallback_recommends_the_full_check() -> None:
    class DoubleWrong(Function):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, g):
            return g * 3

    report = gradcheck(lambda x: DoubleWrong.apply(x).sum(), [rng.standard_normal(5)], fast=True, fallback=False)
    entry = report.entries[0]
    assert not report.passed and entry.mode == "fast" and entry.worst == []
    assert all(not p.passed for p in entry.probes)
    assert any("Run the full check (fast=False)" in note for note in report.notes)


# ---- the report ---------------------------------------------------------------------------------
def _failing_report():
    class Wrong(Function):
        def forward(ctx, x, b):
            return x + b

        def backward(ctx, g):
            return g, g.sum(axis=0) * 2

    return gradcheck(lambda x, b: Wrong.apply(x, b).sum(), {"x": rng.standard_normal((3, 2)), "b": np.zeros(2)})


def test_the_report_prints_a_table_with_the_worst_components() -> None:
    text = str(_failing_report())
    lines = text.splitlines()
    assert lines[0].startswith("gradcheck of")
    assert "FAILED: 2 of 8 components fail" in lines[0]
    assert "relative error 3.09e-01 (the notes: likely a bug)" in lines[0]
    assert any(line.split()[:2] == ["ok", "x"] for line in lines)
    assert any(line.split()[:8] == ["XX", "b", "(2,)", "3.33e-01", "likely", "a", "bug", "bug"] for line in lines)
    assert "worst components of b:" in text
    assert any(line.split() == ["index", "analytical", "numerical", "difference", "tolerance", "status"]
               for line in lines)
    assert any(line.split()[:5] == ["(0,)", "6", "3", "3.00e+00", "3.0e-05"] for line in lines)
    assert "|numerical - analytical| <= atol + rtol*|numerical| + noise" in text


def test_the_report_renders_as_html_for_jupyter() -> None:
    html = _failing_report()._repr_html_()
    assert html.startswith("<div>") and html.count("<table>") == 2
    assert "&lt;lambda&gt;" in html and "<lambda>" not in html
    assert "<td>b</td>" in html


def test_assert_gradcheck_raises_with_the_table() -> None:
    class Wrong(Function):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, g):
            return g

    with pytest.raises(GradcheckError) as info:
        assert_gradcheck(lambda x: Wrong.apply(x).sum(), [np.ones(3)])
    assert isinstance(info.value, AssertionError)
    assert "worst components of input 0" in str(info.value)
    assert info.value.report.entries[0].failed == 3
    with pytest.raises(AssertionError, match="FAILED"):
        gradcheck(lambda x: Wrong.apply(x).sum(), [np.ones(3)], raise_on_failure=True)
    assert assert_gradcheck(lambda x: (x * 2).sum(), [np.ones(3)]).passed


def test_entries_are_looked_up_by_name() -> None:
    report = _failing_report()
    assert report["b"].name == "b" and report.failed_entries() == [report["b"]]
    with pytest.raises(KeyError, match="entries are \\['x', 'b'\\]"):
        report["W1"]


def test_a_gradient_that_is_zero_up_to_rounding_passes_as_within_noise() -> None:
    """A bias right before a batch normalization: subtracting the batch mean cancels it (the notes: b is useless)."""
    x, W, b = rng.standard_normal((6, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)

    def normalized(x, W, b):
        z = x @ W + b
        return ((z - z.mean(axis=0)) * np.array([1.0, -2.0])).tanh().sum()

    report = gradcheck(normalized, {"x": x, "W": W, "b": b})
    assert report.passed
    assert report["b"].decision == "ok (within noise)" and report["b"].rel_error > 1e-5
    assert report["b"].max_abs_diff < 1e-7
    assert report["W"].decision == "ok" and report["W"].reading == "great"


# ---- the notes' words beside the per-component decision -----------------------------------------------
@pytest.mark.parametrize(("rel", "words"), [
    (0.0, "great"), (1e-7, "great"), (2e-7, "fine, look at the components"), (1e-5, "fine, look at the components"),
    (2e-5, "check the components"), (9.9e-4, "check the components"), (1e-3, "likely a bug"), (0.3, "likely a bug"),
    (float("nan"), "NaN/Inf")])
def test_the_notes_words_for_a_relative_error(rel: float, words: str) -> None:
    assert reading(rel) == words


def test_a_sparse_bug_reads_fine_by_the_notes_figure_and_fails_by_its_components_both_shown() -> None:
    class OneEntryOff(Function):  # y = 3x elementwise; backward's d y_7 / d x_7 is off by 1e-4
        def forward(ctx, x):
            return 3 * x

        def backward(ctx, g):
            return g * (3 + 1e-4 * (np.arange(g.shape[0]) == 7))

    report = gradcheck(lambda x: OneEntryOff.apply(x), [rng.standard_normal(100)])
    assert not report.passed
    assert report.reading == "fine, look at the components" and report.decision == "1 of 10000 components fail"
    header = str(report).splitlines()[0]
    assert "FAILED: 1 of 10000 components fail" in header and "(the notes: fine, look at the components)" in header
    row = next(line for line in str(report).splitlines() if line.split()[:2] == ["XX", "input"])
    assert "fine, look at the components  bug (1 component)" in row


# ---- architecture: public names, per-thread modes, the leaf swap -----------------------------------------
def test_the_checker_uses_only_the_engines_public_names() -> None:
    import importlib
    import pathlib

    folder = pathlib.Path(importlib.import_module("tinygrad_notes.gradcheck.core").__file__).parent
    private = re.compile(r"\._(data|ctx|extra|version)\b")
    offenders = [f"{path.name}:{n}" for path in folder.glob("*.py")
                 for n, line in enumerate(path.read_text().splitlines(), 1) if private.search(line)]
    assert offenders == []


def test_a_check_never_changes_another_threads_default_dtype() -> None:
    inside, elsewhere = [], []
    checking, read = threading.Event(), threading.Event()

    def fn(x: Tensor) -> Tensor:
        inside.append(Tensor([1.0]).dtype)  # Python numbers become float64 during the check ...
        checking.set()
        read.wait(10)
        return x * 2.0

    def other() -> None:
        checking.wait(10)
        elsewhere.append(get_default_dtype())  # ... in the checking thread only
        read.set()

    worker = threading.Thread(target=other)
    worker.start()
    gradcheck(fn, [rng.standard_normal(3)])
    worker.join()
    assert set(inside) == {np.dtype(np.float64)} and elsewhere == [np.dtype(np.float32)]
    assert get_default_dtype() == np.float32


def test_a_leaf_reads_another_array_without_its_own_being_written() -> None:
    t = Tensor(np.ones(3), requires_grad=True)
    own = t.numpy()
    y = (t * 2).sum()  # a graph that saved t
    with reading_from(t, np.full(3, 5.0)):
        assert (t * 1).numpy().tolist() == [5.0, 5.0, 5.0]
    assert t.numpy().tolist() == [1.0, 1.0, 1.0] and np.shares_memory(t.numpy(), own)
    y.backward()  # the saved graph is still valid: nothing was written in place
    assert t.grad.numpy().tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="only a leaf tensor can compute with another array; this one was made by mul"):
        reading_from(t * 3, np.ones(3))
    with pytest.raises(ValueError, match=r"the array has shape \(2,\) but the leaf has shape \(3,\)"):
        reading_from(t, np.ones(2))
