"""The composer's pulse: echoes synced to the tempo, and loops whose tempo reads right."""

from __future__ import annotations

import numpy as np
import pedalboard
import pytest

from loopmill.analysis import analyze
from loopmill.engines.composer.effects import GENRE_CHAINS, ROLES, chain_for
from loopmill.engines.composer.engine import ComposerEngine
from loopmill.engines.composer.genres import STYLES
from loopmill.engines.composer.tone import tune_board
from loopmill.errors import BadInputError
from loopmill.prompts import parse_prompt

#: note values an echo may take, in beats: sixteenth .. quarter, dotted ones included
NOTE_VALUES = (0.25, 0.375, 0.5, 0.75, 1.0, 1.5, 2.0)


def _delays(board: pedalboard.Pedalboard) -> list[float]:
    return [float(p.delay_seconds) for p in board if isinstance(p, pedalboard.Delay)]


@pytest.mark.parametrize("genre", sorted(GENRE_CHAINS))
def test_every_echo_is_a_note_value_of_the_tempo(genre: str) -> None:
    found = 0
    for role in ROLES:
        for moods in ((), ("dark", "dreamy"), ("bright",)):
            slow = chain_for(genre, role=role, moods=moods, bpm=70.0)
            fast = tune_board(chain_for(genre, role=role, moods=moods, bpm=140.0),
                              brightness=0.9, space=1.0)  # the controls leave the time alone
            d70, d140 = _delays(slow), _delays(fast)
            assert len(d70) == len(d140)
            for a, b in zip(d70, d140, strict=True):
                beats = a / (60.0 / 70.0)
                assert min(abs(beats - v) for v in NOTE_VALUES) < 1e-6, (role, beats)
                assert b == pytest.approx(a / 2.0, rel=1e-6)  # twice the tempo, half the time
                found += 1
    if genre in ("synthwave", "ambient", "trap", "dnb", "house"):
        assert found > 0  # these genres do echo


def test_chain_for_refuses_a_tempo_that_is_not_positive() -> None:
    with pytest.raises(BadInputError, match="bpm"):
        chain_for("ambient", role="lead", bpm=0.0)


def test_trap_hats_accent_the_beat() -> None:
    # the pulse under a syncopated kick and 808: on-beat hats above the others
    for pattern in (STYLES["trap"].drums, STYLES["trap"].drums_b or {}):
        hats = pattern["closed_hat"]
        on = [v for p, v in hats if p == int(p)]
        off = [v for p, v in hats if p != int(p)]
        assert len(on) == 4 and min(on) > 1.5 * max(off)


def _read_bpm(prompt: str, genre: str, bpm: float, seed: int) -> tuple[float, np.ndarray]:
    dur = 16 * 240.0 / bpm  # the 16-bar loops of benchmarks/composer_quality.py
    spec = parse_prompt(f"{prompt}, {bpm:g} BPM", genre=genre, seed=seed,
                        min_duration=dur - 0.01, max_duration=dur + 0.01)
    eng = ComposerEngine()
    arr = eng.plan(spec, seed=seed)
    y = eng.render(arr, sr=22050, seed=seed)
    return analyze(y, sr=22050).bpm, y


@pytest.mark.parametrize(("prompt", "genre", "bpm", "seed"), [
    # read 134.5 and 136.1: the echoes, fixed in seconds, were ~5 % off the beat grid
    ("dreamy ambient, C minor", "ambient", 70.0, 100),
    ("dreamy ambient, G minor", "ambient", 70.0, 119),
    # read 185.8 and 185.4 (4:3): dotted-quarter pairs around the clap outweighed the beat
    ("dark trap, Eb minor", "trap", 140.0, 4),
    ("dark trap, A minor", "trap", 140.0, 121),
])
def test_loops_that_misread_now_read_their_tempo(prompt: str, genre: str, bpm: float,
                                                 seed: int) -> None:
    read, y = _read_bpm(prompt, genre, bpm, seed)
    assert min(abs(read * f / bpm - 1.0) for f in (0.5, 1.0, 2.0)) <= 0.02, read
    if seed == 4:  # the same seed makes the same audio
        np.testing.assert_array_equal(_read_bpm(prompt, genre, bpm, seed)[1], y)
