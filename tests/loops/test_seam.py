"""Seam scores on loops with known answers: true loops score 0, splices score higher."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.errors import BadInputError
from loopmill.loops.seam import seam_report, seam_score
from tests.synth import SR, progression_track


@pytest.fixture(scope="module")
def track() -> tuple[np.ndarray, int]:
    y, bar = progression_track(bpm=120, repeats=3, seed=1)
    return y, round(bar)


def test_true_loop_scores_zero(track: tuple[np.ndarray, int]) -> None:
    y, bar = track
    assert seam_score(y, sr=SR, start=bar, end=bar + 4 * bar) == 0.0
    assert seam_score(y, sr=SR, start=0, end=8 * bar) == 0.0


@pytest.mark.parametrize(
    "offset",
    [
        220,  # 5 ms late: a click where the waveform jumps
        2205,  # 50 ms late: a stutter
        SR // 4,  # an eighth note late: the beat grid shifts at the wrap
        SR // 3,  # off any grid
    ],
)
def test_deliberate_splice_scores_worse(track: tuple[np.ndarray, int], offset: int) -> None:
    y, bar = track
    true = seam_score(y, sr=SR, start=bar, end=bar + 4 * bar)
    spliced = seam_score(y, sr=SR, start=bar, end=bar + 4 * bar + offset)
    assert spliced > true + 0.1


def test_hard_cut_in_a_sustained_tone_is_a_click() -> None:
    t = np.arange(4 * SR) / SR
    y = (0.5 * np.sin(2 * np.pi * 110.0 * t)).astype(np.float32)[None, :]
    # 110 Hz has a period of 400.9 samples: 2 s + 100 samples ends on a crest (0.5 -> 0).
    rep = seam_report(y, sr=SR, start=0, end=2 * SR + 100)
    assert rep.step > 2.0
    assert rep.score > 1.0
    # The same tone cut on whole periods (11 periods = 44100 * 0.1 s) is clean.
    assert seam_score(y, sr=SR, start=0, end=round(SR * 0.1) * 20) == 0.0


def test_seam_score_rejects_bad_loops(track: tuple[np.ndarray, int]) -> None:
    y, bar = track
    with pytest.raises(BadInputError, match="does not fit"):
        seam_score(y, sr=SR, start=bar, end=y.shape[1] + 1)
    with pytest.raises(BadInputError, match="silent"):
        seam_score(np.zeros((2, SR * 2), np.float32), sr=SR, start=0, end=SR * 2)
    with pytest.raises(BadInputError, match="too short"):
        seam_score(y, sr=SR, start=0, end=1000)
