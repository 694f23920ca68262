from __future__ import annotations

import numpy as np
import pytest

from loopmill.analysis import compute_features, track_beats
from loopmill.errors import BadInputError
from tests.analysis.synth import SR, click_track, drum_pattern, song


def _hit_rate(found: np.ndarray, truth: np.ndarray, tol: float) -> float:
    err = np.abs(found[None, :] - truth[:, None]).min(axis=1)
    return float(np.mean(err <= tol))


@pytest.mark.parametrize("bpm", [60, 90, 128, 174])
@pytest.mark.parametrize("kind", ["noise", "sine"])
def test_click_track_tempo_and_beats(bpm: float, kind: str) -> None:
    y, beats, _ = click_track(bpm, duration=24.0, kind=kind, seed=bpm)
    track = track_beats(y, sr=SR)
    assert track.bpm == pytest.approx(bpm, rel=0.005)  # the exact metrical level
    assert track.bpm == pytest.approx(bpm, rel=0.0005)  # in practice ~0.005 %
    assert _hit_rate(track.beats, beats, 0.015) >= 0.9
    assert abs(len(track.beats) - len(beats)) <= 1
    assert track.confidence > 0.8


@pytest.mark.parametrize("bpm", [95, 140, 174])
def test_drum_pattern_beats(bpm: float) -> None:
    y, beats, _ = drum_pattern(bpm, seed=1)
    track = track_beats(y, sr=SR)
    assert track.bpm == pytest.approx(bpm, rel=0.005)
    assert _hit_rate(track.beats, beats, 0.015) >= 0.9


@pytest.mark.parametrize("bpm", [70, 84, 150])
def test_song_backbeat_level(bpm: float) -> None:
    # kick/snare on the beats, hi-hats on the eighths: the beat is the backbeat level
    y, beats, _ = song(bpm, seed=3)
    track = track_beats(y, sr=SR)
    assert track.bpm == pytest.approx(bpm, rel=0.005)
    assert _hit_rate(track.beats, beats, 0.015) >= 0.9


@pytest.mark.parametrize(("bpm", "start_bpm", "expected"), [(174, 87, 87), (128, 60, 64)])
def test_start_bpm_selects_metrical_level(bpm: float, start_bpm: float, expected: float) -> None:
    y, beats, _ = click_track(bpm, duration=20.0)
    track = track_beats(y, sr=SR, start_bpm=start_bpm)
    assert track.bpm == pytest.approx(expected, rel=0.005)
    # the slower level's beats are every other click
    assert (
        _hit_rate(track.beats, beats[::2], 0.015) >= 0.9
        or _hit_rate(track.beats, beats[1::2], 0.015) >= 0.9
    )


def test_precomputed_features_give_same_result() -> None:
    y, _, _ = click_track(100, duration=12.0)
    a = track_beats(y, sr=SR)
    b = track_beats(sr=SR, features=compute_features(y, sr=SR))
    assert a.bpm == b.bpm
    np.testing.assert_array_equal(a.beats, b.beats)


def test_bad_arguments() -> None:
    with pytest.raises(BadInputError, match="needs audio"):
        track_beats(sr=SR)
    y, _, _ = click_track(120, duration=4.0)
    with pytest.raises(BadInputError, match="start_bpm=300"):
        track_beats(y, sr=SR, start_bpm=300)
    with pytest.raises(BadInputError, match="bpm_range"):
        track_beats(y, sr=SR, bpm_range=(200, 100))
    with pytest.raises(BadInputError, match=r"0\.50 s long"):
        track_beats(y[:, : SR // 2], sr=SR)
