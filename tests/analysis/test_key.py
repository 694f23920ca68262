from __future__ import annotations

import numpy as np
import pytest

from loopmill.analysis import Key, compute_features, estimate_key
from tests.analysis.synth import SR, _tone, chord_progression, drum_pattern, midi_hz

KEYS = range(12)


def _key(y: np.ndarray) -> Key:
    return estimate_key(features=compute_features(y, sr=SR))


@pytest.mark.parametrize("mode", ["major", "minor"])
def test_progressions_in_all_keys(mode: str) -> None:
    correct = 0
    for tonic in KEYS:
        key = _key(chord_progression(tonic, mode, variant=tonic, seed=tonic))
        correct += key.pitch_class == tonic and key.mode == mode
    assert correct >= 11  # >= 7/8 required; all 12 pass today


def test_spelling_and_str() -> None:
    assert str(_key(chord_progression(2, "minor"))) == "D minor"
    assert str(_key(chord_progression(6, "major"))) == "F# major"
    assert str(_key(chord_progression(10, "major"))) == "Bb major"
    assert str(_key(chord_progression(3, "minor", variant=1))) == "Eb minor"


@pytest.mark.parametrize("cents", [-45.0, 35.0])
def test_detuned(cents: float) -> None:
    y = chord_progression(7, "major", detune_cents=cents)
    f = compute_features(y, sr=SR)
    assert f.tuning == pytest.approx(cents / 100, abs=0.05)
    key = estimate_key(features=f)
    assert (key.tonic, key.mode) == ("G", "major")


def test_noise_robustness() -> None:
    rng = np.random.default_rng(7)
    for tonic, mode in [(2, "minor"), (9, "major"), (4, "minor")]:
        y = chord_progression(tonic, mode, seed=tonic)
        noise = rng.standard_normal(y.shape).astype(np.float32)
        noise *= np.sqrt(np.mean(y**2) / np.mean(noise**2))  # 0 dB SNR white noise
        key = _key(y + noise)
        assert key.pitch_class == tonic and key.mode == mode


def test_confidence_is_low_for_noise() -> None:
    y = np.random.default_rng(0).standard_normal((2, 5 * SR)).astype(np.float32) * 0.1
    assert _key(y).confidence < 0.6


def test_bass_chroma_follows_the_bass_under_drums() -> None:
    # Kick (a 50-110 Hz sweep), snare and hats on every beat; the bass changes per bar.
    notes = (40, 45, 43, 38, 41, 36)  # E2 A2 G2 D2 F2 C2
    y, _, downbeats = drum_pattern(120.0, bars=6, bass_notes=notes)
    f = compute_features(y, sr=SR)
    bar = 2.0  # seconds at 120 BPM
    for note, t0 in zip(notes, downbeats, strict=True):
        frames = f.time_to_frame(np.linspace(t0 + 0.4, t0 + bar - 0.4, 8))
        assert int(np.argmax(f.bass_chroma[:, frames].sum(axis=1))) == note % 12


@pytest.mark.parametrize(("bass", "key"), [(45, "A minor"), (48, "C major")])
def test_the_bass_decides_between_relative_keys(bass: int, key: str) -> None:
    # C E G A over A is Am7, over C it is C6: the same four notes, the bass names the key.
    # The bass is soft (the full-range chroma alone reads C major for both; checked
    # when this test was written), so it is the bass term that must decide.
    n = 8 * SR
    pad = sum(_tone(midi_hz(m), n, harmonics=5) for m in (60, 64, 67, 69))
    mono = np.asarray(pad) + 0.5 * _tone(midi_hz(bass), n, harmonics=3)
    y = np.stack([mono, mono]).astype(np.float32) * 0.1
    assert str(_key(y)) == key
