"""Data helpers: splits, the notes' normalization rule, one-hot labels, and the datasets."""

import numpy as np
import pytest

from tinygrad_notes import Tensor
from tinygrad_notes.data import Normalizer, one_hot, train_dev_test_split
from tinygrad_notes.datasets import load_digits, make_circles, make_moons, make_planar, make_spiral


def test_split_sizes_partition_the_data_without_overlap(rng):
    X = np.arange(100).reshape(100, 1)
    y = np.arange(100) % 3
    Xtr, ytr, Xdv, ydv, Xte, yte = train_dev_test_split(X, y, (0.6, 0.2, 0.2), seed=1)
    assert (len(Xtr), len(Xdv), len(Xte)) == (60, 20, 20)
    together = np.concatenate([Xtr, Xdv, Xte]).ravel()
    assert sorted(together.tolist()) == list(range(100))  # every example exactly once
    np.testing.assert_array_equal(ytr, Xtr.ravel() % 3)  # X and y stay paired
    again = train_dev_test_split(X, y, (0.6, 0.2, 0.2), seed=1)
    np.testing.assert_array_equal(again[0], Xtr)
    counts = train_dev_test_split(X, y, (70, 30, 0), seed=0)
    assert (len(counts[0]), len(counts[2]), len(counts[4])) == (70, 30, 0)


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1], [90, 10])
    X = np.arange(100)[:, None]
    _, ytr, _, ydv, _, yte = train_dev_test_split(X, y, (0.6, 0.2, 0.2), seed=0, stratify=True)
    assert np.bincount(ytr).tolist() == [54, 6]
    assert np.bincount(ydv).tolist() == [18, 2] and np.bincount(yte).tolist() == [18, 2]


def test_split_errors():
    with pytest.raises(ValueError, match="X has 3 examples but y has 2"):
        train_dev_test_split(np.zeros((3, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="ask for more than the 10 examples"):
        train_dev_test_split(np.zeros((10, 1)), np.zeros(10), (8, 8, 0))


def test_normalizer_uses_training_statistics_for_every_set(rng):
    train = rng.normal([5.0, -3.0, 100.0], [2.0, 0.5, 30.0], size=(500, 3))
    dev = rng.normal([5.0, -3.0, 100.0], [2.0, 0.5, 30.0], size=(50, 3))
    norm = Normalizer().fit(train)
    np.testing.assert_allclose(norm.mean, train.mean(axis=0))
    np.testing.assert_allclose(norm.var, ((train - train.mean(0)) ** 2).mean(0))  # the notes' σ², 1/m
    t = norm.transform(train)
    np.testing.assert_allclose(t.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(t.std(axis=0), 1, atol=1e-6)
    np.testing.assert_allclose(norm.transform(dev), (dev - train.mean(0)) / train.std(0))  # train's μ, σ
    assert isinstance(norm.transform(Tensor(dev)), Tensor)


def test_normalizer_constant_feature_round_trip_and_errors():
    X = np.array([[1.0, 7.0], [3.0, 7.0]])
    norm = Normalizer().fit(X)
    np.testing.assert_allclose(norm.transform(X), [[-1, 0], [1, 0]])  # constant column only centred
    other = Normalizer()
    other.load_state_dict(norm.state_dict())
    np.testing.assert_array_equal(other.transform(X), norm.transform(X))
    with pytest.raises(RuntimeError, match="call fit"):
        Normalizer().transform(X)
    with pytest.raises(ValueError, match=r"examples of shape \(3,\) do not match the fitted features \(2,\)"):
        norm.transform(np.ones((2, 3)))


def test_one_hot():
    np.testing.assert_array_equal(one_hot([2, 0, 1]), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert one_hot(np.array([1]), 4).shape == (1, 4)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        one_hot([3], 3)
    with pytest.raises(TypeError, match="integer class indices"):
        one_hot([0.5])


def test_digits_are_bundled_and_generated_sets_are_seeded():
    X, y = load_digits()
    assert X.shape == (1797, 64) and set(np.unique(y)) == set(range(10)) and X.max() == 16
    for make, classes in [(make_moons, 2), (make_circles, 2), (make_spiral, 3), (make_planar, 2)]:
        Xa, ya = make(seed=3)
        Xb, yb = make(seed=3)
        np.testing.assert_array_equal(Xa, Xb)
        assert Xa.shape[1] == 2 and len(np.unique(ya)) == classes and len(Xa) == len(ya)
        assert not np.array_equal(make(seed=4)[0], Xa)
    Xc, yc = make_circles(n=400, noise=0.0, seed=0)
    radii = np.hypot(Xc[:, 0], Xc[:, 1])
    np.testing.assert_allclose(radii[yc == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(radii[yc == 1], 0.5, atol=1e-6)
