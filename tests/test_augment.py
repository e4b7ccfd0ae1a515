"""Data augmentation: the warps against numpy's exact moves, the random transforms' draws, the batch wrapper."""

import numpy as np
import pytest

from tinygrad_notes import Tensor
from tinygrad_notes.data import Augment, GaussianNoise, RandomRotation, RandomShift, rotate, shift


@pytest.fixture
def images():
    return np.random.default_rng(0).uniform(0, 16, size=(5, 6, 7))


def test_whole_pixel_shifts_move_pixels_exactly_and_fill_with_zeros(images):
    offsets = [(1, 0), (0, -2), (-1, 3), (0, 0), (2, 2)]
    out = shift(images, offsets)
    for img, moved, (down, right) in zip(images, out, offsets):
        expected = np.zeros_like(img)
        h, w = img.shape
        expected[max(down, 0):h + min(down, 0), max(right, 0):w + min(right, 0)] = \
            img[max(-down, 0):h + min(-down, 0), max(-right, 0):w + min(-right, 0)]
        np.testing.assert_allclose(moved, expected, atol=1e-12)


def test_half_pixel_shift_averages_neighbours(images):
    out = shift(images[:1], [(0, 0.5)])[0]
    np.testing.assert_allclose(out[:, 1:], (images[0, :, 1:] + images[0, :, :-1]) / 2, atol=1e-12)
    np.testing.assert_allclose(out[:, 0], images[0, :, 0] / 2, atol=1e-12)  # half of it comes from outside: 0


def test_rotations_by_right_angles_equal_rot90():
    square = np.random.default_rng(1).uniform(size=(3, 5, 5))
    for k, degrees in ((1, 90), (2, 180), (3, 270), (-1, -90)):
        turned = rotate(square, [degrees] * 3)
        np.testing.assert_allclose(turned, np.rot90(square, k, axes=(1, 2)), atol=1e-12)
    np.testing.assert_allclose(rotate(square, [0, 0, 0]), square, atol=1e-15)


def test_small_rotation_keeps_the_centre_and_moves_an_off_centre_pixel_along_the_circle():
    centre = np.zeros((1, 9, 9))
    centre[0, 4, 4] = 1.0
    assert rotate(centre, [30])[0, 4, 4] == pytest.approx(1.0)  # the centre stays put (neighbours blur it in)
    img = np.zeros((1, 9, 9))
    img[0, 4, 8] = 1.0  # 4 pixels right of the centre
    out = rotate(img, [30])[0]
    rows, cols = np.meshgrid(np.arange(9), np.arange(9), indexing="ij")
    mass = out.sum()
    # counter-clockwise as displayed: the pixel goes up (to a smaller row), along the circle of radius 4
    assert (out * rows).sum() / mass == pytest.approx(4 - 4 * np.sin(np.pi / 6), abs=0.1)
    assert (out * cols).sum() / mass == pytest.approx(4 + 4 * np.cos(np.pi / 6), abs=0.1)


def test_random_shift_draws_whole_offsets_per_image_within_the_bound():
    img = np.zeros((400, 5, 5))
    img[:, 2, 2] = 1.0
    out = RandomShift(1)(img, np.random.default_rng(0))
    rows, cols = np.nonzero(out.reshape(400, 25))[1] // 5 - 2, np.nonzero(out.reshape(400, 25))[1] % 5 - 2
    assert out.sum() == pytest.approx(400)  # every pixel moved, none lost (the bound keeps it inside)
    assert set(zip(rows.tolist(), cols.tolist())) == {(r, c) for r in (-1, 0, 1) for c in (-1, 0, 1)}
    with pytest.raises(ValueError, match="max_pixels must be a whole number with whole_pixels=True, got 1.5"):
        RandomShift(1.5)
    with pytest.raises(ValueError, match="max_pixels must be >= 0, got -1"):
        RandomShift(-1)


def test_random_shift_by_fractions_of_a_pixel_keeps_the_centre_of_mass_within_the_bound():
    img = np.zeros((300, 7, 7))
    img[:, 3, 3] = 1.0
    out = RandomShift(0.5, whole_pixels=False)(img, np.random.default_rng(0))
    rows, cols = np.meshgrid(np.arange(7), np.arange(7), indexing="ij")
    mass = out.sum(axis=(1, 2))
    np.testing.assert_allclose(mass, 1.0, atol=1e-12)  # bilinear weights sum to 1 inside the image
    down = (out * rows).sum(axis=(1, 2)) - 3  # bilinear interpolation moves the centre of mass exactly
    right = (out * cols).sum(axis=(1, 2)) - 3
    assert np.abs(down).max() <= 0.5 and np.abs(right).max() <= 0.5
    assert np.abs(down).max() > 0.4 and len(np.unique(np.round(down, 6))) > 100  # real offsets, not whole ones


def test_random_rotation_angles_stay_within_the_bound():
    img = np.zeros((200, 9, 9))
    img[:, 4, 8] = 1.0  # radius 4 to the right of the centre
    out = RandomRotation(20)(img, np.random.default_rng(0))
    rows, cols = np.meshgrid(np.arange(9), np.arange(9), indexing="ij")
    mass = out.sum(axis=(1, 2))
    angles = np.degrees(np.arctan2(-((out * rows).sum((1, 2)) / mass - 4), (out * cols).sum((1, 2)) / mass - 4))
    assert np.abs(angles).max() <= 20 + 3  # bilinear smearing moves the centre of mass by a little
    assert angles.min() < -12 and angles.max() > 12  # both directions drawn
    with pytest.raises(ValueError, match=r"max_degrees must be in \[0, 180\]"):
        RandomRotation(-5)


def test_gaussian_noise_has_the_asked_spread():
    out = GaussianNoise(0.5)(np.full((100, 20, 20), 3.0), np.random.default_rng(0))
    noise = out - 3.0
    assert abs(noise.mean()) < 0.005  # 40,000 draws: 5 standard errors
    assert noise.std() == pytest.approx(0.5, rel=0.02)


def test_augment_takes_flat_rows_draws_afresh_each_call_and_is_seeded():
    X = np.random.default_rng(2).uniform(0, 16, size=(10, 64)).astype(np.float32)
    before = X.copy()
    augment = Augment(RandomShift(1), RandomRotation(10), GaussianNoise(0.1), image_shape=(8, 8), seed=3)
    first, second = augment(X), augment(X)
    assert first.shape == X.shape and first.dtype == np.float32
    np.testing.assert_array_equal(X, before)  # the input is left alone
    assert not np.allclose(first, second)  # a new draw for every mini-batch
    again = Augment(RandomShift(1), RandomRotation(10), GaussianNoise(0.1), image_shape=(8, 8), seed=3)
    np.testing.assert_array_equal(again(X), first)  # same seed, same draws
    assert isinstance(augment(Tensor(X)), Tensor)
    assert np.array_equal(Augment(image_shape=(8, 8))(X), X)  # no transform: unchanged


def test_augment_explains_shapes_it_cannot_read():
    with pytest.raises(ValueError, match=r"a batch of shape \(4, 63\) does not hold images of shape \(8, 8\)"):
        Augment(RandomShift(1), image_shape=(8, 8))(np.zeros((4, 63)))
    with pytest.raises(ValueError, match=r"expected a batch of images \(N, H, W\), got shape \(4, 64\); pass image"):
        Augment(RandomShift(1))(np.zeros((4, 64)))
    with pytest.raises(TypeError, match="transform 0 is a int"):
        Augment(3)
