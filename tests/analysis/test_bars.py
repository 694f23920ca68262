from __future__ import annotations

import numpy as np
import pytest

from loopmill.analysis import compute_features, find_downbeats, track_beats
from loopmill.errors import BadInputError
from tests.analysis.synth import SR, click_track, drum_pattern, song, waltz


def _check(y: np.ndarray, downbeats: np.ndarray, meter: int, **kw: int) -> None:
    f = compute_features(y, sr=SR)
    track = track_beats(sr=SR, features=f)
    found, m = find_downbeats(features=f, beats=track.beats, **kw)
    assert m == meter
    assert set(found).issubset(set(track.beats))
    # every detected downbeat is a true bar line, and nearly every bar line is found
    err = np.abs(found[:, None] - downbeats[None, :]).min(axis=1)
    assert (err <= 0.02).all()
    assert len(found) >= len(downbeats) - 1


@pytest.mark.parametrize("bpm", [72, 128, 174])
@pytest.mark.parametrize("meter", [3, 4])
@pytest.mark.parametrize("kind", ["noise", "sine"])
def test_accented_clicks(bpm: float, meter: int, kind: str) -> None:
    y, _, downbeats = click_track(
        bpm, beats_per_bar=meter, kind=kind, duration=20.0, offset=0.61, seed=meter
    )
    _check(y, downbeats, meter)


@pytest.mark.parametrize("bpm", [90, 124])
def test_drum_pattern_with_bass_changes(bpm: float) -> None:
    # kick on 1 and 3 alone cannot tell beat 1 from beat 3; the bass note changes can
    y, _, downbeats = drum_pattern(bpm, bars=10, offset=0.4, seed=2)
    _check(y, downbeats, 4)


@pytest.mark.parametrize("bpm", [90, 150])
def test_waltz(bpm: float) -> None:
    y, _, downbeats = waltz(bpm)
    _check(y, downbeats, 3)


@pytest.mark.parametrize(("bpm", "seed"), [(70, 0), (132, 1), (165, 1)])
def test_song(bpm: float, seed: int) -> None:
    y, _, downbeats = song(bpm, seed=seed)
    _check(y, downbeats, 4)


def test_given_meter_only_finds_phase() -> None:
    y, _, downbeats = click_track(100, beats_per_bar=3, duration=16.0)
    _check(y, downbeats, 3, beats_per_bar=3)


def test_bad_meter() -> None:
    y, beats, _ = click_track(100, duration=6.0)
    f = compute_features(y, sr=SR)
    with pytest.raises(BadInputError, match="beats_per_bar=0"):
        find_downbeats(features=f, beats=beats, beats_per_bar=0)
