"""The rows issue 18 added to docs/coming_from_pytorch.md, each checked against the code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nn
import tinygrad_notes as tn
from tinygrad_notes import Tensor

DOC = Path(__file__).resolve().parents[1] / "docs" / "coming_from_pytorch.md"


def test_the_rows_are_on_the_page():
    text = DOC.read_text()
    for phrase in ("x.take_along_axis(index, axis=dim)", "x.tile((2, 3))", "x.arcsin()", "x.argsort(axis)",
                   "weight=w", "split evenly", "stack([p, 2 * p])", "c += c + 1"):
        assert phrase in text


def test_numpys_names_for_the_inverse_functions():
    x = Tensor(np.array([0.5]))
    assert x.arcsin().item() == pytest.approx(np.arcsin(0.5))
    assert not hasattr(x, "asin")


def test_sort_gives_values_argsort_indices_and_topk_both():
    x = Tensor(np.array([3.0, 1.0, 2.0]))
    assert x.sort().tolist() == [1.0, 2.0, 3.0]
    assert x.argsort().tolist() == [1, 2, 0]
    values, indices = x.topk(2)
    assert values.tolist() == [3.0, 2.0] and indices.tolist() == [0, 2]
    assert isinstance(x.cummax(), Tensor)


def test_gather_in_numpys_order_and_the_translation_of_pytorchs():
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    index = np.array([[1], [0]])
    assert x.take_along_axis(index, axis=1).tolist() == [[2.0], [3.0]]
    with pytest.raises(TypeError, match=r"x\.gather\(dim, index\) is x\.take_along_axis\(index, axis=dim\)"):
        x.take_along_axis(1, index)
    with pytest.raises(TypeError, match=r"x\.scatter_add\(index, src, axis=dim\)"):
        x.scatter_add(1, index, np.ones((2, 1)))
    assert not hasattr(x, "gather")


def test_repeat_is_numpys_and_tile_is_pytorchs_repeat():
    x = Tensor(np.array([1, 2]))
    assert x.repeat(2).tolist() == [1, 1, 2, 2]
    assert x.tile((2, 2)).tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]


def test_pad_takes_numpys_pad_width_and_both_mode_names():
    x = Tensor(np.arange(6.0).reshape(1, 1, 2, 3))
    y = x.pad(((0, 0), (0, 0), (1, 0), (0, 2)), mode="replicate")
    assert y.shape == (1, 1, 3, 5)
    assert np.array_equal(y.numpy(), np.pad(x.numpy(), ((0, 0), (0, 0), (1, 0), (0, 2)), mode="edge"))


def test_loss_options_are_keywords_and_a_positional_weight_is_refused():
    z, y = Tensor(np.zeros((2, 3))), np.array([0, 2])
    w = np.array([1.0, 2.0, 3.0])
    assert nn.functional.cross_entropy(z, y, weight=w).item() == pytest.approx(np.log(3))
    with pytest.raises(ValueError, match=r"reduction must be .*, got a ndarray; class weights go in weight="):
        nn.functional.cross_entropy(z, y, w)  # PyTorch's third argument, weight
    with pytest.raises(ValueError, match="reduction must be"):
        nn.CrossEntropyLoss(w)


def test_max_pool_splits_a_tie():
    x = Tensor(np.array([[[[2.0, 2.0], [0.0, 1.0]]]]), requires_grad=True)
    x.max_pool2d(2).sum().backward()
    assert x.grad.numpy().ravel().tolist() == [0.5, 0.5, 0.0, 0.0]


def test_in_place_on_an_intermediate_is_recorded_and_a_list_of_graph_tensors_is_refused():
    a = Tensor(np.array(1.5), requires_grad=True)
    c = a * 2
    c += c + 1
    c.backward()
    assert a.grad.item() == 4.0
    with pytest.raises(TypeError, match="stack"):
        Tensor([a, 2 * a])
    assert tn.stack([a, 2 * a]).shape == (2,)
