"""Where each op was created: `record_sources` notes the user's line (off by default, per thread), and viz
reads the engine only through its public names."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np

import nn
import tinygrad_notes as tn
from tinygrad_notes import Tensor

VIZ = Path(__file__).resolve().parents[1] / "viz"


def _line_of(text: str) -> int:
    """The line of this file that holds `text` (so the test does not hard-code line numbers)."""
    lines = Path(__file__).read_text().splitlines()
    (number,) = [k + 1 for k, line in enumerate(lines)
                 if text in line and "_line_of" not in line and "assert" not in line]
    return number


def test_record_sources_notes_the_users_line_and_is_off_by_default():
    x = Tensor([1.0, -2.0], requires_grad=True)
    plain = (x * 3).tanh()
    assert tn.source_of(plain.grad_fn) is None  # off: nothing recorded
    with tn.record_sources():
        y = (x * 2).exp()  # the line recorded below
    source = tn.source_of(y.grad_fn)
    assert source.startswith(f"{__file__}:{_line_of('y = (x * 2).exp()')} in test_record_sources")
    assert source.endswith("y = (x * 2).exp()  # the line recorded below")
    mul = y.grad_fn.inputs[0].grad_fn
    assert tn.source_of(mul) == source  # both ops of the line
    y.sum().backward()  # a plain backward frees the arrays, the sources stay
    assert tn.source_of(y.grad_fn) == source
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * x.numpy()), rtol=1e-6)


def test_an_ops_line_inside_a_layer_is_the_users_call():
    layer = nn.Linear(3, 2)
    with tn.record_sources():
        out = layer(Tensor(np.ones((1, 3), np.float32))).relu()  # the call, not nn's own lines
    line = _line_of("out = layer(Tensor(np.ones((1, 3), np.float32))).relu()")
    for node in tn.walk([out]):
        assert tn.source_of(node).startswith(f"{__file__}:{line} "), tn.source_of(node)


def test_record_sources_is_per_thread():
    seen = {}
    started, release = threading.Event(), threading.Event()

    def other():
        started.wait()
        seen["other"] = tn.source_of((Tensor([1.0], requires_grad=True) * 2).grad_fn)
        release.set()

    thread = threading.Thread(target=other)
    thread.start()
    with tn.record_sources():
        started.set()
        release.wait()
        mine = (Tensor([1.0], requires_grad=True) * 2).grad_fn
    thread.join()
    assert seen["other"] is None
    assert tn.source_of(mine) is not None


def test_anomaly_mode_and_sources_together():
    x = Tensor([0.0], requires_grad=True)
    with tn.record_sources(), tn.detect_anomaly():
        y = x.exp()
    assert tn.source_of(y.grad_fn).endswith("y = x.exp()")
    try:
        with tn.detect_anomaly(), np.errstate(all="ignore"):
            (x.log() * 0).sum()
    except FloatingPointError as err:
        assert "(x.log() * 0).sum()" in str(err)  # anomaly's stack still names the user's line
    else:
        raise AssertionError("detect_anomaly let -inf through")


def test_viz_uses_only_the_engines_public_names():
    private = re.compile(r"\._(ctx|extra|data)\b")
    offenders = [f"{path.relative_to(VIZ.parent)}:{k + 1}" for path in sorted(VIZ.rglob("*.py"))
                 for k, line in enumerate(path.read_text().splitlines()) if private.search(line)]
    assert offenders == []
    sources = "\n".join(path.read_text() for path in VIZ.rglob("*.py"))
    assert "def walk(" not in sources and "class GraphFreedError" not in sources  # the engine's, not a copy
    assert "ORDERLESS_OPS" not in sources  # primitives say whether they are commutative
    assert "import optim" not in sources and "from optim" not in sources
