"""The search job's default space follows the notes' order of importance and leaves Adam's betas alone."""

import numpy as np

import optim
from tinygrad_notes.app import search_job


def test_the_default_space_is_in_the_notes_order_of_importance_without_adams_betas():
    space = search_job.space()
    assert list(space) == ["lr", "hidden", "batch_size", "layers", "decay_rate", "lambd", "keep_prob"]
    assert not {"beta1", "beta2", "eps"} & set(space)  # the notes: Adam's beta1, beta2, eps almost never
    assert isinstance(space["lr"], optim.LogUniform)  # alpha = 10^r
    assert space["batch_size"].options == [32, 64, 128, 256]  # powers of 2


def test_a_trial_uses_every_hyperparameter_of_the_space(monkeypatch):
    seen = {}

    def fake_train(model, data, **kwargs):
        seen.update(kwargs, layers=sum(1 for m in model if type(m).__name__ == "Linear") - 1)
        return {}

    monkeypatch.setattr(search_job, "train", fake_train)
    params = {"lr": 3e-3, "hidden": 32, "batch_size": 128, "layers": 2, "decay_rate": 0.01, "lambd": 0.5,
              "keep_prob": 0.9}
    error = search_job.trial(params, seed=0, epochs=1)
    assert 0 <= error <= 1
    assert seen["lr"] == 3e-3 and seen["batch_size"] == 128 and seen["decay_rate"] == 0.01
    assert seen["lambd"] == 0.5 and seen["layers"] == 2
    assert seen["beta1"] == 0.9  # left at Adam's default


def test_a_custom_space_can_still_tune_beta1():
    result = search_job.run_search(n_trials=2, rounds=1, seed=3, n_jobs=1, epochs=1,
                                   search_space={"lr": optim.LogUniform(1e-3, 1e-2),
                                                 "beta1": optim.OneMinusLog(0.9, 0.999)})
    betas = [t.params["beta1"] for t in result.trials]
    assert all(0.9 <= b <= 0.999 for b in betas) and len(set(betas)) == 2
    assert np.isfinite([t.score for t in result.trials]).all()

