"""Optimizer and scheduler checkpoints: through a real .npz file, training resumes bit-identically."""

from pathlib import Path

import numpy as np
import pytest

import optim
from tinygrad_notes import ShapeError, Tensor


# ---- a checkpoint file: nested dicts and lists flattened into an .npz, read back without pickle ----------
def save_npz(tree, path: Path) -> None:
    flat = {}

    def walk(node, key):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{key}/{k}" if key else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{key}/#{i}")
        else:
            flat[key] = np.asarray(node)

    walk(tree, "")
    np.savez(path, **flat)


def load_npz(path: Path):
    tree: dict = {}
    with np.load(path, allow_pickle=False) as f:
        for key in f.files:
            parts = key.split("/")
            node = tree
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = f[key]

    def lists(node):
        if not isinstance(node, dict):
            return node
        if node and all(k.startswith("#") for k in node):
            return [lists(node[f"#{i}"]) for i in range(len(node))]
        return {k: lists(v) for k, v in node.items()}

    return lists(tree)


def storable(node) -> bool:
    """Only what a checkpoint file holds: str-keyed dicts, lists, arrays, numbers, strings, bools."""
    if isinstance(node, dict):
        return all(isinstance(k, str) and storable(v) for k, v in node.items())
    if isinstance(node, list):
        return all(storable(v) for v in node)
    return isinstance(node, (np.ndarray, int, float, str, bool))


# ---- resuming ----------------------------------------------------------------------------------------------
RNG = np.random.default_rng(3)
X = RNG.standard_normal((4, 16, 5)).astype(np.float32)  # four fixed mini-batches
Y = RNG.standard_normal((4, 16, 3)).astype(np.float32)
W_START = (RNG.standard_normal((5, 3)) * 0.5).astype(np.float32)
B_START = np.zeros(3, np.float32)


def fresh_params(W: np.ndarray, b: np.ndarray) -> list[Tensor]:
    return [Tensor(np.array(W, dtype=np.float32), requires_grad=True),
            Tensor(np.array(b, dtype=np.float32), requires_grad=True)]


def make(kind: str, params: list[Tensor]):
    W, b = params
    groups = [{"params": [W]}, {"params": [b], "lr": 0.05}]  # two groups, so group options are resumed too
    opt = {
        "sgd-momentum": lambda: optim.SGD(groups, lr=0.1, momentum=0.9, weight_decay=1e-3),
        "nesterov": lambda: optim.SGD(groups, lr=0.1, momentum=0.9, nesterov=True),
        "momentum": lambda: optim.Momentum(groups, lr=0.1),
        "rmsprop": lambda: optim.RMSprop(groups, lr=0.01),
        "adam": lambda: optim.Adam(groups, lr=0.01, weight_decay=1e-3),
        "adamw": lambda: optim.AdamW(groups, lr=0.01),
    }[kind]()
    return opt, optim.InverseTimeDecay(opt, decay_rate=0.5)


def train(params: list[Tensor], opt, sched, steps: range) -> None:
    W, b = params
    for k in steps:
        opt.zero_grad()
        ((Tensor(X[k % 4]) @ W + b - Tensor(Y[k % 4])) ** 2).mean().backward()
        opt.step()
        if k % 3 == 2:
            sched.step()  # an "epoch" is three steps here


@pytest.mark.parametrize("kind", ["sgd-momentum", "nesterov", "momentum", "rmsprop", "adam", "adamw"])
def test_resuming_from_a_checkpoint_file_is_bit_identical(kind, tmp_path):
    n = 14
    straight = fresh_params(W_START, B_START)
    opt, sched = make(kind, straight)
    train(straight, opt, sched, range(n))

    first_half = fresh_params(W_START, B_START)
    opt, sched = make(kind, first_half)
    train(first_half, opt, sched, range(n // 2))
    checkpoint = {"params": [p.data for p in first_half], "optimizer": opt.state_dict(),
                  "scheduler": sched.state_dict()}
    assert storable(checkpoint)
    save_npz(checkpoint, tmp_path / "checkpoint.npz")
    del opt, sched, first_half

    loaded = load_npz(tmp_path / "checkpoint.npz")
    resumed = fresh_params(*loaded["params"])
    opt, sched = make(kind, resumed)
    opt.load_state_dict(loaded["optimizer"])
    sched.load_state_dict(loaded["scheduler"])
    train(resumed, opt, sched, range(n // 2, n))

    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.data, b.data)
    assert opt.param_groups[1]["lr"] == sched.get_last_lr()[1] == 0.05 / (1 + 0.5 * (n // 3))


def test_state_dict_is_a_snapshot_and_names_params_by_index():
    params = fresh_params(W_START, B_START)
    opt, sched = make("adam", params)
    train(params, opt, sched, range(2))
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1]
    assert sd["param_groups"][0]["betas"] == [0.9, 0.999]
    assert set(sd["state"]) == {"0", "1"} and sd["state"]["0"]["step"] == 2
    V = sd["state"]["0"]["V"].copy()
    train(params, opt, sched, range(2, 4))
    np.testing.assert_array_equal(sd["state"]["0"]["V"], V)  # later steps did not change the snapshot


def test_loading_a_checkpoint_of_another_model_or_optimizer_is_refused_clearly():
    params = fresh_params(W_START, B_START)
    opt, sched = make("adam", params)
    train(params, opt, sched, range(2))
    sd = opt.state_dict()

    other = optim.Adam([Tensor(np.zeros((5, 3)), requires_grad=True)])
    with pytest.raises(ValueError, match="2 param group"):
        other.load_state_dict(sd)
    wrong_shape = [Tensor(np.zeros((3, 5)), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)]
    with pytest.raises(ShapeError, match=r"state 'V' of parameter 0 has shape \(5, 3\).*\(3, 5\)"):
        optim.Adam([{"params": [wrong_shape[0]]}, {"params": [wrong_shape[1]]}]).load_state_dict(sd)
    sgd, _ = make("sgd-momentum", fresh_params(W_START, B_START))
    with pytest.raises(ValueError, match="option.*betas.*another optimizer"):
        sgd.load_state_dict(sd)
    with pytest.raises(ValueError, match="keys 'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})


def test_schedulers_state_round_trips_through_the_file(tmp_path):
    W = Tensor(np.zeros(3), requires_grad=True)
    opt = optim.SGD([W], lr=0.2)
    sched = optim.StepDecay(opt, step_size=2, gamma=0.5)
    for _ in range(5):
        sched.step()
    save_npz(sched.state_dict(), tmp_path / "sched.npz")
    opt2 = optim.SGD([Tensor(np.zeros(3), requires_grad=True)], lr=0.2)
    sched2 = optim.StepDecay(opt2, step_size=7, gamma=0.9)
    sched2.load_state_dict(load_npz(tmp_path / "sched.npz"))
    assert (sched2.epoch, sched2.step_size, sched2.gamma) == (5, 2, 0.5)
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.2 * 0.5**2]
