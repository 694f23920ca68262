"""Tape wow and flutter: the asked pitch deviation, periodic over the loop, seeded."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import hilbert

from loopmill.engines.composer.tape import FLUTTER_SHARE, wow_flutter
from loopmill.errors import BadInputError
from loopmill.loops.seam import seam_score

SR = 16000


def _sine(seconds: float = 8.0, hz: float = 500.0) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    return np.stack([np.sin(2 * np.pi * hz * t)] * 2).astype(np.float32)


def _cents(y: np.ndarray, hz: float) -> np.ndarray:
    """Instantaneous frequency of a sine, in cents from ``hz`` (edges trimmed)."""
    phase = np.unwrap(np.angle(hilbert(y.astype(np.float64))))
    f = np.diff(phase) * SR / (2 * np.pi)
    return 1200 * np.log2(f[SR // 4: -SR // 4] / hz)


@pytest.mark.parametrize("depth", [6.0, 20.0])
def test_the_pitch_deviation_is_the_asked_depth(depth: float) -> None:
    out = wow_flutter(y=_sine(), sr=SR, depth=depth, rate=0.5, seed=3)
    assert out.shape == (2, 8 * SR) and out.dtype == np.float32
    cents = _cents(out[0], 500.0)
    # smooth the 1-sample noise of the estimate, keep the 6-10 Hz flutter
    cents = np.convolve(cents, np.ones(32) / 32, mode="valid")
    assert depth * 0.85 < np.max(np.abs(cents)) < depth * 1.08
    # the wow (0.5 Hz) carries most of it, the flutter (6-10 Hz) the rest
    spec = np.abs(np.fft.rfft(cents - cents.mean()))
    f = np.fft.rfftfreq(cents.size, 1 / SR)
    wow = spec[(f > 0.3) & (f < 0.7)].max()
    flutter = spec[(f > 5.5) & (f < 10.5)].max()
    assert flutter < wow and flutter > 0.5 * wow * FLUTTER_SHARE / (1 - FLUTTER_SHARE)
    np.testing.assert_array_equal(out[0], out[1])  # one head reads both channels


def test_the_modulation_is_periodic_so_the_seam_stays_clean() -> None:
    y = _sine(seconds=4.0)  # 2000 whole cycles: a seamless loop
    out = wow_flutter(y=y, sr=SR, depth=25.0, rate=0.5, seed=1)
    assert seam_score(y, sr=SR, start=0, end=y.shape[1]) == 0.0
    assert seam_score(out, sr=SR, start=0, end=out.shape[1]) < 0.1  # each +1: twice as abrupt
    twice = np.concatenate([out, out], axis=1)
    steps = np.abs(np.diff(twice[0]))
    assert steps[out.shape[1] - 1] <= steps.max() * 1.001  # the join is no jump
    # the wrap sample-step matches the pitch-shifted sine's own steps (no click)
    assert steps[out.shape[1] - 1] > 0.5 * np.median(steps)


def test_seeded_and_zero_depth_is_identity() -> None:
    y = _sine(seconds=2.0)
    a = wow_flutter(y=y, sr=SR, depth=10.0, seed=7)
    np.testing.assert_array_equal(a, wow_flutter(y=y, sr=SR, depth=10.0, seed=7))
    assert not np.array_equal(a, wow_flutter(y=y, sr=SR, depth=10.0, seed=8))
    np.testing.assert_array_equal(wow_flutter(y=y, sr=SR, depth=0.0), y)


def test_bad_input_is_refused_by_name() -> None:
    with pytest.raises(BadInputError, match=r"depth=-1\.0 cents"):
        wow_flutter(y=_sine(1.0), sr=SR, depth=-1.0)
    with pytest.raises(BadInputError, match="rate=0"):
        wow_flutter(y=_sine(1.0), sr=SR, depth=5.0, rate=0.0)
    with pytest.raises(BadInputError, match="channels, samples"):
        wow_flutter(y=np.zeros(100, dtype=np.float32), sr=SR, depth=5.0)


def test_lofi_wobbles_when_the_prompt_asks_for_a_worn_texture() -> None:
    from loopmill.engines.composer.engine import ComposerEngine
    from loopmill.prompts import parse_prompt

    eng = ComposerEngine()
    dur = 4 * 240.0 / 80

    def plan(text: str, genre: str = "lofi"):  # type: ignore[no-untyped-def]
        spec = parse_prompt(text, genre=genre, seed=2, min_duration=dur - 0.01,
                            max_duration=dur + 0.01)
        return eng.plan(spec, seed=2)

    worn = plan("calm lofi hip hop, tape, 80 BPM")
    assert worn.wobble > 0
    assert plan("calm hip hop beat, 80 BPM").wobble == 0  # not asked
    assert plan("calm synthwave, tape, 80 BPM", genre="synthwave").wobble == 0  # no tape there
    y = eng.render(worn, sr=SR, seed=2)
    assert seam_score(y, sr=SR, start=0, end=y.shape[1]) < 0.5
    worn.wobble = 0.0
    assert not np.allclose(eng.render(worn, sr=SR, seed=2), y, atol=1e-3)
