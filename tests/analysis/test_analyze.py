from __future__ import annotations

import json

import numpy as np
import pytest

from loopmill.analysis import analyze
from loopmill.errors import BadInputError
from tests.analysis.synth import SR, chord_progression, drum_pattern


def _song() -> tuple[np.ndarray, np.ndarray]:
    drums, _, downbeats = drum_pattern(110, bars=8, offset=0.3, seed=5)
    chords = chord_progression(9, "minor", chord_seconds=4 * 60 / 110, repeats=2, seed=5)
    n = min(drums.shape[1], chords.shape[1] + int(0.3 * SR))
    pad = np.zeros((2, int(0.3 * SR)), np.float32)
    harm = np.concatenate([pad, chords], axis=1)[:, :n]
    return (0.6 * drums[:, :n] + 0.4 * harm).astype(np.float32), downbeats


def test_analyze_song(loudness_module: bool) -> None:
    y, downbeats = _song()
    a = analyze(y, sr=SR)
    assert a.bpm == pytest.approx(110, rel=0.005)
    assert a.beats_per_bar == 4
    assert a.channels == 2 and a.sr == SR
    assert a.duration == pytest.approx(y.shape[1] / SR)
    err = np.abs(a.downbeats[:, None] - downbeats[None, :]).min(axis=1)
    assert (err <= 0.02).all()
    assert (a.key.tonic, a.key.mode) == ("A", "minor")
    assert -40 < a.loudness_lufs < 0
    assert a.true_peak_db <= 1.0
    d = a.to_dict()
    assert "features" not in d
    assert json.loads(json.dumps(d)) == d
    assert d["key"] == "A minor" and d["beats_per_bar"] == 4


def test_analyze_is_deterministic(loudness_module: bool) -> None:
    y, _ = _song()
    a, b = analyze(y, sr=SR), analyze(y.copy(), sr=SR)
    assert a.to_dict() == b.to_dict()
    np.testing.assert_array_equal(a.features.onset_env, b.features.onset_env)


def test_given_meter(loudness_module: bool) -> None:
    y, _ = _song()
    assert analyze(y, sr=SR, beats_per_bar=3).beats_per_bar == 3


@pytest.mark.parametrize("level", [0.0, 1e-5])
def test_silence(level: float) -> None:
    y = np.full((2, 10 * SR), level, np.float32)
    y[:, ::2] *= -1
    with pytest.raises(BadInputError, match=r"^audio is silent; nothing to analyse$"):
        analyze(y, sr=SR)


def test_too_short() -> None:
    y = np.random.default_rng(0).standard_normal((2, int(0.4 * SR))).astype(np.float32)
    with pytest.raises(BadInputError, match=r"audio is 0\.40 s long, too short to hold two beats"):
        analyze(y, sr=SR)


def test_bad_shape() -> None:
    with pytest.raises(BadInputError, match="channels, samples"):
        analyze(np.zeros((2, 2, 2), np.float32), sr=SR)
