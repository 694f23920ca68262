"""finish_loop: loudness target, true-peak ceiling, seam kept."""

from __future__ import annotations

import numpy as np
import pedalboard
import pytest

from loopmill.audio import true_peak
from loopmill.audio.loudness import integrated_loudness
from loopmill.errors import BadInputError
from loopmill.loops.post import finish_loop
from loopmill.loops.seam import seam_score

SR = 44100
T = 2 * SR  # 2 s: every frequency below is a whole number of cycles, so the loop is seamless


def _dense() -> np.ndarray:
    t = np.arange(T) / SR
    saw = sum(2 * ((t * f + ph) % 1.0) - 1
              for f, ph in ((110.0, 0.1), (138.5, 0.45), (165.0, 0.7), (220.0, 0.3)))
    rng = np.random.default_rng(0)
    kick = np.zeros(T)
    tk = np.arange(SR // 5) / SR
    for k in range(4):  # four-on-the-floor kicks: loud transients
        s = T // 8 + k * T // 4
        kick[s:s + tk.size] += np.sin(2 * np.pi * 55 * tk) * np.exp(-tk / 0.05)
    left = saw * 0.6 + rng.standard_normal(T) * 0.4 + kick * 6.0
    return np.stack([left, np.roll(left, 150)]).astype(np.float32)  # peaks far over 0 dBFS


def _sparse() -> np.ndarray:
    t = np.arange(SR // 4) / SR
    pluck = np.sin(2 * np.pi * 440.0 * t) * np.exp(-t / 0.08) * 0.02
    y = np.zeros(T)
    for k in range(8):
        y[k * T // 8:k * T // 8 + pluck.size] += pluck
    return np.stack([y, y * 0.8]).astype(np.float32)


@pytest.mark.parametrize("make", [_dense, _sparse])
def test_reaches_target_under_ceiling(make: object) -> None:
    y = make()  # type: ignore[operator]
    assert seam_score(y, sr=SR, start=0, end=T) == 0
    out, report = finish_loop(y, sr=SR)
    assert out.shape == y.shape and out.dtype == np.float32
    lufs = integrated_loudness(out, sr=SR)
    assert abs(lufs + 14.0) <= 0.5
    assert true_peak(out, sr=SR) <= -1.0
    assert report["loudness_lufs"] == pytest.approx(lufs)
    assert report["true_peak_db"] == pytest.approx(true_peak(out, sr=SR))
    # the wrap is as smooth as the loop's inside; heavy limiting flattens the kicks,
    # which lowers the seam measure's in-loop reference a little, hence the tolerance
    assert seam_score(out, sr=SR, start=0, end=T) <= 0.1
    # and the seam itself is exact: rotating the loop puts the wrap in the middle
    assert seam_score(np.roll(out, T // 2, axis=1), sr=SR, start=0, end=T) == 0


def test_dense_needs_limiter_quiet_plain_gain() -> None:
    _, rep = finish_loop(_dense(), sr=SR)
    assert rep["limiter_threshold_db"] is not None
    quiet = _dense() * np.float32(0.01)
    _, rep = finish_loop(quiet, sr=SR, target_lufs=-30.0)
    assert rep["limiter_threshold_db"] is None
    assert rep["loudness_lufs"] == pytest.approx(-30.0, abs=0.01)


def test_fade_edges() -> None:
    out, _ = finish_loop(_dense(), sr=SR, fade_edges=True)
    assert out[0, 0] == 0 and out[0, -1] == 0


def test_silent_input() -> None:
    with pytest.raises(BadInputError, match="audio is silent; nothing to normalise"):
        finish_loop(np.zeros((2, T), np.float32), sr=SR)


@pytest.mark.parametrize(
    "make",
    [
        lambda: pedalboard.Reverb(room_size=0.85, wet_level=0.4),
        lambda: pedalboard.Compressor(threshold_db=-24, ratio=4, attack_ms=5, release_ms=150),
        lambda: pedalboard.BrickwallLimiter(ceiling_db=-6.0, release_ms=100.0),
    ],
)
def test_two_halves_on_two_threads_equal_one_run(make) -> None:  # type: ignore[no-untyped-def]
    """Each half warms up on the audio before it: the joint is as clean as the wrap."""
    from loopmill.loops.post import process_wrapped

    sr = 22050
    rng = np.random.default_rng(9)
    t = 20 * sr
    y = np.zeros((2, t), np.float32)
    for k in range(0, t - 2000, sr // 3):  # decaying bursts, loud and quiet
        burst = rng.standard_normal((2, 2000)) * np.exp(-np.arange(2000) / 300.0)
        y[:, k:k + 2000] += (burst * rng.uniform(0.1, 0.9)).astype(np.float32)
    whole = process_wrapped(y, sr, make(), 3.0)
    halves = process_wrapped(y, sr, make(), 3.0, make=make)
    assert halves.shape == whole.shape
    assert np.abs(halves - whole).max() < 2e-3 * np.abs(whole).max()
    # the joint itself is not a step
    mid = t // 2
    assert abs(float(halves[0, mid] - halves[0, mid - 1])) < np.abs(np.diff(whole[0])).max()
