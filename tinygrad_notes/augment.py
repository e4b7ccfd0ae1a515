"""Data augmentation for image batches: small random shifts, rotations and noise, drawn afresh for every mini-batch.

The notes' other remedy for high variance besides more data: make more training examples out of
the ones you have, by changes that keep the label (a 3 moved by a pixel or turned by 10 degrees is
still a 3). Augment the *training* mini-batches only, a new draw each time; the dev and test sets
stay as they are, since they measure the real task:

    augment = Augment(RandomShift(1), RandomRotation(10), GaussianNoise(0.5), image_shape=(8, 8), seed=0)
    for xb, yb in optim.minibatches(X_train, y_train, batch_size=64, seed=epoch):
        xb = normalizer.transform(augment(xb))      # then train on (xb, yb) as usual

`shift` and `rotate` are the deterministic warps underneath (one bilinear sampler, zeros outside the
image); the `Random*` transforms draw one shift or angle per image and call them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_notes.tensor import Tensor


def _sample(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of images (N, H, W) at source coordinates (N, H, W); zero outside the image."""
    n, h, w = images.shape
    r0, c0 = np.floor(rows), np.floor(cols)
    fr, fc = rows - r0, cols - c0
    r0, c0 = r0.astype(np.int64), c0.astype(np.int64)
    batch = np.arange(n)[:, None, None]
    out = np.zeros(images.shape, dtype=np.float64)
    for dr, wr in ((0, 1 - fr), (1, fr)):
        for dc, wc in ((0, 1 - fc), (1, fc)):
            r, c = r0 + dr, c0 + dc
            inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
            values = images[batch, np.clip(r, 0, h - 1), np.clip(c, 0, w - 1)]
            out += np.where(inside, values, 0.0) * wr * wc
    return out


def _grid(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, h, w = images.shape
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    return np.broadcast_to(rows, (n, h, w)), np.broadcast_to(cols, (n, h, w))


def shift(images: np.ndarray, offsets: Any) -> np.ndarray:
    """Move each image (N, H, W) by its (down, right) offset in pixels, (N, 2); what moves out is lost, zeros come in.

    Whole-pixel offsets move pixels exactly; fractional ones interpolate bilinearly.
    """
    images = _images(images, "shift")
    offsets = np.asarray(offsets, dtype=np.float64).reshape(len(images), 2)
    rows, cols = _grid(images)
    return _sample(images, rows - offsets[:, 0, None, None], cols - offsets[:, 1, None, None])


def rotate(images: np.ndarray, degrees: Any) -> np.ndarray:
    """Turn each image (N, H, W) about its centre by its angle in degrees, (N,): counter-clockwise as displayed
    (row 0 at the top), like np.rot90; corners that come from outside the image are zeros."""
    images = _images(images, "rotate")
    theta = np.deg2rad(np.asarray(degrees, dtype=np.float64).reshape(len(images)))[:, None, None]
    n, h, w = images.shape
    rows, cols = _grid(images)
    cr, cc = (h - 1) / 2, (w - 1) / 2
    u, v = cols - cc, cr - rows  # x to the right, y up
    cos, sin = np.cos(theta), np.sin(theta)
    # sample where each output pixel comes from: rotate it back by -theta
    return _sample(images, cr - (-sin * u + cos * v), cc + (cos * u + sin * v))


class Transform:
    """One random change to a batch of images (N, H, W); its parameters drawn per image from `rng`."""

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError


class RandomShift(Transform):
    """Shift each image by up to `max_pixels` along each axis, drawn uniformly per image and axis.

    With `whole_pixels` (the default) the offsets are whole numbers from -max_pixels..max_pixels and
    pixels move exactly; otherwise they are real numbers in [-max_pixels, max_pixels] and the image
    is interpolated, which suits small images where one whole pixel is already a large move.
    """

    def __init__(self, max_pixels: float = 1, whole_pixels: bool = True) -> None:
        if whole_pixels and (not isinstance(max_pixels, (int, np.integer)) or isinstance(max_pixels, bool)):
            raise ValueError(f"RandomShift: max_pixels must be a whole number with whole_pixels=True, got "
                             f"{max_pixels!r}; pass whole_pixels=False for shifts by fractions of a pixel")
        if not max_pixels >= 0:
            raise ValueError(f"RandomShift: max_pixels must be >= 0, got {max_pixels!r}")
        self.max_pixels, self.whole_pixels = max_pixels, whole_pixels

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        size = (len(images), 2)
        if self.whole_pixels:
            offsets = rng.integers(-self.max_pixels, self.max_pixels + 1, size=size)
        else:
            offsets = rng.uniform(-self.max_pixels, self.max_pixels, size=size)
        return shift(images, offsets)

    def __repr__(self) -> str:
        return f"RandomShift({self.max_pixels!r}{'' if self.whole_pixels else ', whole_pixels=False'})"


class RandomRotation(Transform):
    """Rotate each image by an angle drawn uniformly from [-max_degrees, max_degrees]."""

    def __init__(self, max_degrees: float = 10.0) -> None:
        if not 0 <= max_degrees <= 180:
            raise ValueError(f"RandomRotation: max_degrees must be in [0, 180], got {max_degrees!r}")
        self.max_degrees = float(max_degrees)

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rotate(images, rng.uniform(-self.max_degrees, self.max_degrees, size=len(images)))

    def __repr__(self) -> str:
        return f"RandomRotation({self.max_degrees:g})"


class GaussianNoise(Transform):
    """Add independent N(0, std²) noise to every pixel (std in the pixels' own units)."""

    def __init__(self, std: float = 0.1) -> None:
        if not std >= 0:
            raise ValueError(f"GaussianNoise: std must be >= 0, got {std!r}")
        self.std = float(std)

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return images + rng.normal(0.0, self.std, size=images.shape)

    def __repr__(self) -> str:
        return f"GaussianNoise({self.std:g})"


class Augment:
    """Transforms applied in order to a training mini-batch, with their own seeded generator.

    Call it on every training mini-batch: each call draws new shifts, angles and noise, so the
    network never sees the same example twice. `image_shape` (H, W) lets it take flattened rows
    (N, H*W), the layout an MLP reads, and give them back flattened; without it the batch must be
    (N, H, W). The input is not modified; the output has its dtype (a Tensor in gives a Tensor out).
    """

    def __init__(self, *transforms: Transform, image_shape: tuple[int, int] | None = None,
                 seed: int | np.random.Generator | None = None) -> None:
        for i, t in enumerate(transforms):
            if not callable(t):
                raise TypeError(f"Augment: transform {i} is a {type(t).__name__}, not a callable "
                                "(images, rng) -> images such as RandomShift(1)")
        if image_shape is not None and (len(image_shape) != 2 or min(image_shape) < 1):
            raise ValueError(f"Augment: image_shape must be (height, width), got {image_shape!r}")
        self.transforms = transforms
        self.image_shape = None if image_shape is None else (int(image_shape[0]), int(image_shape[1]))
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def __call__(self, X: Any) -> Any:
        arr = X.data if isinstance(X, Tensor) else np.asarray(X)
        images = self._as_images(arr)
        for t in self.transforms:
            images = t(images, self.rng)
        dtype = arr.dtype if arr.dtype.kind == "f" else np.float32
        out = images.reshape(arr.shape).astype(dtype)
        return Tensor(out) if isinstance(X, Tensor) else out

    def _as_images(self, arr: np.ndarray) -> np.ndarray:
        if self.image_shape is None:
            if arr.ndim != 3:
                raise ValueError(f"Augment: expected a batch of images (N, H, W), got shape {arr.shape}; pass "
                                 "image_shape=(H, W) to augment flattened rows (N, H*W)")
            return arr.astype(np.float64)
        h, w = self.image_shape
        if arr.ndim < 2 or math.prod(arr.shape[1:]) != h * w:
            raise ValueError(f"Augment: a batch of shape {arr.shape} does not hold images of shape {(h, w)}; "
                             f"expected (N, {h * w}) or (N, {h}, {w})")
        return arr.reshape(len(arr), h, w).astype(np.float64)

    def __repr__(self) -> str:
        return f"Augment({', '.join(map(repr, self.transforms))}, image_shape={self.image_shape})"


def _images(images: Any, where: str) -> np.ndarray:
    arr = np.asarray(images, dtype=np.float64)
    if arr.ndim != 3:
        raise ValueError(f"{where}: expected a batch of images (N, H, W), got shape {arr.shape}")
    return arr
