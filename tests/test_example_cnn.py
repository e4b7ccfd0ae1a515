"""examples/cnn_digits.py runs small (quick: one seed, 3 epochs), writes its figures and learns the digits.

The full run (three seeds, 30 epochs; docs/examples.md) reaches 98.9 to 99.7% test accuracy; three epochs
already give 95.8 to 98.3% over seeds 0 to 5, so the bound below holds with a margin.
"""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cnn_digits.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_cnn_learns_the_digits_in_three_epochs(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)  # the script sets it; restored afterwards
    spec = importlib.util.spec_from_file_location("example_cnn_digits", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    r = module.main(str(tmp_path), quick=True, seed=1)
    for name in ("curves.png", "filters.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 1000, name
    assert r["epochs"] == 3
    costs = r["cost"][1]
    assert costs[0] > costs[1] > costs[2]  # the training cost falls every epoch
    assert costs[2] < 0.3
    assert r["test_accuracy"][1] > 0.93  # a softmax regression on the pixels ends at 95.8% after 30 epochs
