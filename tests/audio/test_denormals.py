"""The denormal guard: fast silence after a sound, the same audible output, mode restored."""

from __future__ import annotations

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


def _ladder(x: np.ndarray) -> np.ndarray:
    lad = pedalboard.LadderFilter(mode=pedalboard.LadderFilter.Mode.LPF24, cutoff_hz=2000.0,
                                  resonance=0.2)
    return np.asarray(lad(x, SR))


@pytest.mark.skipif(not denormals.supported(), reason="no FTZ/DAZ control on this platform")
def test_flush_changes_only_denormal_sized_values() -> None:
    """What the guard changes; how much time it saves is benchmarks/denormals_bench.py's."""
    x = _sparse()
    slow = _ladder(x)
    with no_denormals():
        fast = _ladder(x)
    tiny = np.finfo(np.float32).tiny
    assert np.count_nonzero(np.abs(slow) < tiny) > 0  # the plain run does go denormal
    assert np.count_nonzero((fast != 0) & (np.abs(fast) < tiny)) == 0  # flushed
    assert float(np.max(np.abs(fast - slow))) < 1e-36
    audible = np.abs(slow) > 1e-6
    np.testing.assert_array_equal(fast[audible], slow[audible])


def test_mode_is_restored_after_the_block_and_after_an_exception() -> None:
    x = _sparse(8)
    before = _ladder(x)
    with pytest.raises(RuntimeError), no_denormals():
        raise RuntimeError("inside")
    after = _ladder(x)
    np.testing.assert_array_equal(before, after)  # denormals are back: the same bits
