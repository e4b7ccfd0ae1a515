"""Exponentially weighted averages: the notes' temperature example, window, lag and bias correction."""

import numpy as np
import pytest

import optim


def temperatures(days: int = 365, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A year of daily temperatures (°F): a seasonal curve plus day-to-day noise, and the curve alone."""
    t = np.arange(days)
    season = 55 - 25 * np.cos(2 * np.pi * (t - 15) / 365)
    return season + np.random.default_rng(seed).normal(0, 6, days), season


@pytest.mark.parametrize("beta, days", [(0.9, 10), (0.98, 50), (0.5, 2)])
def test_beta_averages_over_about_one_over_one_minus_beta_days(beta, days):
    avg = optim.EWMA(beta, bias_correction=False)
    assert avg.window == pytest.approx(days)
    # The weight of the value k days back is (1 − β)βᵏ: feed one 1 and then zeros to read the weights off.
    weights = [avg.update(1.0)] + [avg.update(0.0) for _ in range(2000)]
    np.testing.assert_allclose(weights[:5], [(1 - beta) * beta**k for k in range(5)], rtol=1e-12)
    assert sum(weights) == pytest.approx(1.0, abs=1e-9)
    # Their center of mass, the average's lag, is β/(1 − β) = window − 1 days back.
    assert np.dot(np.arange(len(weights)), weights) == pytest.approx(days - 1, rel=1e-9)
    if beta >= 0.9:  # the last `days` values carry about 1 − 1/e of the weight (βᵏ ≈ 1/e at k = 1/(1 − β))
        assert sum(weights[:days]) == pytest.approx(1 - np.exp(-1), abs=0.02)


def test_on_a_ramp_the_average_lags_by_beta_over_one_minus_beta():
    for beta in (0.5, 0.9, 0.98):
        ramp = np.arange(1, 1001, dtype=float)
        smooth = optim.EWMA.series(ramp, beta, bias_correction=False)
        assert ramp[-1] - smooth[-1] == pytest.approx(beta / (1 - beta), rel=1e-6)


def test_the_notes_temperature_example_larger_beta_is_smoother_but_lags():
    noisy, season = temperatures()
    curves = {beta: optim.EWMA.series(noisy, beta) for beta in (0.5, 0.9, 0.98)}
    roughness = {beta: np.std(np.diff(c)) for beta, c in curves.items()}  # day-to-day wiggle
    assert roughness[0.5] > roughness[0.9] > roughness[0.98]
    assert roughness[0.98] < np.std(np.diff(noisy)) / 10
    # The lag shows where the season turns: the smoothed curve peaks later the larger β is.
    peaks = {beta: int(np.argmax(c[100:300])) + 100 for beta, c in curves.items()}
    assert peaks[0.98] - int(np.argmax(season)) > 25
    assert peaks[0.98] > peaks[0.9]
    # β = 0.9 follows the season best: 0.5 keeps too much noise, 0.98 lags too far.
    errors = {beta: np.sqrt(np.mean((c[60:] - season[60:]) ** 2)) for beta, c in curves.items()}
    assert errors[0.9] < errors[0.5] and errors[0.9] < errors[0.98]


def test_bias_correction_makes_the_first_days_right():
    beta, level = 0.98, 40.0
    raw = optim.EWMA.series(np.full(30, level), beta, bias_correction=False)
    corrected = optim.EWMA.series(np.full(30, level), beta, bias_correction=True)
    np.testing.assert_allclose(raw, level * (1 - beta ** np.arange(1, 31)), rtol=1e-12)  # 0.8 on day one
    np.testing.assert_allclose(corrected, level, rtol=1e-12)
    noisy, season = temperatures()
    early_raw = optim.EWMA.series(noisy[:10], beta, bias_correction=False)
    early = optim.EWMA.series(noisy[:10], beta)
    assert np.max(np.abs(early - season[:10])) < 15 and np.min(season[:10] - early_raw) > 20


def test_averages_arrays_too_and_round_trips_its_state():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(20, 3))
    avg = optim.EWMA(0.9)
    for v in values[:10]:
        avg.update(v)
    restored = optim.EWMA(0.5, bias_correction=False)
    restored.load_state_dict(avg.state_dict())
    for v in values[10:]:
        np.testing.assert_array_equal(avg.update(v), restored.update(v))
    per_column = np.stack([optim.EWMA.series(values[:, j], 0.9) for j in range(3)], axis=1)
    np.testing.assert_allclose(avg.value, per_column[-1], rtol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        avg.update(np.zeros(4))
    with pytest.raises(ValueError, match=r"beta must be in \[0, 1\)"):
        optim.EWMA(1.0)
