"""The examples run small (quick=True), write their figures, and reproduce the course notes' result.

Each test loads a script from examples/, runs its `main` into a temporary folder with a seed other
than the default one, checks the files it wrote (PNG signature, SVG that parses as XML), and
asserts the qualitative result the notes predict on the numbers `main` returns. The setups were
chosen so that these results hold with a wide margin for every seed tried (0 to 5).
"""

import importlib.util
import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SEED = 1


@pytest.fixture
def load(monkeypatch):
    """Import examples/<name>.py as a module (examples/ on the path for their shared `_common`).

    A script asks for one BLAS thread through OPENBLAS_NUM_THREADS before numpy loads; in this process
    numpy is loaded already, so the test holds BLAS to one thread with threadpoolctl instead (several
    threads on these small matrices made a run 7 times slower on a busy machine). Both are undone after.
    """
    from threadpoolctl import threadpool_limits

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.syspath_prepend(str(EXAMPLES))

    def _load(name):
        spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    with threadpool_limits(limits=1, user_api="blas"):
        yield _load


def assert_pngs(folder: Path, names: set[str]) -> None:
    assert {p.name for p in folder.glob("*.png")} == names
    for name in names:
        data = (folder / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 1000, name


def test_initialization_zeros_never_break_symmetry_and_he_trains(load, tmp_path):
    r = load("initialization").main(str(tmp_path), quick=True, seed=SEED)
    inits = ("zeros", "large_random", "he")
    assert_pngs(tmp_path, {"costs.png", "seeds.png"} |
                {f"{kind}_{i}.png" for i in inits for kind in ("grad_norms", "boundary")})
    assert len(r["seeds"]) == 3
    for zeros, large, he in zip(*(r["per_seed"][name] for name in ("zeros", "large random", "He"))):
        # zeros: every weight's gradient is exactly 0 at every step (all activations are 0), so only the output
        # bias learns: the network stays a constant guess, whose cost cannot go below the entropy of the labels
        assert zeros["max_weight_grad_norm"] == 0.0
        assert zeros["initial_cost"] == pytest.approx(math.log(2), abs=1e-6)  # sigmoid(0) = 1/2 for every example
        assert zeros["final_cost"] >= zeros["constant_guess_cost"] - 1e-5
        assert zeros["train_accuracy"] <= 0.6
        # large random (randn * 10): a huge first cost and exploding first gradients
        assert large["initial_cost"] > 10 * he["initial_cost"]
        assert large["initial_grad_norms"]["0.weight"] > 10 * he["initial_grad_norms"]["0.weight"]
        # He trains, on every seed
        assert he["final_cost"] < 0.5 * zeros["final_cost"]
        assert he["train_accuracy"] > 0.9
    # over the seeds He is ahead of large random on average, and varies much less (chance decides how far large
    # random gets: one seed may even end with a lower training cost)
    large, he = r["summary"]["large random"], r["summary"]["He"]
    assert he["final_cost"]["mean"] < 0.5 * large["final_cost"]["mean"]
    assert he["dev_accuracy"]["mean"] > large["dev_accuracy"]["mean"] + 0.03
    assert he["dev_accuracy"]["std"] < large["dev_accuracy"]["std"]


def test_regularization_l2_and_dropout_shrink_the_variance(load, tmp_path):
    r = load("regularization").main(str(tmp_path), quick=True, seed=SEED)
    runs = ("none", "l2", "dropout")
    assert_pngs(tmp_path, {"costs.png"} | {f"{kind}_{run}.png" for run in runs for kind in ("curves", "boundary")})
    none, l2, dropout = r["none"], r["L2"], r["dropout"]
    assert none["diagnosis"] == "high variance"
    assert none["dev_cost"] > 2 * none["train_cost"]  # fits the flipped labels: dev cost far above train
    for regularized in (l2, dropout):
        assert regularized["variance"] < none["variance"] - 0.03  # dev error - train error
        assert regularized["dev_cost"] < none["dev_cost"]
        assert regularized["train_cost"] > none["train_cost"]  # the price: a worse fit of the training set


def test_optimizers_each_at_its_best_alpha_momentum_beats_gradient_descent(load, tmp_path):
    r = load("optimizers").main(str(tmp_path), quick=True, seed=SEED)
    assert_pngs(tmp_path, {"costs.png", "sweep.png", "bowl.png"})
    raw = r["raw"]
    gd, momentum = raw["gradient descent"], raw["momentum"]
    # on raw pixels (an elongated cost) momentum takes a larger alpha and ends well below gradient descent
    assert momentum["best_lr"][0] > 2 * gd["best_lr"][0]
    assert momentum["train_cost"]["mean"] < 0.8 * gd["train_cost"]["mean"]  # at most 0.64 for seeds 0 to 5
    assert raw["Adam"]["train_cost"]["mean"] < 0.6 * gd["train_cost"]["mean"]
    # the bowl: gradient descent's best alpha is capped below 1 by the steep direction; momentum's is not
    bowl = r["bowl"]
    assert bowl["gradient descent"]["lr"] < 1 < bowl["momentum"]["lr"]
    assert bowl["momentum"]["final_cost"] < 0.01 * bowl["gradient descent"]["final_cost"]
    for name in ("RMSprop", "Adam"):
        assert bowl[name]["final_cost"] < 0.1 * bowl["gradient descent"]["final_cost"]


def test_normalization_stability_limit_is_two_over_the_largest_curvature(load):
    module = load("normalization")
    # orthogonal, centred columns of mean square 1: H = 2 I, so the limit is 2 / 2 = 1; scaling a feature by
    # 1000 multiplies its curvature by 1e6
    X = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    assert module.stability_limit(X) == pytest.approx(1.0)
    assert module.stability_limit(X * [1.0, 1000.0]) == pytest.approx(1e-6)


def test_normalization_lets_gradient_descent_take_larger_steps(load, tmp_path):
    r = load("normalization").main(str(tmp_path), quick=True, seed=SEED)
    assert_pngs(tmp_path, {"costs.png", "lr_sweep.png"})
    lrs = np.array(r["learning_rates"])
    raw, normalized = r["raw"], r["normalized"]
    for setting in (raw, normalized):
        # on a quadratic bowl every alpha below 2 / lambda_max converges and none diverges below it
        assert setting["largest_converging_lr"] >= lrs[lrs < setting["theoretical_limit"]].max()
        assert setting["first_failing_lr"] > setting["theoretical_limit"]
    assert normalized["largest_converging_lr"] > 1e4 * raw["largest_converging_lr"]
    assert normalized["lowest_final_cost"] < 0.1 * raw["lowest_final_cost"]


def test_batchnorm_speeds_up_the_first_epochs(load, tmp_path):
    r = load("batchnorm").main(str(tmp_path), quick=True, seed=SEED)
    assert_pngs(tmp_path, {"curves.png"})
    plain, bn = r["without batch norm"], r["with batch norm"]
    assert len(bn["train_cost"]) == len(plain["train_cost"]) == r["epochs"]
    for epoch in range(r["epochs"]):
        assert bn["train_cost"][epoch] < plain["train_cost"][epoch]
        assert bn["dev_accuracy"][epoch] > plain["dev_accuracy"][epoch]


@pytest.mark.parametrize("seed", [0, SEED])
def test_scalar_neuron_gradients_equal_the_closed_form(load, tmp_path, seed):
    r = load("scalar_neuron").main(str(tmp_path), quick=True, seed=seed)
    v = r["inputs"]
    o = math.tanh(v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"])
    dn = 1 - o**2  # d tanh(n)/dn
    expected = {"x1": v["w1"] * dn, "w1": v["x1"] * dn, "x2": v["w2"] * dn, "w2": v["x2"] * dn, "b": dn}
    assert r["output"] == pytest.approx(o, abs=1e-15)
    for name, value in expected.items():
        assert r["backprop"][name] == pytest.approx(value, abs=1e-14)
    assert r["gradcheck_passed"] and r["relative_error"] < 1e-7  # the notes: about 1e-7 or less is great
    assert r["numerical"] == pytest.approx(expected, abs=1e-7)  # two-sided differences agree with the closed form
    if seed == 0:  # micrograd's walkthrough: o = 1/sqrt(2), so 1 - o^2 = 1/2
        assert r["output"] == pytest.approx(1 / math.sqrt(2))
        assert r["backprop"] == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5})
    assert sorted(Path(f).name for f in r["files"]) == ["neuron.png", "neuron.svg"]
    assert_pngs(tmp_path, {"neuron.png"})
    svg = ET.parse(tmp_path / "neuron.svg").getroot()
    assert svg.tag.endswith("svg")
    text = " ".join(t for t in svg.itertext())
    for name in ("x1", "w1", "x2", "w2", "tanh"):
        assert name in text  # the picture names every input and the op


def test_vanishing_exploding_50_layers_scale_like_g_to_the_l_and_he_fixes_it(load, tmp_path):
    r = load("vanishing_exploding").main(str(tmp_path), quick=True, seed=SEED)
    assert_pngs(tmp_path, {"linear.png", "layers.png", "training.png"})
    # the notes' linear network: exactly s^L, and every layer's gradient s^(L-1) sqrt(n) ||x||
    for s, lin in r["linear"].items():
        assert lin["output_ratio"] == pytest.approx(s**50, rel=1e-9)
        assert lin["grad_norms"] == pytest.approx([lin["closed_form_grad_norm"]] * 50, rel=1e-9)
    assert r["linear"][1.5]["output_ratio"] > 6e8 and r["linear"][0.5]["output_ratio"] < 1e-15
    # random ReLU networks: the activations' RMS changes by about g per layer; He keeps it level
    init = r["at_init"]
    for name, gain in (("ReLU, g = 0.5", 0.5), ("ReLU, He (g = 1)", 1.0), ("ReLU, g = 1.5", 1.5)):
        assert init[name]["rate"]["mean"] == pytest.approx(gain, rel=0.08)
    assert 0.05 < init["ReLU, He (g = 1)"]["last_rms"]["mean"] < 20
    assert 0.9 < init["tanh, Xavier"]["rate"]["mean"] < 1.0  # shrinks slowly, not exponentially like 0.5^l
    assert init["ReLU, g = 0.5"]["first_layer_grad"]["max"] < 1e-10  # vanishing
    assert init["ReLU, g = 1.5"]["first_layer_grad"]["min"] > 1e6  # exploding
    # training: He and Xavier-tanh learn, g = 0.5 cannot move from a uniform guess, g = 1.5 explodes
    t = r["trained"]
    for name in ("ReLU, He (g = 1): Adam", "tanh, Xavier: Adam"):  # at most 2.03 for seeds 0 to 5
        assert t[name]["last_epoch_cost"] < math.log(10) - 0.15
    assert t["ReLU, g = 0.5: Adam"]["last_epoch_cost"] == pytest.approx(math.log(10), abs=0.01)
    assert t["ReLU, g = 1.5: Adam"]["last_epoch_cost"] > 1e4
    assert t["ReLU, g = 1.5: SGD"]["first_nan_step"] == 2  # plain gradient descent overflows at once
    clipped = t["ReLU, g = 1.5: SGD, clipped at 1"]
    assert clipped["first_nan_step"] is None and 1e4 < clipped["last_epoch_cost"] < clipped["first_cost"]


def test_saddle_points_gradient_descent_stalls_where_the_others_get_out(load, tmp_path):
    r = load("saddle_points").main(str(tmp_path), quick=True, seed=SEED)
    assert_pngs(tmp_path, {"paths.png", "costs.png", "sweep.png"})
    gd = r["gradient descent"]
    # even at its best alpha, gradient descent is still on the plateau by the saddle (f = 0.1) after 100 steps
    assert gd["final_cost"] > 0.099
    assert abs(gd["final_point"][1]) < 0.1
    assert gd["steps_to_leave_the_saddle"] is None
    assert gd["lr"] < 0.1  # its limit: 2 / the steep curvature 20
    for name in ("momentum", "RMSprop", "Adam"):
        assert r[name]["final_cost"] < 0.01  # down in a minimum, f = 0 at (0, +-1)
        assert abs(r[name]["final_point"][1]) == pytest.approx(1.0, abs=0.05)
    assert r["momentum"]["lr"] > 5 * gd["lr"]  # momentum's damping lets it take much larger steps


def test_minibatch_size_mini_batches_win_on_the_same_time_budget(load, tmp_path):
    r = load("minibatch_size").main(str(tmp_path), quick=True, seed=SEED)
    assert_pngs(tmp_path, {"cost_vs_time.png", "throughput.png"})
    batch, sgd, mini = r["batch (m)"], r["stochastic (1)"], r["mini-batch (64)"]
    for run in r["runs"].values():
        assert r["budget"] <= run[0]["seconds"] < r["budget"] + 0.5  # the same budget (a busy machine overruns a step)
    # stochastic gradient descent loses vectorization: far fewer examples per second, though it takes more steps
    assert sgd["examples_per_second"]["mean"] < 0.1 * mini["examples_per_second"]["mean"]
    assert mini["examples_per_second"]["mean"] < batch["examples_per_second"]["mean"]
    assert sgd["steps"]["mean"] > mini["steps"]["mean"] > batch["steps"]["mean"]
    # in the same time, mini-batches reach the lowest cost (3 to 6 times below batch gradient descent's, seeds 0-5)
    assert mini["train_cost"]["mean"] < batch["train_cost"]["mean"]
    assert mini["train_cost"]["mean"] < 0.1 * sgd["train_cost"]["mean"]


def test_augmentation_narrows_the_train_dev_gap_of_a_small_training_set(load, tmp_path):
    r = load("augmentation").main(str(tmp_path), quick=True, seed=SEED)
    assert_pngs(tmp_path, {"curves.png", "augmented.png"})
    (plain,), (augmented,) = r["per_seed"]["as they are"], r["per_seed"]["augmented"]
    assert plain["train_accuracy"] == 1.0 and plain["train_cost"] < 0.01  # 300 images learnt by heart
    assert plain["cost_gap"] > 0.05  # high variance: dev cost far above train
    # augmenting the training mini-batches narrows the gap (ratio at most 0.67 in cost for seeds 0 to 5)
    assert augmented["cost_gap"] < 0.75 * plain["cost_gap"]
    assert augmented["accuracy_gap"] < plain["accuracy_gap"]
    assert augmented["train_cost"] > plain["train_cost"]  # the price: the training set is fitted less tightly


def test_every_example_is_a_script_with_the_shared_command_line(tmp_path):
    scripts = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_") and p.name != "quickstart.py")
    assert len(scripts) == 11
    for script in scripts:
        text = script.read_text()
        assert "import _common" in text and "_common.run(main, __doc__" in text, script.name
        assert f"python examples/{script.name} [--out DIR] [--quick] [--seed N]" in text, script.name
    # one of them for real, as `python examples/NAME.py` (and `bash go.sh example NAME`) runs it
    run = subprocess.run([sys.executable, str(EXAMPLES / "scalar_neuron.py"), "--out", str(tmp_path / "neuron")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "largest |backprop - closed form|" in run.stdout
    assert (tmp_path / "neuron" / "neuron.dot").exists() or (tmp_path / "neuron" / "neuron.svg").exists()
