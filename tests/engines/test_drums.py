"""Drum kit spectra, hit placement, swing and loop length."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.engines.composer.drums import (
    KIT_PIECES,
    chip_noise,
    closed_hat,
    kick,
    make_kit,
    open_hat,
    render_pattern,
    repeat_pattern,
    snare,
)
from loopmill.errors import BadInputError

SR = 44100


def _band_energy(x: np.ndarray, lo: float, hi: float) -> float:
    spec = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    f = np.fft.rfftfreq(x.size, 1 / SR)
    return float(spec[(f >= lo) & (f < hi)].sum())


def test_kit_spectra() -> None:
    k = kick(SR)
    assert _band_energy(k, 0, 150) > 0.8 * _band_energy(k, 0, SR / 2)
    for hat in (closed_hat(SR), open_hat(SR)):
        assert _band_energy(hat, 5000, SR / 2) > 0.8 * _band_energy(hat, 0, SR / 2)
    s = snare(SR)
    total = _band_energy(s, 0, SR / 2)
    assert _band_energy(s, 100, 400) > 0.1 * total
    assert _band_energy(s, 2000, SR / 2) > 0.1 * total


def test_kits_are_deterministic() -> None:
    for style in ("standard", "808", "chip"):
        a = make_kit(SR, style=style, rng=np.random.default_rng(1))
        b = make_kit(SR, style=style, rng=np.random.default_rng(1))
        assert set(a) == set(KIT_PIECES)
        for name in a:
            assert a[name].dtype == np.float32
            assert 0.1 < np.max(np.abs(a[name])) <= 1.0
            assert np.array_equal(a[name], b[name])
    assert np.array_equal(chip_noise(SR), chip_noise(SR))
    with pytest.raises(BadInputError):
        make_kit(SR, style="polka")


def _onsets(x: np.ndarray, thresh: float = 0.05) -> np.ndarray:
    above = np.abs(x) > thresh
    starts = np.flatnonzero(above & ~np.concatenate([[False], above[:-1]]))
    keep = [s for i, s in enumerate(starts) if i == 0 or s - starts[i - 1] > 0.05 * SR]
    return np.array(keep)


@pytest.mark.parametrize("bpm", [90.0, 128.0, 137.5])
def test_hits_land_on_beats_and_length_is_exact(bpm: float) -> None:
    bars, bpb = 2, 4
    rim_only = {"rim": [(float(b), 1.0) for b in range(bars * bpb)]}
    out = render_pattern(rim_only, bpm=bpm, bars=bars, beats_per_bar=bpb, sr=SR,
                         rng=np.random.default_rng(0))
    assert out.shape == (round(bars * bpb * 60 / bpm * SR),)
    assert out.dtype == np.float32
    expected = np.array([b * 60 / bpm * SR for b in range(bars * bpb)])
    onsets = _onsets(out)
    assert onsets.size == expected.size
    assert np.all(np.abs(onsets - expected) <= 0.001 * SR)


def test_swing_delays_offbeat_eighths() -> None:
    bpm, swing = 120.0, 0.3
    pat = {"rim": [(0.0, 1.0), (0.5, 1.0), (1.0, 1.0), (1.5, 1.0)]}
    out = render_pattern(pat, bpm=bpm, bars=1, sr=SR, rng=np.random.default_rng(0), swing=swing)
    spb = 60 / bpm * SR
    onsets = _onsets(out)
    assert np.all(np.abs(onsets[[0, 2]] - np.array([0, spb])) <= 0.001 * SR)
    delay = onsets[[1, 3]] - np.array([0.5, 1.5]) * spb
    assert np.all(np.abs(delay - swing * 0.5 * spb) <= 0.001 * SR)
    sixteenths = {"rim": [(0.25, 1.0)]}
    out16 = render_pattern(sixteenths, bpm=bpm, bars=1, sr=SR, rng=np.random.default_rng(0),
                           swing=0.5, swing_grid=16)
    assert abs(_onsets(out16)[0] - (0.25 + 0.125) * spb) <= 0.001 * SR


def test_tails_wrap_to_the_start() -> None:
    bpm = 120.0
    out = render_pattern({"open_hat": [(3.75, 1.0)]}, bpm=bpm, bars=1, sr=SR,
                         rng=np.random.default_rng(0))
    assert np.abs(out[: int(0.05 * SR)]).max() > 0.01
    one = render_pattern({"kick": [(0.0, 1.0)]}, bpm=bpm, bars=1, sr=SR,
                         rng=np.random.default_rng(0))
    assert np.abs(one).max() > 0.5


def test_pattern_helpers_and_errors() -> None:
    bar = {"kick": [(0.0, 1.0), (2.0, 0.9)], "closed_hat": [(i / 2, 0.5) for i in range(8)]}
    four = repeat_pattern(bar, every=4, times=4)
    assert len(four["closed_hat"]) == 32 and four["kick"][-1] == (14.0, 0.9)
    rng = np.random.default_rng(0)
    a = render_pattern(four, bpm=100, bars=4, sr=SR, rng=np.random.default_rng(7), humanize=0.1)
    b = render_pattern(four, bpm=100, bars=4, sr=SR, rng=np.random.default_rng(7), humanize=0.1)
    assert np.array_equal(a, b)
    with pytest.raises(BadInputError):
        render_pattern({"kick": [(4.0, 1.0)]}, bpm=120, bars=1, sr=SR, rng=rng)
    with pytest.raises(BadInputError):
        render_pattern({"cowbell": [(0.0, 1.0)]}, bpm=120, bars=1, sr=SR, rng=rng)
    with pytest.raises(BadInputError):
        render_pattern(bar, bpm=120, bars=1, sr=SR, rng=rng, swing=1.0)
