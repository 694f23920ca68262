"""Shared synthetic signals for the audio tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def stereo() -> tuple[np.ndarray, int]:
    """Two seconds of seeded, band-limited-ish stereo noise plus a tone, 44.1 kHz."""
    sr = 44100
    rng = np.random.default_rng(1234)
    t = np.arange(2 * sr) / sr
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    y = np.stack([tone, np.roll(tone, 100)]) + 0.05 * rng.standard_normal((2, t.size))
    return y.astype(np.float32), sr
