"""docs/coming_from_pytorch.md, row by row against the code: numpy's keywords and meanings where PyTorch differs,
and PyTorch's keywords (dim=, keepdim=, unbiased=) refused with a TypeError that names numpy's spelling."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import nn
import optim
import tinygrad_notes as tn
import viz
from tinygrad_notes import Function, Tensor

DOC = Path(__file__).resolve().parents[1] / "docs" / "coming_from_pytorch.md"
TAIL = " (every op here takes numpy's keywords; docs/coming_from_pytorch.md lists what else differs)"


def torch_keyword_error(where: str, given: str, fix: str) -> str:
    return re.escape(f"{where}() got PyTorch's {given}: use numpy's {fix}{TAIL}")


AXIS_OPS = {  # op -> positional arguments before the axis keyword
    "sum": (), "mean": (), "max": (), "min": (), "var": (), "std": (), "logsumexp": (), "argmax": (), "argmin": (),
    "softmax": (), "log_softmax": (), "squeeze": (), "unsqueeze": (), "split": (1,),
}


@pytest.mark.parametrize("op", list(AXIS_OPS))
def test_dim_is_refused_with_numpys_axis(op):
    x = Tensor(np.ones((2, 1, 3)))
    with pytest.raises(TypeError, match=torch_keyword_error(f"Tensor.{op}", "dim=1", "axis=1")):
        getattr(x, op)(*AXIS_OPS[op], dim=1)


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "var", "std", "logsumexp", "argmax", "argmin"])
def test_keepdim_is_refused_with_numpys_keepdims(op):
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match=torch_keyword_error(f"Tensor.{op}", "keepdim=True", "keepdims=True")):
        getattr(x, op)(axis=1, keepdim=True)
    with pytest.raises(TypeError, match=torch_keyword_error(f"Tensor.{op}", "dim=0, keepdim=True",
                                                            "axis=0, keepdims=True")):
        getattr(x, op)(dim=0, keepdim=True)
    assert getattr(x, op)(axis=1, keepdims=True).shape == (2, 1)  # the numpy spelling works


def test_the_other_pytorch_keywords_name_theirs():
    x = Tensor(np.ones((2, 3, 4)))
    with pytest.raises(TypeError, match=torch_keyword_error("Tensor.flatten", "start_dim=1", "start_axis=1")):
        x.flatten(start_dim=1)
    with pytest.raises(TypeError, match=torch_keyword_error("Tensor.var", "unbiased=True", "ddof=1")):
        x.var(unbiased=True)
    with pytest.raises(TypeError, match=torch_keyword_error("Tensor.std", "correction=1", "ddof=1")):
        x.std(correction=1)
    with pytest.raises(TypeError, match=torch_keyword_error("concatenate", "dim=0", "axis=0")):
        tn.concatenate([x, x], dim=0)
    with pytest.raises(TypeError, match=torch_keyword_error("stack", "dim=0", "axis=0")):
        tn.stack([x, x], dim=0)


def test_other_wrong_keywords_keep_pythons_message():
    with pytest.raises(TypeError, match=r"^Tensor.sum\(\) got an unexpected keyword argument 'axes'$"):
        Tensor(np.ones(3)).sum(axes=0)


def test_the_doc_quotes_the_real_error():
    with pytest.raises(TypeError) as err:
        Tensor(np.ones((2, 3))).sum(dim=1)
    assert f"TypeError: {err.value}\n" in DOC.read_text()


def test_size_is_numpys_element_count_and_there_is_no_view():
    x = Tensor(np.zeros((2, 3)))
    assert x.size == 6
    with pytest.raises(TypeError, match="'int' object is not callable"):
        x.size()
    assert not hasattr(x, "view")
    assert x.reshape(3, 2).shape == (3, 2)


def test_transpose_is_numpys_permutation_and_swapaxes_swaps():
    m = Tensor(np.arange(6.0).reshape(2, 3))
    assert np.array_equal(m.transpose(0, 1).data, m.data)  # the identity permutation: nothing moves
    assert np.array_equal(m.swapaxes(0, 1).data, m.data.T)
    assert np.array_equal(m.T.data, m.data.T)
    with pytest.raises(ValueError, match=r"give a permutation of 0..2"):
        Tensor(np.zeros((2, 3, 4))).transpose(0, 1)
    assert Tensor(np.zeros((2, 3, 4))).permute(2, 0, 1).shape == (4, 2, 3)


def test_split_takes_sections_or_split_points():
    x = Tensor(np.arange(6.0))
    assert [p.shape for p in x.split(3)] == [(2,), (2,), (2,)]  # 3 sections, PyTorch's chunk(3)
    assert [p.data.tolist() for p in x.split([2, 4])] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]  # split *at* 2 and 4


def test_var_and_std_divide_by_n_unless_ddof_1():
    values = [1.0, 2.0, 3.0, 4.0]
    x = Tensor(np.array(values))
    assert x.var().item() == pytest.approx(1.25)  # sum of squares 5 / n
    assert x.var(ddof=1).item() == pytest.approx(5 / 3)  # PyTorch's default
    assert x.std(ddof=1).item() == pytest.approx(np.sqrt(5 / 3))


def test_max_returns_values_only_and_the_numpy_names():
    x = Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    assert x.max(axis=1).data.tolist() == [5.0, 7.0]
    assert x.argmax(axis=1).data.tolist() == [1, 0]
    assert not hasattr(x, "clamp")
    assert x.clip(0.0, 2.0).data.max() == 2.0
    assert x.astype(np.float32).dtype == np.float32
    assert tn.concatenate([x, x], axis=0).shape == (4, 3)


def test_a_function_reads_its_inputs_from_ctx_and_saves_the_rest_as_attributes():
    class Relu(Function):
        def forward(ctx, x):
            assert isinstance(x, np.ndarray)  # numpy in
            ctx.mask = x > 0
            return x * ctx.mask

        def backward(ctx, grad):
            (x,) = ctx.inputs
            assert isinstance(x, Tensor)  # the input as passed
            return grad * Tensor(ctx.mask.astype(grad.dtype))

    x = Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    Relu.apply(x).sum().backward()
    assert x.grad.data.tolist() == [0.0, 1.0]
    assert not hasattr(Function, "save_for_backward")


def test_complex_values_are_refused_and_a_nonfinite_gradient_never_reaches_a_weight():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(TypeError, match=r"^mul: the second operand is a complex number \(1j\); "):
        x * 1j
    opt = optim.SGD([x], lr=0.1)
    x.grad = Tensor(np.array([np.nan, 1.0]))
    with pytest.raises(optim.NonFiniteGradError, match=r"^SGD\.step: 1 gradient\(s\) hold NaN or Inf"):
        opt.step()
    assert x.data.tolist() == [1.0, 2.0]
    skipping = optim.SGD([x], lr=0.1, skip_nonfinite=True)
    skipping.step()
    assert skipping.skipped_steps == 1
    assert x.data.tolist() == [1.0, 2.0]


def test_dropout_p_is_the_drop_probability():
    tn.random.manual_seed(0)
    out = nn.Dropout(0.2)(Tensor(np.ones(100_000, dtype=np.float32)))
    kept = out.data != 0
    assert kept.mean() == pytest.approx(0.8, abs=0.01)  # keep_prob = 1 - p
    assert np.allclose(out.data[kept], 1 / 0.8)


def test_schedulers_have_the_notes_names_and_defaults():
    opt = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=1.0)
    step, exponential = optim.StepDecay(opt), optim.ExponentialDecay(opt)
    assert (step.step_size, step.gamma, exponential.base) == (10, 0.5, 0.95)
    assert optim.InverseTimeDecay(opt, decay_rate=1.0).lr_at(3) == [0.25]
    assert optim.LambdaLR(opt, lambda e: 0.5**e).lr_at(2) == [0.25]
    assert not hasattr(optim, "StepLR")
    assert not hasattr(optim, "ExponentialLR")


def test_save_is_an_npz_not_a_pickle_and_loads_into_a_model(tmp_path):
    model = nn.Linear(3, 2)
    nn.save(model, tmp_path / "m.npz")
    assert (tmp_path / "m.npz").read_bytes()[:4] == b"PK\x03\x04"  # a zip of arrays
    state = nn.load(tmp_path / "m.npz")
    assert isinstance(state["weight"], np.ndarray)
    other = nn.Linear(3, 2)
    other.load_state_dict(state)
    assert np.array_equal(other.weight.data, model.weight.data)


def test_draw_graph_is_make_dot_and_gradcheck_returns_a_report():
    model = nn.Linear(3, 2)
    y = model(Tensor(np.ones((1, 3)))).sum()
    assert type(viz.draw_graph(y, model)).__name__ == "Digraph"
    report = tn.gradcheck(lambda a: (a * a).sum(), [np.array([1.0, 2.0])])
    assert report.passed
    assert report is not True


def test_manual_seed_seeds_the_library_not_numpy():
    state = np.random.get_state()[1].copy()
    tn.random.manual_seed(0)
    a = tn.random.default_generator().standard_normal(3)
    tn.random.manual_seed(0)
    assert np.array_equal(tn.random.default_generator().standard_normal(3), a)
    assert np.array_equal(np.random.get_state()[1], state)


def test_the_readme_links_the_page():
    readme = (DOC.parents[1] / "README.md").read_text()
    assert "(docs/coming_from_pytorch.md)" in readme
