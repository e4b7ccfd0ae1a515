"""README's Python examples run as written, in order, in one namespace (the later ones use the earlier names)."""

import re
import warnings
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)  # the graph example writes graph.svg
    namespace: dict = {}
    for i, block in enumerate(blocks):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*checked as float64 copies")  # said in the README
            exec(compile(block, str(README), "exec"), namespace)
        if i == 0:  # the first quickstart: a net composed from ops
            W, b = namespace["W"], namespace["b"]
            assert W.grad.shape == (3, 2) and b.grad.shape == (2,) and np.all(np.isfinite(W.grad.data))
    out = capsys.readouterr().out
    assert "FAILED" in out and "b     (3,)" in out  # the checking-gradients example pins the bug on b
    assert (tmp_path / "graph.svg").read_text().lstrip().startswith("<?xml")
    assert namespace["report"].passed  # the nn model passes gradcheck_model
