"""finish: a model engine's free-running audio becomes a loop of the documented length."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.engines.base import EngineOutput
from loopmill.engines.params import GenerationParams
from loopmill.errors import BadInputError
from loopmill.loops.length import choose_bars
from loopmill.pipeline.finish import finish
from loopmill.prompts.spec import MusicSpec
from tests.synth import PROGRESSION, kick, tone

SR = 22050


def _three_bar_track(*, bpm: float, bars: int) -> np.ndarray:
    """Chords that cycle every 3 bars, a kick on each beat: its natural loops are 3, 6,
    9 … bars long, never a power of two."""
    beat = 60.0 * SR / bpm
    bar = 4 * beat
    y = np.zeros(round(bar * (bars + 1)), dtype=np.float32)
    for b in range(bars):
        s = round(b * bar)
        chord = tone(PROGRESSION[b % 3], round(bar), sr=SR)
        y[s : s + len(chord)] += chord
        for k in range(4):
            ks = round(b * bar + k * beat)
            hit = kick(round(beat), sr=SR) * (0.9 if k == 0 else 0.5)
            y[ks : ks + len(hit)] += hit[: len(y) - ks]
    y += 0.01 * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
    return np.stack([y, 0.9 * y]) * 0.5


@pytest.mark.parametrize(("lo", "hi", "bars"), [(8, 30, 8), (10, 18, 8), (10, 12, 6),
                                                 (8, 8, 4), (1, 600, 256)])
def test_choose_bars_is_the_longest_power_of_two_else_any(lo: float, hi: float,
                                                           bars: int) -> None:
    assert choose_bars(bpm=120, min_duration=lo, max_duration=hi) == bars  # 2 s bars


def test_choose_bars_refuses_impossible_durations() -> None:
    with pytest.raises(BadInputError, match="no whole number of bars at 90 BPM"):
        choose_bars(bpm=90, min_duration=9, max_duration=10)


def test_model_audio_is_cut_to_the_longest_power_of_two_bars() -> None:
    bpm = 120.0
    y = _three_bar_track(bpm=bpm, bars=24)
    out = EngineOutput(audio=y, sr=SR, seamless=False, bpm=bpm, bars=None, beats_per_bar=4,
                       key=None, seed=1)
    spec = MusicSpec(text="x", min_duration=10.0, max_duration=18.0)
    loop = finish(out, spec=spec, params=GenerationParams(), engine="samplernn")
    # 5 to 9 bars of 2 s fit; the rule says 8 (the track itself would rather wrap at 6 or 9).
    assert loop.bars == 8
    assert loop.length == round(8 * 4 * 60 * SR / bpm)


def test_short_model_audio_falls_back_to_what_it_holds() -> None:
    bpm = 120.0
    y = _three_bar_track(bpm=bpm, bars=7)  # 16 s: no room for 8 bars and a tail
    out = EngineOutput(audio=y, sr=SR, seamless=False, bpm=bpm, bars=None, beats_per_bar=4,
                       key=None, seed=1)
    spec = MusicSpec(text="x", min_duration=10.0, max_duration=18.0)
    loop = finish(out, spec=spec, params=GenerationParams(), engine="samplernn")
    assert 5 <= loop.bars <= 7
