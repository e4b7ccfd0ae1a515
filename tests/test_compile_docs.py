"""docs/compile.md's Python examples run as written, in order, in one namespace, and say what the page says."""

import re
import warnings
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "compile.md"


def test_compile_page_examples_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 3
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the first and last examples must replay, not fall back
        exec(compile(blocks[0], str(DOC), "exec"), namespace)
    assert namespace["step"].stats["replays"] == 2
    exec(compile(blocks[1], str(DOC), "exec"), namespace)  # it catches its own warning
    assert namespace["step_with_item"].stats["traces"] == 1
    exec(compile(blocks[2], str(DOC), "exec"), namespace)
    assert "{'traces': 2, 'verifications': 1, 'replays': 2" in capsys.readouterr().out
