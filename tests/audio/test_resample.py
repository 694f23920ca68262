"""Resampling: output length and preserved pitch."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.audio import resample
from loopmill.errors import BadInputError


@pytest.mark.parametrize(("orig", "target"), [(32000, 44100), (44100, 48000), (48000, 22050)])
def test_length_and_frequency(orig: int, target: int) -> None:
    n = orig + 777
    t = np.arange(n) / orig
    y = np.stack([np.sin(2 * np.pi * 1000 * t), np.sin(2 * np.pi * 3000 * t)]).astype(np.float32)
    z = resample(y, orig_sr=orig, target_sr=target)
    assert z.dtype == np.float32 and z.flags.c_contiguous
    assert z.shape == (2, round(n * target / orig))
    for c, freq in enumerate((1000, 3000)):
        spectrum = np.abs(np.fft.rfft(z[c] * np.hanning(z.shape[1])))
        peak_hz = np.argmax(spectrum) * target / z.shape[1]
        assert peak_hz == pytest.approx(freq, abs=2 * target / z.shape[1])


def test_identity_and_validation() -> None:
    y = np.ones((1, 10), np.float64)
    z = resample(y, orig_sr=8000, target_sr=8000)
    assert z.dtype == np.float32 and z.shape == (1, 10)
    with pytest.raises(BadInputError, match="quality 'best' is unknown"):
        resample(y, orig_sr=8000, target_sr=16000, quality="best")
    with pytest.raises(BadInputError, match="orig_sr=0"):
        resample(y, orig_sr=0, target_sr=16000)
