"""Loudness (BS.1770-4) and true peak against known answers and pyloudnorm."""

from __future__ import annotations

import math

import numpy as np
import pytest

from loopmill.audio import integrated_loudness, normalize_loudness, true_peak
from loopmill.errors import BadInputError


def _sine(freq: float, sr: int, seconds: float, phase: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    return np.sin(2 * np.pi * freq * t + phase).astype(np.float32)


@pytest.mark.parametrize("sr", [44100, 48000])
def test_bs1770_reference_sine(sr: int) -> None:
    s = _sine(997, sr, 5.0)
    one = np.stack([s, np.zeros_like(s)])
    assert integrated_loudness(one, sr=sr) == pytest.approx(-3.01, abs=0.05)
    assert integrated_loudness(np.stack([s, s]), sr=sr) == pytest.approx(0.0, abs=0.05)


def _pyloudnorm(y: np.ndarray, sr: int) -> float:
    import pyloudnorm

    return float(pyloudnorm.Meter(sr).integrated_loudness(y.T.astype(np.float64)))


@pytest.mark.parametrize("sr", [44100, 48000])
def test_agrees_with_pyloudnorm(sr: int) -> None:
    rng = np.random.default_rng(sr)
    noise = (0.1 * rng.standard_normal((2, 6 * sr))).astype(np.float32)
    noise[:, : sr // 2] *= 0.001  # a quiet stretch for the gates to drop
    mix = np.stack([_sine(220, sr, 6.0), _sine(3000, sr, 6.0)]) * 0.3 + 0.5 * noise
    for y in (noise, mix.astype(np.float32)):
        assert integrated_loudness(y, sr=sr) == pytest.approx(_pyloudnorm(y, sr), abs=0.05)


def test_long_stereo_measured_on_two_threads_agrees_with_pyloudnorm() -> None:
    # 15 s is past the length where the two channels are filtered on two threads.
    sr = 44100
    rng = np.random.default_rng(7)
    y = np.stack([_sine(440, sr, 15.0) * 0.2, (0.05 * rng.standard_normal(15 * sr))])
    y = y.astype(np.float32)
    y[1, : 3 * sr] *= 0.01  # the channels differ: a swapped or shared result would show
    assert integrated_loudness(y, sr=sr) == pytest.approx(_pyloudnorm(y, sr), abs=0.05)
    assert integrated_loudness(y, sr=sr) != pytest.approx(
        integrated_loudness(y[::-1].copy() * np.float32([[1.0], [0.5]]), sr=sr), abs=0.5
    )


def test_silence_and_gated_out() -> None:
    assert integrated_loudness(np.zeros((2, 48000), np.float32), sr=48000) == -math.inf
    tiny = np.full((1, 48000), 1e-6, np.float32)  # DC at -120 dBFS: below the -70 gate
    assert integrated_loudness(tiny, sr=48000) == -math.inf
    assert true_peak(np.zeros((2, 1000), np.float32), sr=48000) == -math.inf


def test_short_audio_is_one_block() -> None:
    s = _sine(997, 48000, 0.2)
    assert integrated_loudness(np.stack([s, s]), sr=48000) == pytest.approx(0.0, abs=0.1)


def test_true_peak_between_samples() -> None:
    sr = 48000
    s = _sine(sr / 4, sr, 1.0, phase=np.pi / 4)  # samples at ±0.707, crest 1.0 between
    sample_peak = 20 * np.log10(np.abs(s).max())
    tp = true_peak(s[np.newaxis], sr=sr)
    assert sample_peak == pytest.approx(-3.01, abs=0.01)
    assert tp > sample_peak + 2.5
    assert tp == pytest.approx(0.0, abs=0.2)


def test_true_peak_finds_a_lone_transient() -> None:
    """A quiet bed with one loud inter-sample peak: the screening must keep that block."""
    sr = 44100
    rng = np.random.default_rng(3)
    y = (0.01 * rng.standard_normal((2, 10 * sr))).astype(np.float32)
    burst = 0.5 * _sine(sr / 4, sr, 0.01, phase=np.pi / 4)
    y[1, 7 * sr : 7 * sr + burst.size] += burst
    import soxr

    full = soxr.resample(np.ascontiguousarray(y.T), sr, 4 * sr, quality="HQ")
    reference = 20 * np.log10(np.abs(full).max())  # oversampling everything
    assert reference > 20 * np.log10(np.abs(y).max()) + 1.0
    assert true_peak(y, sr=sr) == pytest.approx(reference, abs=0.01)


def test_normalize_hits_target() -> None:
    sr = 48000
    rng = np.random.default_rng(5)
    y = (0.01 * rng.standard_normal((2, 5 * sr))).astype(np.float32)
    out, gain = normalize_loudness(y, sr=sr, target_lufs=-20.0, true_peak_db=-1.0)
    assert out.dtype == np.float32 and out.shape == y.shape
    assert integrated_loudness(out, sr=sr) == pytest.approx(-20.0, abs=0.1)
    assert gain == pytest.approx(-20.0 - integrated_loudness(y, sr=sr), abs=1e-6)


def test_normalize_respects_ceiling() -> None:
    sr = 48000
    rng = np.random.default_rng(6)
    y = (0.05 * rng.standard_normal((2, 5 * sr))).astype(np.float32)
    y[0, sr] = 0.9  # a spike that the target gain would push far over 0 dBTP
    out, gain = normalize_loudness(y, sr=sr, target_lufs=-8.0, true_peak_db=-1.0)
    assert true_peak(out, sr=sr) == pytest.approx(-1.0, abs=0.05)
    assert integrated_loudness(out, sr=sr) < -8.0 - 1.0
    assert gain == pytest.approx(-1.0 - true_peak(y, sr=sr), abs=1e-6)


def test_normalize_silent_raises() -> None:
    with pytest.raises(BadInputError, match=r"^audio is silent; nothing to normalise$"):
        normalize_loudness(np.zeros((1, 48000), np.float32), sr=48000)
