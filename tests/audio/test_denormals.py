"""The denormal guard: fast silence after a sound, the same audible output, mode restored."""

from __future__ import annotations

import time

import numpy as np
import pedalboard
import pytest

from loopmill.audio import denormals
from loopmill.audio.denormals import no_denormals

SR = 44100


def _sparse(seconds: int = 20) -> np.ndarray:
    """A burst of noise every 4 s, silence between: a ladder's state decays to denormals."""
    x = np.zeros((1, seconds * SR), dtype=np.float32)
    rng = np.random.default_rng(0)
    for k in range(0, seconds, 4):
        x[0, k * SR:k * SR + SR // 4] = rng.uniform(-0.3, 0.3, SR // 4)
    return x


def _ladder(x: np.ndarray) -> tuple[np.ndarray, float]:
    lad = pedalboard.LadderFilter(mode=pedalboard.LadderFilter.Mode.LPF24, cutoff_hz=2000.0,
                                  resonance=0.2)
    t = time.thread_time()
    y = lad(x, SR)
    return y, time.thread_time() - t


@pytest.mark.skipif(not denormals.supported(), reason="no FTZ/DAZ control on this platform")
def test_flush_changes_only_denormal_sized_values_and_is_faster() -> None:
    x = _sparse()
    slow, t_slow = _ladder(x)
    with no_denormals():
        fast, t_fast = _ladder(x)
    tiny = np.finfo(np.float32).tiny
    assert np.count_nonzero(np.abs(slow) < tiny) > 0  # the plain run does go denormal
    assert np.count_nonzero((fast != 0) & (np.abs(fast) < tiny)) == 0  # flushed
    assert float(np.max(np.abs(fast - slow))) < 1e-36
    audible = np.abs(slow) > 1e-6
    np.testing.assert_array_equal(fast[audible], slow[audible])
    assert t_fast < 0.5 * t_slow


def test_mode_is_restored_after_the_block_and_after_an_exception() -> None:
    x = _sparse(8)
    before, _ = _ladder(x)
    with pytest.raises(RuntimeError), no_denormals():
        raise RuntimeError("inside")
    after, _ = _ladder(x)
    np.testing.assert_array_equal(before, after)  # denormals are back: the same bits
