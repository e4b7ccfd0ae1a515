"""Optimizer and scheduler checkpoints: through a real file (nn.save / nn.load), training resumes bit-identically."""

import numpy as np
import pytest

import nn
import optim
from tinygrad_notes import ShapeError, Tensor

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
    nn.save(checkpoint, tmp_path / "checkpoint.npz")
    del opt, sched, first_half

    loaded = nn.load(tmp_path / "checkpoint.npz")
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
    nn.save(sched, tmp_path / "sched.npz")  # anything with state_dict()
    opt2 = optim.SGD([Tensor(np.zeros(3), requires_grad=True)], lr=0.2)
    sched2 = optim.StepDecay(opt2, step_size=7, gamma=0.9)
    sched2.load_state_dict(nn.load(tmp_path / "sched.npz"))
    assert (sched2.epoch, sched2.step_size, sched2.gamma) == (5, 2, 0.5)
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.2 * 0.5**2]


def test_loading_accepts_what_an_npz_gives_back_numbers_as_0d_arrays_and_lists_as_arrays(tmp_path):
    # A checkpoint written with plain np.savez (flattened keys) holds every number as a 0-d array.
    params = fresh_params(W_START, B_START)
    opt, sched = make("adam", params)
    train(params, opt, sched, range(3))
    sd = opt.state_dict()
    flat = {"0/step": sd["state"]["0"]["step"], "0/V": sd["state"]["0"]["V"], "0/S": sd["state"]["0"]["S"]}
    flat.update({f"g{i}/{k}": v for i, g in enumerate(sd["param_groups"]) for k, v in g.items()})
    np.savez(tmp_path / "flat.npz", **flat)
    with np.load(tmp_path / "flat.npz", allow_pickle=False) as f:
        back = {k: f[k] for k in f.files}
    rebuilt = {"state": {"0": {k: back[f"0/{k}"] for k in ("step", "V", "S")}},
               "param_groups": [{k: back[f"g{i}/{k}"] for k in sd["param_groups"][i]} for i in range(2)]}
    fresh = fresh_params(params[0].data, params[1].data)
    opt2, _ = make("adam", fresh)
    opt2.load_state_dict(rebuilt)
    assert opt2.param_groups[0]["betas"] == (0.9, 0.999) and isinstance(opt2.param_groups[0]["lr"], float)
    assert opt2.state[fresh[0]]["step"] == 3 and fresh[1] not in opt2.state


def test_a_model_and_its_optimizer_resume_together_from_one_checkpoint(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 6)).astype(np.float32)
    labels = rng.integers(3, size=64)

    def model_and_optimizer():
        model = nn.Sequential(nn.Linear(6, 16, generator=np.random.default_rng(1)), nn.ReLU(),
                              nn.Linear(16, 3, generator=np.random.default_rng(2)))
        return model, optim.Adam(model.parameters(), lr=0.01)

    def run(model, opt, steps):
        for k in steps:
            batch = slice(16 * (k % 4), 16 * (k % 4 + 1))
            opt.zero_grad()
            nn.functional.cross_entropy(model(Tensor(X[batch])), labels[batch]).backward()
            opt.step()

    straight, opt = model_and_optimizer()
    run(straight, opt, range(10))
    half, opt = model_and_optimizer()
    run(half, opt, range(5))
    nn.save({"model": half, "optimizer": opt}, tmp_path / "run.ckpt")
    resumed, opt = model_and_optimizer()
    checkpoint = nn.load(tmp_path / "run.ckpt")
    resumed.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optimizer"])
    run(resumed, opt, range(5, 10))
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
