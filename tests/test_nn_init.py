"""Initializers: each one's empirical variance matches its formula, seeding works, bad shapes are explained."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn import init
from tinygrad_notes import Tensor

N_OUT, N_IN = 300, 500  # 150,000 draws: the sample variance is within about 0.4% (one s.e.) of the truth

FORMULAS = [
    (init.xavier_normal_, 1 / N_IN),
    (init.xavier_uniform_, 1 / N_IN),
    (init.he_normal_, 2 / N_IN),
    (init.he_uniform_, 2 / N_IN),
    (init.kaiming_normal_, 2 / N_IN),
    (init.kaiming_uniform_, 2 / N_IN),
    (init.glorot_normal_, 2 / (N_IN + N_OUT)),
    (init.glorot_uniform_, 2 / (N_IN + N_OUT)),
]


def _weight() -> Tensor:
    return Tensor(np.zeros((N_OUT, N_IN), dtype=np.float32))


@pytest.mark.parametrize(("fill", "variance"), FORMULAS, ids=[f.__name__ for f, _ in FORMULAS])
def test_empirical_variance_matches_the_formula(fill, variance: float) -> None:
    w = fill(_weight(), generator=np.random.default_rng(0))
    assert abs(w.data.var() / variance - 1) < 0.02
    assert abs(w.data.mean()) < 4 * math.sqrt(variance / w.size)
    if "uniform" in fill.__name__:
        assert np.abs(w.data).max() <= math.sqrt(3 * variance) + 1e-7  # U(-a, a) with a = sqrt(3 Var)
        assert np.abs(w.data).max() > 0.99 * math.sqrt(3 * variance)


def test_gain_scales_the_standard_deviation() -> None:
    w = init.xavier_normal_(_weight(), gain=init.calculate_gain("relu"), generator=np.random.default_rng(1))
    assert abs(w.data.var() / (2 / N_IN) - 1) < 0.02  # xavier with the relu gain is He


def test_plain_distributions_and_constants() -> None:
    n = init.normal_(_weight(), mean=1.0, std=0.5, generator=np.random.default_rng(2))
    assert abs(n.data.mean() - 1.0) < 0.005 and abs(n.data.std() / 0.5 - 1) < 0.01
    u = init.uniform_(_weight(), -2.0, 4.0, generator=np.random.default_rng(3))
    assert -2.0 <= u.data.min() and u.data.max() < 4.0
    assert abs(u.data.var() / (36 / 12) - 1) < 0.02  # Var(U(a, b)) = (b - a)^2 / 12
    assert (init.constant_(_weight(), 0.25).data == 0.25).all()
    assert not init.zeros_(init.ones_(_weight())).data.any()


def test_initializers_write_in_place_and_are_seeded() -> None:
    w = _weight()
    buffer = w.data
    assert init.he_normal_(w, generator=np.random.default_rng(5)) is w
    assert w.data is buffer or np.shares_memory(w.data, buffer)
    again = init.he_normal_(_weight(), generator=np.random.default_rng(5))
    np.testing.assert_array_equal(w.data, again.data)


def test_calculate_gain_values() -> None:
    assert init.calculate_gain("linear") == init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_fans_of_higher_dimensional_weights_and_errors() -> None:
    assert init.fan_in_and_fan_out(Tensor(np.zeros((8, 3, 5, 5)))) == (75, 200)
    with pytest.raises(ValueError, match=r"at least 2 dimensions \(n_out, n_in\), got shape \(4,\)"):
        init.he_normal_(Tensor(np.zeros(4)))
