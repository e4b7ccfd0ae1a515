"""Odd inputs get numpy's result or a clear error naming the op: empty tensors, complex and object operands, bool
tensors, floats where an axis belongs, wrong argument types; and std of a constant has the subgradient 0."""

import numpy as np
import pytest

import tinygrad_notes as tn
from tinygrad_notes import ShapeError, Tensor


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


# ---- std and var of a constant ------------------------------------------------------------------
@pytest.mark.parametrize("ddof", [0, 1])
def test_std_of_a_constant_has_the_subgradient_zero(ddof):
    x = leaf([2.0, 2.0, 2.0])
    s = x.std(ddof=ddof)
    assert s.item() == 0.0
    s.backward()
    assert x.grad.numpy().tolist() == [0.0, 0.0, 0.0]  # PyTorch's value; sqrt's slope 1/(2*0) would give NaN


def test_std_along_an_axis_is_zero_only_where_the_row_is_constant():
    rows = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])
    x = leaf(rows)
    x.std(axis=1).sum().backward()
    d = rows[1] - rows[1].mean()
    expected = d / (3 * np.sqrt((d**2).mean()))  # d std/dx_i = (x_i - mean) / (n std)
    np.testing.assert_allclose(x.grad.numpy()[0], 0.0)
    np.testing.assert_allclose(x.grad.numpy()[1], expected, rtol=1e-12)


def test_var_of_a_constant_has_gradient_zero_and_std_second_derivatives_are_finite():
    x = leaf([3.0, 3.0])
    x.var().backward()
    assert x.grad.numpy().tolist() == [0.0, 0.0]
    y = leaf([3.0, 3.0])
    (g,) = tn.grad(y.std(), [y], create_graph=True)
    (gg,) = tn.grad(g.sum(), [y])
    assert np.isfinite(gg.numpy()).all()


def test_std_away_from_zero_spread_still_passes_the_checker_at_both_orders():
    x = np.array([[0.3, -1.2, 2.0], [1.5, 0.1, -0.7]])
    assert tn.gradcheck(lambda t: t.std(axis=1, ddof=1), [x]).passed
    assert tn.gradgradcheck(lambda t: t.std(axis=0), [x]).passed


# ---- complex and object operands ----------------------------------------------------------------------
def test_a_complex_operand_is_refused_at_the_op():
    x = leaf([1.0, -2.0])
    with pytest.raises(TypeError, match=r"^mul: the second operand is an array of dtype complex128; expected a "
                                        r"Tensor, a number or a numeric array \(bool, int or float\) \(this library "
                                        r"is real-valued: take the real part or the modulus first\)$"):
        x * np.array(1j)  # silently gave x.grad == [-1, -1] (PyTorch: [1, 1]) with a ComplexWarning
    with pytest.raises(TypeError, match=r"^add: the first operand is a complex number \(1j\)"):
        1j + x
    with pytest.raises(TypeError, match=r"^pow: the second operand is a list of complex128 values"):
        x ** [1j, 2.0]
    with pytest.raises(TypeError, match=r"^maximum: the second operand is a complex64 scalar"):
        tn.maximum(x, np.complex64(1))
    with pytest.raises(TypeError, match=r"^clip: hi must be a real number, an array or a Tensor of them, got 1j"):
        x.clip(hi=1j)
    with pytest.raises(TypeError, match=r"^astype: cannot convert to complex64; tensors hold bool, int or float"):
        x.astype(np.complex64)
    with pytest.raises(TypeError, match=r"^Tensor: cannot make a tensor of dtype complex128"):
        Tensor(np.array([1j]))
    with pytest.raises(TypeError, match=r"^Tensor.data: cannot hold an array of dtype complex128"):
        Tensor(np.ones(2)).data = np.array([1j, 2])


def test_object_operands_and_none_and_strings_are_refused_naming_the_op():
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"^add: the second operand is an array of dtype object; expected a Tensor"):
        x + np.array([1, None, 2], dtype=object)
    with pytest.raises(TypeError, match=r"^add: the second operand is None; expected a Tensor, a number"):
        x + None
    with pytest.raises(TypeError, match=r"^add: the first operand is None"):
        None + x
    with pytest.raises(TypeError, match=r"^mul: the second operand is a str \('a'\)"):
        x * "a"
    with pytest.raises(TypeError, match=r"^sub: the second operand is a ragged list \(rows of different lengths\)"):
        x - [[1.0], [2.0, 3.0]]
    with pytest.raises(TypeError, match=r"^where: the first operand is None"):
        tn.where(None, x, x)
    with pytest.raises(TypeError, match=r"^concatenate: the second operand is None"):
        tn.concatenate([x, None])


def test_a_users_function_may_not_take_a_complex_operand_either():
    class Double(tn.Function):
        def forward(ctx, x, c):
            return x * c

        def backward(ctx, g):
            return g * 2, None

    with pytest.raises(TypeError, match=r"^Double: the second operand is a complex number"):
        Double.apply(leaf([1.0]), 2j)
    assert Double.apply(leaf([1.0]), 2.0).numpy().tolist() == [2.0]


# ---- bool tensors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("op, call", [("neg", lambda b: -b), ("sigmoid", lambda b: b.sigmoid()),
                                      ("softmax", lambda b: b.softmax()), ("log_softmax", lambda b: b.log_softmax()),
                                      ("sub", lambda b: b - b)])
def test_bool_tensors_where_the_op_needs_numbers(op, call):
    with pytest.raises(TypeError, match=rf"^{op}: got a bool tensor \(shape \(2,\) bool.*\), but {op} needs numbers; "
                                        r"convert it first, e\.g\. x\.astype\(np\.float32\)$"):
        call(Tensor(np.array([True, False])))


def test_min_and_max_of_bool_tensors_follow_numpy():
    b = Tensor(np.array([[True, False], [True, True]]))
    assert b.min().item() is False
    assert b.max().item() is True
    assert b.min(axis=1).numpy().tolist() == [False, True]


# ---- axes and other arguments -----------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "var", "std", "logsumexp", "softmax", "log_softmax"])
def test_a_float_axis_is_refused_naming_the_op(op):
    with pytest.raises(TypeError, match=rf"^{op}: axis must be None, an int or a tuple of ints, got 1\.0 \(float\)$"):
        getattr(Tensor(np.ones((2, 3))), op)(axis=1.0)  # was: 'float' object is not iterable


def test_arguments_of_the_wrong_kind_name_the_op_and_the_argument():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"^clip: hi must be a real number, an array or a Tensor of them, got 'a'"):
        x.clip(hi="a")
    with pytest.raises(TypeError, match=r"^leaky_relu: slope must be a real number, got 'a' \(str\)$"):
        x.leaky_relu("a")
    with pytest.raises(TypeError, match=r"^var: ddof must be an int .*got '1'$"):
        x.var(ddof="1")
    with pytest.raises(TypeError, match=r"^argmax: axis must be an int, got 1\.0 \(float\)$"):
        x.argmax(axis=1.0)
    with pytest.raises(TypeError, match=r"^unsqueeze: axis must be an int, got None"):
        x.unsqueeze(None)
    with pytest.raises(ShapeError, match=r"^flatten: axis 5 is out of range for a tensor with 2 dimension"):
        x.flatten(5)  # used to wrap around silently (5 % 2)
    with pytest.raises(ShapeError, match=r"^flatten: start_axis=1 comes after end_axis=0"):
        x.flatten(1, 0)
    with pytest.raises(TypeError, match=r"^astype: 'no such dtype' is not a dtype"):
        x.astype("no such dtype")
    with pytest.raises(TypeError, match=r"^pad: constant_values must be a real number"):
        x.pad(1, "a")


def test_an_integer_to_a_negative_integer_power_says_to_make_the_base_float():
    with pytest.raises(ValueError, match=r"^pow: an integer tensor to a negative integer power \(shapes \(2,\) and "
                                         r"\(\)\) has no integer result, so numpy refuses it; make the base float"):
        Tensor(np.array([2, 3])) ** -1
    assert (Tensor(np.array([2.0, 4.0])) ** -1).numpy().tolist() == [0.5, 0.25]


def test_an_error_inside_a_composed_op_names_the_op_the_user_called():
    with pytest.raises(ValueError, match=r"^leaky_relu: mul: Python integer -1 out of bounds for uint8"):
        Tensor(np.array([3], np.uint8)).leaky_relu(-1)


# ---- empty tensors ----------------------------------------------------------------------------------------
def test_max_and_min_over_a_non_empty_axis_of_an_empty_tensor_are_empty_like_numpy():
    e = np.ones((0, 3))
    x = leaf(e)
    for op in ("max", "min"):
        out = getattr(x, op)(axis=1)
        expected = getattr(np, op)(e, axis=1)
        assert out.shape == expected.shape == (0,)
        assert getattr(x, op)(axis=1, keepdims=True).shape == (0, 1)
        out.sum().backward()
        assert x.grad.shape == (0, 3)
        x.grad = None


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("axis", [None, 0])
def test_max_and_min_over_no_elements_raise_naming_the_op(op, axis):
    with pytest.raises(ValueError, match=rf"^{op}: cannot take the {op} over no elements \(tensor shape \(0, 3\), "
                                         rf"axis={axis}\): an empty set has no {op}"):
        getattr(Tensor(np.ones((0, 3))), op)(axis=axis)
    with pytest.raises(ValueError):  # numpy refuses it too
        getattr(np, op)(np.ones((0, 3)), axis=axis)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, axis", [((3, 0), -1), ((0, 3), -1), ((0, 3), 0), ((0,), 0)])
def test_softmax_of_empty_axes_is_empty(op, shape, axis):
    x = leaf(np.ones(shape))
    out = getattr(x, op)(axis=axis)
    assert out.shape == shape
    assert out.dtype == np.float64
    out.sum().backward()
    assert x.grad.shape == shape


def test_logsumexp_of_an_empty_axis_is_minus_infinity_like_scipy():
    with np.errstate(divide="ignore"):
        out = Tensor(np.ones((0, 2))).logsumexp(axis=0)
    assert out.numpy().tolist() == [-np.inf, -np.inf]



# ---- the checker's inputs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("inputs", [3.0, 3, None, "x", {1.0}])
def test_gradcheck_says_inputs_are_a_list_or_tuple_of_arrays(inputs):
    with pytest.raises(TypeError, match=r"^gradcheck: inputs must be a list or tuple of arrays \(or Tensors\), one "
                                        r"array, or a dict of them; got .*: write \[np\.array\("):
        tn.gradcheck(lambda x: x * x, inputs)  # was: 'float' object is not iterable


def test_gradcheck_takes_one_array_a_tuple_or_a_numpy_scalar():
    assert tn.gradcheck(lambda x: (x * x).sum(), np.array([1.0, 2.0])).passed
    assert tn.gradcheck(lambda x, y: (x * y).sum(), (np.array([1.0]), np.array([2.0]))).passed
    assert tn.gradcheck(lambda x: x * x, np.float64(3.0)).passed
