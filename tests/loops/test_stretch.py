"""Exact-tempo stretching: length to the sample, seam kept, pitch kept."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.errors import BadInputError
from loopmill.loops.seam import seam_score
from loopmill.loops.stretch import loop_length_samples, stretch_loop
from tests.synth import SR, progression_track


@pytest.mark.parametrize(("bpm", "expected"), [(90.0, 470400), (120.0, 352800), (128.0, 330750)])
def test_loop_length_is_exact(bpm: float, expected: int) -> None:
    assert loop_length_samples(bars=4, beats_per_bar=4, bpm=bpm, sr=SR) == expected


def test_stretch_gives_the_requested_length_and_keeps_the_seam() -> None:
    y, bar = progression_track(bpm=100, repeats=1, noise=0.0)
    loop = y[:, : round(4 * bar)]
    target = loop_length_samples(bars=4, beats_per_bar=4, bpm=90.0, sr=SR)
    out = stretch_loop(loop, sr=SR, length=target)
    assert out.shape == (2, target)
    assert out.dtype == np.float32
    assert seam_score(out, sr=SR, start=0, end=target) < 0.3
    # Pitch is kept: the strongest partial of the first chord stays at C4 (261.6 Hz).
    seg = out[0, SR // 10 : SR // 10 + 16384]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    freqs = np.fft.rfftfreq(len(seg), 1 / SR)
    band = (freqs > 150) & (freqs < 450)
    peaks = freqs[band][np.argsort(spec[band])[-3:]]
    assert np.min(np.abs(peaks - 261.63)) < 3.0


def test_stretch_refuses_extreme_ratios() -> None:
    loop = np.zeros((1, SR), np.float32)
    loop[0, ::100] = 1.0
    with pytest.raises(BadInputError, match=r"beyond 0\.5-2\.0"):
        stretch_loop(loop, sr=SR, length=SR * 3)
    with pytest.raises(BadInputError, match="out of range"):
        loop_length_samples(bars=1, beats_per_bar=4, bpm=0.0, sr=SR)
