"""The composer writes in the asked key: loopmill's own key finder must agree."""

from __future__ import annotations

from loopmill.analysis import analyze
from loopmill.engines.composer.theory import parse_tonic
from loopmill.pipeline.generate import generate

TONICS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


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
