"""Splicing: continuity at the wrap and constant level through the crossfade."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.errors import BadInputError
from loopmill.loops.splice import align_splice, crossfade_gains, cut_loop
from tests.synth import SR, progression_track


def _wrap_steps(loop: np.ndarray) -> np.ndarray:
    """Sample steps of the loop played twice, the wrap included: ``[C, T]``."""
    return np.abs(np.diff(np.concatenate([loop, loop[:, :1]], axis=1), axis=1))


def test_periodic_signal_seam_has_no_larger_step_than_the_signal() -> None:
    # Period of 1.7 s is not a whole number of samples at 44.1 kHz' 82 Hz partial,
    # and the proposed end is 3 ms off: alignment and crossfade must fix both.
    y, bar = progression_track(bpm=97, repeats=3, noise=0.0, seed=2)
    b = round(bar)
    start, end = align_splice(y, sr=SR, start=b, end=b + 4 * b + 130)
    loop = cut_loop(y, start=start, end=end, crossfade=round(0.02 * SR))
    own_max = np.abs(np.diff(y, axis=1)).max()
    assert _wrap_steps(loop).max() <= own_max * 1.0001
    # The alignment put the loop length back on the true period (within 1 sample/bar).
    assert abs((end - start) - 4 * bar) <= 4


def test_crossfade_keeps_the_level_for_correlated_and_uncorrelated_material() -> None:
    rng = np.random.default_rng(3)
    n = SR
    for correlation, b_signal in ((1.0, None), (0.0, rng.standard_normal(n))):
        a = rng.standard_normal(n)
        b = a if b_signal is None else b_signal
        fade_in, fade_out = crossfade_gains(n, correlation=correlation)
        mixed = a * fade_in + b * fade_out
        blocks = mixed.reshape(20, -1)
        level_db = 10 * np.log10(np.mean(blocks**2, axis=1))
        assert np.all(np.abs(level_db) < 0.5), level_db


def test_cut_loop_lays_the_tail_under_the_start() -> None:
    rng = np.random.default_rng(4)
    y = rng.standard_normal((2, 10 * SR)).astype(np.float32)
    loop = cut_loop(y, start=SR, end=5 * SR, crossfade=441)
    assert loop.shape == (2, 4 * SR)
    # The first sample continues the track past the end; after the fade it is the start.
    np.testing.assert_allclose(loop[:, 0], y[:, 5 * SR], atol=0.05)
    np.testing.assert_array_equal(loop[:, 441:], y[:, SR + 441 : 5 * SR])


def test_cut_loop_without_a_tail_uses_a_head_wrap() -> None:
    rng = np.random.default_rng(5)
    y = rng.standard_normal((1, 4 * SR)).astype(np.float32)
    loop = cut_loop(y, start=SR, end=4 * SR, crossfade=441)
    np.testing.assert_allclose(loop[:, -1], y[:, SR - 1], atol=0.05)
    np.testing.assert_array_equal(loop[:, :100], y[:, SR : SR + 100])


def test_cut_loop_rejects_points_outside_the_audio() -> None:
    y = np.zeros((1, 1000), np.float32)
    with pytest.raises(BadInputError, match="does not fit"):
        cut_loop(y, start=500, end=2000, crossfade=10)
