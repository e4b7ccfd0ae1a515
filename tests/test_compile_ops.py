"""Every registered op, compiled: forward and backward replay bit for bit, on inputs that change between calls.

For each sample of the op registry, a step makes the inputs tensors, applies the op, sums, runs backward and
returns the output and the gradients. The compiled step is called on the sample and on perturbed copies (the
first call traces, the second is checked against eager, later ones replay), and every result is compared with
the eager step's, byte for byte. An op whose trace falls back to eager must be one of the few listed below,
each for a reason of its own.
"""

import warnings

import numpy as np
import pytest

from tinygrad_notes import CompileError, CompileWarning, Tensor, compile
from tinygrad_notes.gradcheck import registry

CASES = [(op, i, sample) for op in registry.all_ops() for i, sample in enumerate(op.samples(np.random.default_rng(0)))]
IDS = [f"{op.name}[{i}: {sample.note}]" for op, i, sample in CASES]
# samples a compiled step does not replay, each for its reason: it warns and runs eagerly, or (dropout) the check
# on the second call catches the difference and raises; every call's results are the eager ones all the same
EAGER = {"nn.functional.binary_cross_entropy": "checks on the Python side that its input is in [0, 1]",
         "nn.BCELoss": "the same function", "bool mask": "the output's shape depends on the mask's values"}
CAUGHT = {"nn.functional.dropout": "makes a new generator with a fixed seed on every call", "nn.Dropout": "the same"}


def expected(op, sample) -> str:
    if op.name in CAUGHT and sample.kwargs.get("training", True):
        return "caught"
    return "eager" if op.name in EAGER or "bool mask" in sample.note else "replayed"


def make_step(op, sample):
    def step(*arrays):
        tensors = [Tensor(a, requires_grad=True) for a in arrays]
        out = op.fn(*tensors, **sample.kwargs)
        out.sum().backward()
        return out.detach(), [t.grad for t in tensors]

    return step


def same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(
        b).tobytes()


@pytest.mark.parametrize(("op", "index", "sample"), CASES, ids=IDS)
def test_compiled_op_replays_forward_and_backward_bit_for_bit(op, index, sample):
    # a numpy scalar argument is a number to compile (part of the signature: a new value is traced again)
    assert all(type(a) is np.ndarray for a in sample.inputs), "give the sample arrays (np.asarray), not scalars"
    rng = np.random.default_rng(index)
    eager, compiled = make_step(op, sample), compile(make_step(op, sample))
    outcome = expected(op, sample)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CompileWarning)
        for call in range(4):
            arrays = [a if call == 0 else np.asarray(a * (1 + 0.01 * rng.uniform(-1, 1, np.shape(a))))
                      for a in sample.inputs]
            out_e, grads_e = eager(*arrays)
            if outcome == "caught" and call == 1:
                with pytest.raises(CompileError, match="new random generator on each call"):
                    compiled(*arrays)
                continue
            out_c, grads_c = compiled(*arrays)
            assert same(out_e.data, out_c.data), f"call {call}: output"
            for k, (ge, gc) in enumerate(zip(grads_e, grads_c)):
                assert (ge is None) == (gc is None), f"call {call}: gradient {k}"
                if ge is not None:
                    assert same(ge.data, gc.data), f"call {call}: gradient {k}"
    fell_back = [w for w in caught if issubclass(w.category, CompileWarning)]
    if outcome == "eager":
        assert fell_back, f"{op.name} now compiles: take it off EAGER"
    else:
        assert not fell_back, str(fell_back[0].message)
    assert compiled.stats["replays"] == (2 if outcome == "replayed" else 0)
