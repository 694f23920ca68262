"""The composer writes in the asked key: loopmill's own key finder must agree."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.analysis import analyze
from loopmill.engines.composer.engine import ComposerEngine
from loopmill.engines.composer.theory import parse_tonic
from loopmill.pipeline.generate import generate
from loopmill.prompts import parse_prompt

TONICS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
SR = 22050
#: genre -> prompt and tempo (as benchmarks/composer_quality.py renders them)
PROMPTS = {
    "rock": ("energetic rock", 120), "world": ("world percussion", 110),
    "chiptune": ("energetic chiptune", 140), "jazz": ("smooth jazz lounge", 100),
    "metal": ("aggressive metal", 150), "house": ("deep house", 124),
    "synthwave": ("mysterious synthwave", 96), "dnb": ("energetic drum and bass", 172),
    "trap": ("dark trap", 140),
}


def _keys(n: int) -> list[str]:
    """``n`` keys: every tonic, major and minor alternating (24: all 24 keys)."""
    modes = ("minor", "major")
    return [f"{TONICS[k % 12]} {modes[(k + k // 12) % 2]}" for k in range(n)]


def _misses(genre: str, keys: list[str], *, seed: int = 100) -> list[str]:
    """The keys of ``keys`` whose 16-bar composer loop is detected in another key."""
    prompt, bpm = PROMPTS[genre]
    eng, dur, out = ComposerEngine(), 16 * 240.0 / bpm, []
    for i, key in enumerate(keys):
        spec = parse_prompt(f"{prompt}, {key}, {bpm} BPM", genre=genre, seed=seed + i,
                            min_duration=dur - 0.01, max_duration=dur + 0.01)
        y = eng.render(eng.plan(spec, seed=seed + i), sr=SR, seed=seed + i)
        found = analyze(np.asarray(y), sr=SR, loudness=False).key
        tonic, mode = key.split()
        if found.mode != mode or found.pitch_class != parse_tonic(tonic):
            out.append(f"{genre} {key} -> {found}")
    return out


def test_requested_key_is_detected_in_at_least_90_percent_of_24_keys_x_2_genres() -> None:
    hits, misses = 0, []
    seed = 0
    for genre in ("synthwave", "lofi"):
        for tonic in TONICS:
            for mode in ("major", "minor"):
                loop = generate(genre, key=f"{tonic} {mode}", seed=seed, bpm=100, max_duration=20)
                seed += 1
                key = analyze(loop.audio, sr=loop.sr, loudness=False).key
                if key.mode == mode and parse_tonic(key.tonic) == parse_tonic(tonic):
                    hits += 1
                else:
                    misses.append(f"{genre} {tonic} {mode} -> {key}")
    assert hits >= 0.9 * 48, misses


def test_hard_genres_keys_pooled_over_12_keys_each() -> None:
    # The genres that were furthest below 90 % (rock 67 %, world 50 %, chiptune 67 % on
    # main), every tonic once (modes alternating): 33 of the 36 today.
    misses = [m for g in ("rock", "world", "chiptune") for m in _misses(g, _keys(12))]
    assert len(misses) <= 3, misses  # >= 33 of 36 (>= 90 %)


@pytest.mark.slow
@pytest.mark.parametrize("genre", sorted(PROMPTS))
def test_every_key_of_each_genre_is_detected_in_at_least_90_percent(genre: str) -> None:
    misses = _misses(genre, _keys(24))
    assert len(misses) <= 2, misses  # >= 22 of 24 (>= 90 %)
