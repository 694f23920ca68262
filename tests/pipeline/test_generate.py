"""generate() with the composer: determinism, seams, tempo, lengths, genres."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.analysis import analyze
from loopmill.errors import BadInputError
from loopmill.pipeline.generate import generate

SR = 44100


def test_same_seed_same_audio_and_other_seed_other_music() -> None:
    a = generate("synthwave, D minor, 90 BPM", seed=11, max_duration=12)
    b = generate("synthwave, D minor, 90 BPM", seed=11, max_duration=12)
    c = generate("synthwave, D minor, 90 BPM", seed=12, max_duration=12)
    np.testing.assert_array_equal(a.audio, b.audio)
    assert a.audio.shape == c.audio.shape
    assert not np.allclose(a.audio, c.audio)
    assert a.extra["seed"] == 11


def test_random_seed_is_recorded_and_reproduces() -> None:
    a = generate("lofi, F major, 80 BPM", seed=-1, max_duration=12)
    seed = a.extra["seed"]
    assert isinstance(seed, int) and seed >= 0
    b = generate("lofi, F major, 80 BPM", seed=seed, max_duration=12)
    np.testing.assert_array_equal(a.audio, b.audio)


@pytest.mark.parametrize(
    ("prompt", "bpm"),
    [
        ("house, G minor", 124.0),
        ("rock, E minor", 130.0),
        ("jazz lounge, Bb major", 120.0),
        ("chiptune, A minor", 150.0),
        ("synthwave, D minor", 90.0),
    ],
)
def test_exact_length_seamless_and_tempo_detected(prompt: str, bpm: float) -> None:
    loop = generate(prompt, bpm=bpm, seed=3, min_duration=8, max_duration=20)
    # Whole bars at exactly the tempo, to the sample.
    assert loop.length == round(loop.bars * 4 * 60 * SR / bpm)
    assert 8.0 <= loop.duration <= 20.0
    # The limiter flattens the loop's own strongest hits, so the wrap can tie with them
    # to within float noise (seen: 1.4e-5); 0.05 means at most 3.5 % more abrupt.
    assert loop.seam_score < 0.05
    detected = analyze(np.tile(loop.audio, 2), sr=SR).bpm
    ratio = detected / bpm
    assert min(abs(ratio - r) for r in (0.5, 1.0, 2.0)) / ratio < 0.01, detected


def test_post_stage_loudness_and_no_clipping() -> None:
    loop = generate("energetic house, 126 BPM", seed=5, max_duration=12)
    assert loop.true_peak_db <= -1.0 + 1e-6
    assert loop.loudness_lufs <= -14.0 + 0.5
    assert np.abs(loop.audio).max() < 1.0


GENRES = ("synthwave", "lofi", "ambient", "chiptune", "orchestral", "house", "rock", "jazz")


def _centroid(y: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(y.mean(axis=0)))
    freqs = np.fft.rfftfreq(y.shape[1], 1 / SR)
    return float((spec * freqs).sum() / spec.sum())


def _onset_density(y: np.ndarray, duration: float) -> float:
    """Onsets per second: peaks of the onset curve above its mean + std/2."""
    env = analyze(y, sr=SR, loudness=False).features.onset_env
    mid = env[1:-1]
    peaks = (mid > env[:-2]) & (mid >= env[2:]) & (mid > env.mean() + 0.5 * env.std())
    return float(peaks.sum()) / duration


def test_onset_density_counts_a_click_track() -> None:
    from tests.synth import click_track

    y = click_track(bpm=120.0, seconds=10.0, sr=SR)
    assert _onset_density(y, 10.0) == pytest.approx(2.0, abs=0.2)


def test_all_eight_genres_differ_measurably() -> None:
    """Every pair of genres differs by spectral centroid, onset density or tempo."""
    stats = {}
    for g in GENRES:
        loop = generate(g, seed=2, min_duration=8, max_duration=16)  # the genre's own tempo
        stats[g] = (_centroid(loop.audio), _onset_density(loop.audio, loop.duration), loop.bpm)
    alike = []
    for i, a in enumerate(GENRES):
        for b in GENRES[i + 1:]:
            ratios = [max(x, y) / min(x, y) for x, y in zip(stats[a], stats[b], strict=True)]
            if ratios[0] < 1.25 and ratios[1] < 1.25 and ratios[2] < 1.1:
                alike.append(f"{a}~{b}: {ratios}")
    assert not alike, (alike, stats)
    # and the obvious orderings hold
    assert stats["chiptune"][0] > 2 * stats["ambient"][0]
    assert stats["house"][1] > stats["orchestral"][1]
    assert stats["ambient"][2] < stats["house"][2]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bpm": 300}, "^bpm 300 is out of range"),
        ({"min_duration": 40, "max_duration": 20}, "^min_duration 40 is longer"),
        ({"key": "H minor"}, "unknown key 'H minor'"),
        ({"min_duration": 4}, "^min_duration 4 is out of range"),
        ({"engine": "musicbox"}, "^unknown engine 'musicbox'"),
        ({"sample_rate": 22050}, "^sample_rate 22050 is not supported"),
        ({"bpm": 90, "min_duration": 9, "max_duration": 10}, "no whole number of bars"),
    ],
)
def test_bad_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        generate("synthwave", seed=1, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("prompt", ["ambient", "energetic orchestral"])
def test_odd_bar_count_fills_every_bar(prompt: str) -> None:
    # A 3-bar loop used to leave its last bar without its chord (ambient changes
    # chords every 2 bars) or without melody (2-bar phrases): the wrap scored 0.3-0.6,
    # a jump more abrupt than anything inside the loop.
    loop = generate(prompt, bpm=69, key="G minor", seed=2, min_duration=8, max_duration=12)
    assert loop.bars == 3
    assert loop.seam_score < 0.05
