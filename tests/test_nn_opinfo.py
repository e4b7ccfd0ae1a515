"""nn's entries in the op registry: every functional op and layer is there, and its samples fit the contract.

The gradient checks themselves run in tests/test_gradcheck_registry.py, which puts
every registry entry, nn's included, through the library's gradcheck and
gradgradcheck at their default thresholds.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import nn
from nn import functional as F
from tinygrad_notes.gradcheck import registry
from tinygrad_notes.gradcheck.registry import OpInfo, Sample, all_ops


def _nn_entries() -> list[tuple[OpInfo, Sample]]:
    rng = np.random.default_rng(0)
    return [(op, s) for op in all_ops() if op.name.startswith("nn.") for s in op.samples(rng)]


CASES = _nn_entries()
IDS = [f"{op.name}[{i}]" for i, (op, _) in enumerate(CASES)]


def test_every_functional_op_and_every_layer_is_registered() -> None:
    names = registry.covered_names() | set(registry.non_differentiable())  # aliases (swish) and one_hot too
    functional = {f"nn.functional.{n}" for n in F.__all__}
    layers = {f"nn.{n}" for n in nn.__all__
              if inspect.isclass(getattr(nn, n)) and issubclass(getattr(nn, n), nn.Module) and n != "Module"}
    assert len(layers) >= 17 and len(functional) >= 14
    assert functional - names == set()
    assert layers - names == set()


@pytest.mark.parametrize(("op", "sample"), CASES, ids=IDS)
def test_samples_follow_the_registry_contract(op: OpInfo, sample: Sample) -> None:
    """Inputs are float numpy arrays (0-d ones included), as the shared gradient checker expects."""
    assert sample.inputs and all(type(a) is np.ndarray and a.dtype.kind == "f" for a in sample.inputs)
    assert sample.note
