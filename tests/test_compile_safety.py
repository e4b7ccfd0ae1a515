"""compile(fn) is never silently wrong: what it cannot replay it names and runs eagerly (or refuses), and a
program that would differ from eager is caught before it is trusted (or on every call, with verify=True)."""

import threading
import warnings

import numpy as np
import pytest

import nn
import optim
from tinygrad_notes import CompileError, CompileWarning, Function, Tensor, compile, einsum, no_grad

HERE = __file__


def fresh_mlp():
    model = nn.Sequential(nn.Linear(4, 8, generator=np.random.default_rng(0)), nn.ReLU(),
                          nn.Linear(8, 2, generator=np.random.default_rng(1)))
    return model, optim.SGD(model.parameters(), lr=0.1)


def batch(i):
    rng = np.random.default_rng(i)
    return rng.standard_normal((6, 4)).astype(np.float32), rng.integers(0, 2, 6)


def line_of(text: str) -> int:
    """The line number of `text` in this file (for checking that messages point at the user's line)."""
    return next(i for i, line in enumerate(open(HERE), 1) if text in line)


# ---- reads into Python while tracing: the step runs eagerly, with a warning that says where ---------------
def step_with_item(model, opt, log):
    def step(xb, yb):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(Tensor(xb)), yb)
        loss.backward()
        opt.step()
        log.append(loss.item())  # READS-A-VALUE
        return loss

    return step


def test_item_while_tracing_warns_where_and_runs_eagerly_from_then_on():
    model, opt = fresh_mlp()
    log = []
    step = compile(step_with_item(model, opt, log))
    with pytest.warns(CompileWarning, match=r"\.item\(\) reads a tensor's value") as caught:
        step(*batch(0))
    message = str(caught[0].message)
    assert f"{HERE}:{line_of('# READS-A-VALUE')}" in message
    assert "log.append(loss.item())" in message
    eager_model, eager_opt = fresh_mlp()
    eager_log: list[float] = []
    eager_step = step_with_item(eager_model, eager_opt, eager_log)
    eager_step(*batch(0))
    for i in range(1, 4):  # later calls: eagerly, without a new warning, and right
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            step(*batch(i))
        eager_step(*batch(i))
    assert log == eager_log
    assert step.stats["eager"] == 3


def test_strict_makes_a_read_an_error_at_the_read():
    model, opt = fresh_mlp()
    step = compile(step_with_item(model, opt, []), strict=True)
    with pytest.raises(CompileError, match=r"\.item\(\)") as caught:
        step(*batch(0))
    assert f":{line_of('# READS-A-VALUE')}" in str(caught.value)
    assert all(isinstance(p._data, np.ndarray) and type(p._data) is np.ndarray for p in model.parameters())


def test_a_branch_on_a_tensor_stops_the_trace():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)

    @compile
    def f():
        total = (x * x).sum()
        if total > 1:  # BRANCH-ON-TENSOR
            return (total * 2).detach()
        return total.detach()

    with pytest.warns(CompileWarning, match=r"bool\(\).*" + str(line_of("# BRANCH-ON-TENSOR"))):
        assert f().item() == 10.0
    assert f().item() == 10.0


def test_numpy_of_a_tensor_in_user_code_stops_the_trace():
    x = Tensor(np.arange(3.0))

    @compile
    def f():
        return Tensor(x.numpy() * 2)  # NUMPY-READ

    with pytest.warns(CompileWarning, match=r"\.numpy\(\) hands a tensor's values to Python"):
        f()
    x.inplace_data()[...] = 5.0
    np.testing.assert_array_equal(f().data, [10.0, 10.0, 10.0])  # eager: sees the new values


# ---- values computed outside tensor ops: caught by the check on the next call --------------------------------
def test_numpy_on_an_input_outside_tensor_ops_is_caught_on_the_next_call():
    w = Tensor(np.ones(3), requires_grad=True)

    @compile
    def f(x):
        scaled = x * 2  # plain numpy on the input: the trace cannot see it, the program keeps its traced value
        loss = (w * Tensor(scaled)).sum()
        loss.backward()
        g = w.grad
        w.grad = None
        return g

    f(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(CompileError, match="disagree") as caught:
        f(np.array([4.0, 5.0, 6.0]))
    assert "output 0" in str(caught.value)
    np.testing.assert_array_equal(f(np.array([1.0, 1.0, 1.0])).data, [2.0, 2.0, 2.0])  # eager from now on


def test_verify_true_catches_python_state_that_changes_later():
    scale = {"value": 1.0}
    w = Tensor(np.ones(2), requires_grad=True)

    def f():
        return (w * scale["value"]).detach()  # a Python number: frozen in the program

    checked, unchecked = compile(f, verify=True), compile(f)
    for _ in range(3):
        checked(), unchecked()
    scale["value"] = 3.0
    assert unchecked().data.tolist() == [1.0, 1.0]  # the documented trap: Python state is read when tracing
    with pytest.raises(CompileError, match="disagree"):
        checked()
    assert checked.stats["verifications"] == 3


def test_accumulating_gradients_across_calls_is_caught():
    w = Tensor(np.ones(2), requires_grad=True)

    @compile
    def f(x):
        (w * Tensor(x)).sum().backward()  # no zero_grad: eager adds to the .grad of the last call
        return w.grad

    f(np.ones(2))
    with pytest.raises(CompileError, match=r"\.grad"):
        f(np.ones(2))


# ---- state the user changes between calls ------------------------------------------------------------------
def test_parameters_changed_in_place_between_calls_are_seen():
    results = []
    for compiled in (False, True):
        model, opt = fresh_mlp()

        def step(xb, yb, model=model, opt=opt):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(Tensor(xb)), yb)
            loss.backward()
            opt.step()
            return loss

        step = compile(step) if compiled else step
        losses = [step(*batch(i)).item() for i in range(3)]
        with no_grad():
            model[0].weight *= 0.5  # between calls, in place: the program reads the parameters' own arrays
        model[2].bias.inplace_data()[...] = 1.0
        losses += [step(*batch(i)).item() for i in range(3, 6)]
        results.append(losses)
    assert results[0] == results[1]


def test_a_parameter_given_a_new_array_is_traced_again():
    w = Tensor(np.ones(3), requires_grad=True)

    @compile
    def f(x):
        return (w * Tensor(x)).sum().detach()

    for _ in range(3):
        assert f(np.ones(3)).item() == 3.0
    w.data = np.full(3, 2.0)  # a new array: the program's reference is stale
    assert f(np.ones(3)).item() == 6.0
    assert f.stats["traces"] == 2 + 1  # the first trace, its check, and a new trace


# ---- what compile refuses, by name ----------------------------------------------------------------------------
class Unreplayable(Function):
    replayable = False

    def forward(ctx, x):
        return x * 2

    def backward(ctx, g):
        return g * 2


def test_an_op_that_says_it_cannot_be_replayed_is_refused_by_name():
    x = Tensor(np.ones(2), requires_grad=True)

    @compile
    def f():
        return Unreplayable.apply(x).detach()

    with pytest.warns(CompileWarning, match=r"refuses the op Unreplayable"):
        f()
    with pytest.raises(CompileError, match=r"refuses the op Unreplayable"):
        compile(f.fn, strict=True)()


def test_boolean_mask_indexing_is_refused():
    x = Tensor(np.array([1.0, -1.0, 2.0]))

    @compile
    def f():
        return x[x.data > 0] if False else x[np.array([True, False, True])]

    with pytest.warns(CompileWarning, match=r"refuses getitem with a boolean mask"):
        assert f().data.tolist() == [1.0, 2.0]


def test_an_optimizer_step_with_a_closure_is_refused():
    model, opt = fresh_mlp()
    xb, yb = batch(0)

    @compile
    def f():
        return opt.step(lambda: nn.functional.cross_entropy(model(Tensor(xb)), yb))

    with pytest.warns(CompileWarning, match=r"refuses SGD.step with a tensor, array or function argument"):
        f()


def test_returning_a_tensor_with_a_live_graph_runs_eagerly():
    w = Tensor(np.ones(2), requires_grad=True)
    f = compile(lambda x: (w * Tensor(x)).sum())
    with pytest.warns(CompileWarning, match="still has a graph"):
        out = f(np.ones(2))
    out.backward()  # eager: the graph is there
    np.testing.assert_array_equal(w.grad.data, [1.0, 1.0])


# ---- signatures ------------------------------------------------------------------------------------------------
def test_each_signature_gets_its_own_program_and_their_number_is_bounded():
    w = Tensor(np.ones(4), requires_grad=True)
    f = compile(lambda x: (Tensor(x) * w[: x.shape[0]]).sum().detach(), max_signatures=2)
    for n in (1, 2, 3, 1):
        for _ in range(3):
            assert f(np.ones(n)).item() == n
    assert len(f.programs()) == 2  # the least recently used (n = 1, then 2) were dropped
    assert f.stats["traces"] == 4 * 2  # each signature: traced and checked; n = 1 twice (it was dropped)


def test_static_arguments_are_part_of_the_signature():
    w = Tensor(np.ones(2), requires_grad=True)
    f = compile(lambda x, scale: (Tensor(x) * w * scale).sum().detach())
    assert [f(np.ones(2), s).item() for s in (1.0, 2.0, 1.0, 2.0, 3.0)] == [2.0, 4.0, 2.0, 4.0, 6.0]


def test_another_thread_is_not_traced():
    started, release = threading.Event(), threading.Event()
    seen = {}
    w = Tensor(np.ones(3), requires_grad=True)

    @compile
    def f():
        started.set()
        release.wait(5)
        return (w * 2).sum().detach()

    def other():
        started.wait(5)
        y = Tensor(np.ones(3)) * 3  # while f is being traced in the main thread
        seen["type"] = type(y._data)
        release.set()

    thread = threading.Thread(target=other)
    thread.start()
    f()
    thread.join()
    assert seen["type"] is np.ndarray


def test_compile_checks_its_arguments():
    with pytest.raises(TypeError, match="expected a function"):
        compile(3)
    with pytest.raises(ValueError, match="max_signatures"):
        compile(lambda: None, max_signatures=0)


def test_floats_on_a_program_of_arrays_warns_and_runs_numpy_calls():
    w = Tensor(np.ones(3), requires_grad=True)
    f = compile(lambda: (w * 2).sum().detach(), floats=True)
    with pytest.warns(CompileWarning, match=r"floats=True.*not all float64 scalars"):
        f()
    for _ in range(2):
        assert f().item() == 6.0
    assert f.programs()[0].floats is not None and "out=" in f.source()


class ScaleByCount(Function):
    """A user op whose forward reads a value into Python: count of positive entries, as a number."""

    def forward(ctx, x):
        ctx.count = int((x > 0).sum())  # a read inside an op: the op is replayed whole, not the step eagerly
        return x * ctx.count

    def backward(ctx, g):
        return g * ctx.count


def test_a_read_inside_an_op_replays_that_op_whole():
    def step(x):
        t = Tensor(x, requires_grad=True)
        ScaleByCount.apply(t).sum().backward()
        return t.grad

    compiled = compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x in ([1.0, -1.0, 2.0], [1.0, 2.0, 3.0], [-1.0, -2.0, 3.0], [4.0, 5.0, -6.0]):
            np.testing.assert_array_equal(compiled(np.array(x)).data, step(np.array(x)).data)
    assert compiled.stats["replays"] == 2
    assert "ScaleByCount.forward" in compiled.programs()[0].trace[0][0]


def test_a_read_inside_an_op_on_a_parameter_replays_that_op_whole():
    w = Tensor(np.array([1.0, -1.0, 2.0]), requires_grad=True)

    def step():
        ScaleByCount.apply(w).sum().backward()  # w's array is plain when the op first runs: run again, traced
        g = w.grad
        w.grad = None
        return g

    compiled = compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for values in ([1.0, -1.0, 2.0], [1.0, 2.0, 3.0], [-1.0, -2.0, 3.0], [4.0, 5.0, -6.0]):
            w.inplace_data()[...] = values
            expected = np.full(3, float(np.sum(np.array(values) > 0)))
            np.testing.assert_array_equal(compiled().data, expected)
    assert compiled.stats["replays"] == 2



# ---- ops whose numpy the trace follows in unusual ways: each replays bit for bit -----------------------------
def replays_like_eager(step, calls):
    """Run `step` compiled (strict: no fallback) and eagerly on each call's arrays; compare bit for bit."""
    compiled = compile(step, strict=True)
    for arrays in calls:
        for got, want in zip(compiled(*arrays), step(*arrays)):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got.data, want.data)
    return compiled


def test_a_backward_rule_that_branches_on_the_values_takes_the_branch_of_each_call():
    def step(a):  # cumprod's rule divides by x, or takes a slower exact path where x has zeros
        x = Tensor(a, requires_grad=True)
        y = x.cumprod(axis=1)
        (y * y).sum().backward()
        return y.detach(), x.grad

    base = np.random.default_rng(0).uniform(0.5, 2.0, (3, 4))
    with_zero = base.copy()
    with_zero[1, 2] = 0.0
    compiled = replays_like_eager(step, [(base,), (base * 1.1,), (with_zero,), (base,), (with_zero * 0.9,)])
    assert compiled.stats["replays"] == 3
    assert "cumprod.backward" in [name for name, _ in compiled.programs()[0].trace]


def test_a_numpy_function_that_makes_arrays_in_c_code_is_replayed_as_one_call():
    def step(a, b, c):  # einsum of three operands: numpy's optimized path (Python) calls its C einsum inside
        ts = [Tensor(v, requires_grad=True) for v in (a, b, c)]
        out = einsum("ij,jk,k->i", *ts)
        out.sum().backward()
        return (out.detach(), *(t.grad for t in ts))

    rng = np.random.default_rng(1)
    calls = [tuple(rng.standard_normal(s) for s in ((2, 3), (3, 4), (4,))) for _ in range(4)]
    compiled = replays_like_eager(step, calls)
    assert compiled.stats["replays"] == 2
    assert {name for name, _ in compiled.programs()[0].trace} >= {"einsum"}


def test_an_op_replayed_whole_outside_the_graph_stands_in_for_no_later_op():
    def step(a):
        Tensor(np.array(0.5)).erf()  # erf replayed whole, on a tensor made here, its node dropped at once
        x = Tensor(a, requires_grad=True)
        (x * 0.5).erf().sum().backward()  # ops made next may take the dropped node's memory (and id)
        return (x.grad,)

    rng = np.random.default_rng(2)
    compiled = replays_like_eager(step, [(rng.standard_normal((3, 4)),) for _ in range(4)])
    assert compiled.stats["replays"] == 2


@pytest.mark.parametrize("shape", [(), (3,)])
def test_an_in_place_op_on_an_intermediate_is_replayed(shape):
    def step(a):
        x = Tensor(a, requires_grad=True)
        h = x * 1.5
        before = h * x  # recorded before the write: its gradient uses the old h
        h += x
        (h * before).sum().backward()
        return h.detach(), x.grad

    rng = np.random.default_rng(3)
    compiled = replays_like_eager(step, [(np.asarray(rng.standard_normal(shape)),) for _ in range(4)])
    assert compiled.stats["replays"] == 2

