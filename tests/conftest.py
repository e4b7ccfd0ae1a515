"""Shared pytest setup: a fixed default dtype per test, so a test that changes it cannot leak."""

import numpy as np
import pytest

import tinygrad_notes as tn


@pytest.fixture(autouse=True)
def _restore_default_dtype():
    before = tn.get_default_dtype()
    yield
    tn.set_default_dtype(before)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
