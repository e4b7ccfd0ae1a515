"""Every primitive issue 18 added is one full record: an op name, a batched replay rule, a formula comment."""

from __future__ import annotations

import inspect

import pytest

from tinygrad_notes import primitives_conv, primitives_einsum, primitives_index, primitives_math, primitives_reduce
from tinygrad_notes.gradcheck.optable import backward_formula
from tinygrad_notes.primitives import Primitive

MODULES = (primitives_math, primitives_reduce, primitives_index, primitives_conv, primitives_einsum)
CLASSES = [cls for module in MODULES for cls in vars(module).values()
           if inspect.isclass(cls) and issubclass(cls, Primitive) and cls.__module__ == module.__name__
           and "op_name" in vars(cls)]


def test_the_new_families_are_all_found():
    names = {cls.op_name for cls in CLASSES}
    assert {"tan", "erf", "min", "cumprod", "norm", "take_along_axis", "sort", "topk", "cummax", "windows", "fold",
            "einsum"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
def test_each_has_a_replay_rule_and_a_formula(cls):
    assert cls.batched is not None, f"{cls.__name__} has no batched replay rule"
    assert backward_formula(cls), f"{cls.__name__}'s backward has no formula comment"
