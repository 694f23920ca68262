"""make_loop on tracks with known answers: bar lines, bar counts, exact tempo, seams."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.analysis import analyze
from loopmill.cli._flags import cli_message
from loopmill.errors import BadInputError, NoLoopFoundError
from loopmill.loops import make_loop
from tests.synth import SR, progression_track

LEAD_IN = 0.37  # seconds of noise before the first bar, so bar lines are not at 0


@pytest.fixture(scope="module")
def track() -> tuple[np.ndarray, float]:
    y, bar = progression_track(bpm=120, repeats=3, noise=0.03, lead_in=LEAD_IN, seed=21)
    return y, bar


def test_progression_loop_is_4_or_8_bars_on_a_bar_line(track: tuple[np.ndarray, float]) -> None:
    y, bar = track
    loop = make_loop(y, sr=SR)
    assert loop.bars in (4, 8)
    # Every bar line of the track lies at LEAD_IN + k * bar; the loop starts on one.
    offset = (loop.start - LEAD_IN * SR) / bar
    assert abs(offset - round(offset)) * bar / SR < 0.010
    # Its length is the progression's period (4 bars) times a whole number, within 10 ms.
    assert abs(loop.length - loop.bars * bar) / SR < 0.010
    assert abs(loop.bpm - 120.0) < 0.6
    assert loop.seam_score == 0.0


def test_exact_bars_and_exact_tempo(track: tuple[np.ndarray, float]) -> None:
    y, _ = track
    loop = make_loop(y, sr=SR, bars=2, bpm=100.0)
    assert loop.bars == 2
    assert loop.length == round(2 * 4 * 60 * SR / 100.0)  # 211680 samples exactly
    assert loop.stretched and loop.bpm == 100.0
    # The stretched loop, played three times, is detected at 100 BPM within 0.5 %.
    an = analyze(np.tile(loop.audio, 3), sr=SR)
    assert abs(an.bpm - 100.0) / 100.0 < 0.005
    assert loop.seam_score < 0.5


def test_double_tempo_request_keeps_bars_and_stretches_little(
    track: tuple[np.ndarray, float],
) -> None:
    y, _ = track
    loop = make_loop(y, sr=SR, bars=4, bpm=236.0)  # twice 118: a 1.7 % change, not 50 %
    assert loop.length == round(4 * 4 * 60 * SR / 118.0)


def test_no_level_dip_at_the_wrap(track: tuple[np.ndarray, float]) -> None:
    y, _ = track
    loop = make_loop(y, sr=SR, bars=4)
    played = np.concatenate([loop.audio, loop.audio], axis=1)
    wrap = loop.length
    win = round(0.05 * SR)

    def level(at: int) -> float:
        seg = played[:, at - win : at + win]
        return float(10 * np.log10(np.mean(seg**2)))

    # Compare the wrap with the same musical position one bar later (both are bar
    # lines): an audio_loop_gen-style volume dip would show up as several dB.
    bar = loop.length // 4
    assert abs(level(wrap) - level(wrap + bar)) < 1.0


def test_three_four_time_gives_bars_of_three_beats() -> None:
    y, bar = progression_track(bpm=150, repeats=3, beats_per_bar=3, noise=0.02, seed=5)
    loop = make_loop(y, sr=SR, beats_per_bar=3)
    assert loop.beats_per_bar == 3
    assert abs(loop.length - loop.bars * bar) / SR < 0.010


def test_limits_that_cannot_be_met(track: tuple[np.ndarray, float]) -> None:
    y, _ = track
    with pytest.raises(NoLoopFoundError, match="no whole-bar loop"):
        make_loop(y, sr=SR, min_duration=40, max_duration=60)
    with pytest.raises(BadInputError, match="greater than max_duration") as info:
        make_loop(y, sr=SR, min_duration=20, max_duration=10)
    assert cli_message(info.value) == (  # the command line names its flags
        "--min-duration 20 s is greater than --max-duration 10 s; "
        "make the minimum smaller than the maximum")
    with pytest.raises(BadInputError, match="out of range") as info:
        make_loop(y, sr=SR, bpm=5)
    assert str(info.value) == "bpm 5 is out of range; use 20 to 300"
    assert cli_message(info.value) == "--bpm 5 is out of range; use 20 to 300"
    with pytest.raises(BadInputError, match="bars 0 must be at least 1") as info:
        make_loop(y, sr=SR, bars=0)
    assert cli_message(info.value) == "--bars 0 must be at least 1"


def test_no_loop_of_the_asked_bars_names_the_fields(track: tuple[np.ndarray, float]) -> None:
    y, _ = track
    clip = np.ascontiguousarray(y[:, : 6 * SR])
    with pytest.raises(NoLoopFoundError, match="no 64-bar loop fits") as info:
        make_loop(clip, sr=SR, bars=64)
    assert "lower min_duration, change bars, or" in str(info.value)
    assert "lower --min-duration, change --bars, or" in cli_message(info.value)


def test_a_clip_of_exactly_two_bars_still_loops() -> None:
    # A file that is already a 2-bar loop (4 s at 120 BPM) has no bar after its end
    # to compare: the end-of-file bar line is extrapolated and the lead-in decides.
    y, bar = progression_track(bpm=120, repeats=2, noise=0.01, seed=8)
    clip = np.ascontiguousarray(y[:, : round(2 * bar)])
    loop = make_loop(clip, sr=SR)
    assert loop.bars in (1, 2)
    assert abs(loop.length - loop.bars * bar) / SR < 0.010
    with pytest.raises(NoLoopFoundError, match="no whole-bar loop"):
        make_loop(clip, sr=SR, min_duration=6.0)


def test_bars_are_counted_at_the_asked_tempo_when_matched_at_double_time() -> None:
    y, _ = progression_track(bpm=60.0, repeats=4)
    loop = make_loop(y, sr=SR, bpm=120.0, min_duration=8, max_duration=20)
    # 120 BPM asked of a 60 BPM track: the loop keeps its speed and counts twice the
    # beats, so its bars are bars of 120 BPM (the length is whole bars at 120)
    assert loop.bpm == 120.0 and loop.stretched
    assert loop.length == round(loop.bars * loop.beats_per_bar * 0.5 * SR)
    assert loop.length / SR == pytest.approx(loop.bars * 2.0, abs=1e-4)
