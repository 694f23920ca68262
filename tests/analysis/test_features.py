from __future__ import annotations

import numpy as np
import pytest

from loopmill.analysis import compute_features, mel_filterbank
from loopmill.errors import BadInputError
from tests.analysis.synth import SR, chord_progression


def _tone(freq: float, seconds: float = 3.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    x = 0.5 * np.sin(2 * np.pi * freq * t)
    return np.stack([x, x]).astype(np.float32)


def test_shapes_and_frame_times() -> None:
    y = _tone(440.0, 2.0)
    f = compute_features(y, sr=SR)
    n = int(2.0 * 22050)
    n_frames = 1 + n // 512
    assert f.sr == 22050 and f.hop_length == 512 and f.n_fft == 2048
    assert f.mel_db.shape == (64, n_frames)
    assert f.chroma.shape == (12, n_frames)
    assert f.rms.shape == f.onset_env.shape == (n_frames,)
    assert all(a.dtype == np.float32 for a in (f.mel_db, f.chroma, f.rms, f.onset_env))
    times = f.frame_times()
    assert times[0] == 0.0 and times[1] == pytest.approx(512 / 22050)
    assert f.duration == pytest.approx(2.0)
    # centred frames: a steady 0.5-amplitude sine has RMS 0.5/sqrt(2) mid-signal
    assert f.rms[n_frames // 2] == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_mel_filterbank_slaney() -> None:
    fb = mel_filterbank(sr=22050, n_fft=2048)
    assert fb.shape == (64, 1025)
    assert (fb >= 0).all()
    # every band is a triangle with non-zero support
    assert (fb.max(axis=1) > 0).all()
    # slaney area normalisation: sum of weights * bin width is ~2 / (2 bandwidth)... ~1
    area = fb.sum(axis=1) * (22050 / 2048)
    assert np.allclose(area[8:], 1.0, rtol=0.15)


def test_chroma_of_a_tone_and_tuning() -> None:
    f = compute_features(_tone(440.0), sr=SR)
    assert int(np.argmax(f.chroma.mean(axis=1))) == 9  # A
    assert abs(f.tuning) < 0.05
    sharp = compute_features(_tone(440.0 * 2 ** (0.3 / 12)), sr=SR)
    assert sharp.tuning == pytest.approx(0.3, abs=0.05)
    assert int(np.argmax(sharp.chroma.mean(axis=1))) == 9


def test_onset_env_peaks_at_chord_changes() -> None:
    y = chord_progression(0, "major", chord_seconds=1.0, repeats=1)
    f = compute_features(y, sr=SR)
    frames = f.time_to_frame(np.array([1.0, 2.0, 3.0]))
    on = [f.onset_env[max(0, i - 3) : i + 4].max() for i in frames]
    assert min(on) > 3 * float(np.median(f.onset_env))


def test_mono_input_and_other_rates() -> None:
    y = _tone(440.0, 1.0, sr=48000)[0]
    f = compute_features(y, sr=48000)
    assert f.duration == pytest.approx(1.0)
    assert f.mel_db.shape[1] == 1 + 22050 // 512


@pytest.mark.parametrize(
    ("y", "kwargs", "match"),
    [
        (np.zeros((2, 3, 4), np.float32), {"sr": SR}, "3 dimensions"),
        (np.zeros((1000, 2), np.float32), {"sr": SR}, "transpose"),
        (np.full((1, 100), np.nan, np.float32), {"sr": SR}, "NaN"),
        (np.zeros((1, 0), np.float32), {"sr": SR}, "empty"),
        (np.zeros((1, 100), np.float32), {"sr": 0}, "sr=0"),
        (np.zeros((1, 100), np.float32), {"sr": SR, "hop_length": 0}, "hop_length=0"),
    ],
)
def test_bad_input(y: np.ndarray, kwargs: dict, match: str) -> None:
    with pytest.raises(BadInputError, match=match):
        compute_features(y, **kwargs)
