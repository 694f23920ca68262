"""Oscillators, envelopes, noise, notes and the loop seam."""

from __future__ import annotations

import numpy as np
import pytest

from loopmill.engines.composer.synth import (
    PATCHES,
    NoteEvent,
    adsr,
    noise,
    oscillator,
    render_note,
    render_notes,
    supersaw,
    wrap_tail,
)
from loopmill.errors import BadInputError
from tests.synth import peak_hz

SR = 44100


def _alias_db(x: np.ndarray, f0: float, sr: int = SR) -> float:
    """Energy off the harmonic series relative to the fundamental, dB."""
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    f = np.fft.rfftfreq(x.size, 1 / sr)
    harmonic = np.zeros(f.size, dtype=bool)
    for k in range(1, int(sr / 2 / f0) + 1):
        harmonic |= np.abs(f - k * f0) <= 6
    fund = spec[np.abs(f - f0) <= 6].sum()
    return float(10 * np.log10(spec[~harmonic].sum() / fund))


@pytest.mark.parametrize("kind", ["sine", "triangle", "saw", "square"])
def test_oscillator_frequency(kind: str) -> None:
    x = oscillator(kind, 440.0, SR, sr=SR)
    assert x.dtype == np.float32 and x.shape == (SR,)
    assert abs(peak_hz(x) - 440.0) < 1.0
    assert np.max(np.abs(x)) <= 1.0 + 1e-6
    y = oscillator(kind, np.full(SR, 440.0), SR, sr=SR)  # per-sample frequency
    assert np.allclose(x, y, atol=1e-4)


@pytest.mark.parametrize("kind", ["saw", "square", "triangle"])
def test_band_limited_at_3500_hz(kind: str) -> None:
    x = oscillator(kind, 3500.0, SR, sr=SR)
    assert _alias_db(x, 3500.0) <= -40.0
    t = np.arange(SR) / SR
    naive = 2 * ((3500.0 * t) % 1.0) - 1.0
    assert _alias_db(naive, 3500.0) > -40.0  # the threshold means something


def test_polyblep_low_notes_beat_naive() -> None:
    t = np.arange(SR) / SR
    naive = 2 * ((440.0 * t) % 1.0) - 1.0
    assert _alias_db(oscillator("saw", 440.0, SR, sr=SR), 440.0) < _alias_db(naive, 440.0) - 10


def test_vibrato_glide() -> None:
    f = np.linspace(200.0, 400.0, SR)
    x = oscillator("saw", f, SR, sr=SR)
    assert np.all(np.isfinite(x)) and np.max(np.abs(x)) <= 1.0 + 1e-6
    with pytest.raises(BadInputError):
        oscillator("saw", np.ones(5), 6, sr=SR)
    with pytest.raises(BadInputError):
        oscillator("organ", 440.0, 10, sr=SR)


def test_adsr_segments() -> None:
    a, d, r, gate = 100, 200, 300, 1000
    env = adsr(gate + r + 50, sr=1000, attack=0.1, decay=0.2, sustain=0.5, release=0.3,
               gate_samples=gate)
    assert env.shape == (gate + r + 50,)
    assert env[0] == 0.0
    assert env[a] == pytest.approx(1.0)
    assert env[a // 2] == pytest.approx(0.5)
    assert env[a + d] == pytest.approx(0.5)
    assert np.allclose(env[a + d:gate], 0.5)
    assert env[gate + r // 2] == pytest.approx(0.25)
    assert np.all(env[gate + r:] == 0.0)
    assert np.all(np.diff(env[:a]) > 0)
    # gate during the attack: release starts from the level reached
    short = adsr(400, sr=1000, attack=0.1, decay=0.2, sustain=0.5, release=0.3, gate_samples=50)
    assert short[50] == pytest.approx(0.5)
    assert np.all(short[350:] == 0.0)
    exp = adsr(600, sr=1000, attack=0.0, decay=0.2, sustain=0.0, release=0.1, gate_samples=500,
               curve="exp")
    assert exp[0] == pytest.approx(1.0) and exp[200] == pytest.approx(0.0, abs=1e-6)
    assert exp[100] < 0.25
    with pytest.raises(BadInputError):
        adsr(10, sr=1000, attack=0.1, decay=0.1, sustain=1.5, release=0.1, gate_samples=5)


def test_supersaw_and_noise() -> None:
    for f in (55.0, 440.0, 3000.0):
        x = supersaw(f, SR // 2, sr=SR, voices=7, detune_cents=25, rng=np.random.default_rng(2))
        assert np.max(np.abs(x)) <= 1.0
        assert np.std(x) > 0.1
    a = supersaw(220.0, 1000, sr=SR, rng=np.random.default_rng(5))
    b = supersaw(220.0, 1000, sr=SR, rng=np.random.default_rng(5))
    assert np.array_equal(a, b)
    w = noise(SR, rng=np.random.default_rng(0))
    p = noise(SR, rng=np.random.default_rng(0), color="pink")
    assert np.max(np.abs(w)) <= 1 and np.max(np.abs(p)) == pytest.approx(1.0)
    f = np.fft.rfftfreq(SR, 1 / SR)
    sp = np.abs(np.fft.rfft(p)) ** 2
    assert sp[(f > 100) & (f < 200)].mean() > 10 * sp[(f > 10000) & (f < 20000)].mean()
    assert np.array_equal(p, noise(SR, rng=np.random.default_rng(0), color="pink"))


def test_wrap_tail() -> None:
    rng = np.random.default_rng(3)
    buf = rng.standard_normal(2500).astype(np.float32)
    out = wrap_tail(buf, 1000)
    assert out.shape == (1000,)
    assert out.sum() == pytest.approx(buf.sum(), rel=1e-4, abs=1e-3)
    assert np.allclose(out[:500], buf[:500] + buf[1000:1500] + buf[2000:2500])
    short = wrap_tail(np.ones(10, dtype=np.float32), 20)
    assert short.shape == (20,) and short.sum() == 10
    two = wrap_tail(np.ones((2, 30), dtype=np.float32), 20)
    assert two.shape == (2, 20) and two[0, 0] == 2
    # a note that runs past the end of the loop continues at the start
    n = SR
    stem = render_notes([NoteEvent(60, 0.9, 0.3, 1.0)], n=n, sr=SR, patch="chip_square",
                        rng=rng)
    assert np.abs(stem[: int(0.1 * SR)]).max() > 0.05
    assert np.abs(stem[int(0.3 * SR):int(0.8 * SR)]).max() == 0.0
    with pytest.raises(BadInputError):
        wrap_tail(buf, 0)


@pytest.mark.parametrize("name", sorted(PATCHES))
def test_patches_render(name: str) -> None:
    off, x = render_note(patch=name, midi=57, start=0.5, duration=0.25, velocity=0.8, sr=SR,
                         rng=np.random.default_rng(0))
    assert off == SR // 2
    assert x.dtype == np.float32
    assert x.size == round(0.25 * SR) + round(PATCHES[name].env.release * SR)
    assert 0.01 < np.max(np.abs(x)) <= 1.0
    events = [NoteEvent(57 + 3 * i, i * 0.25, 0.2, 0.7) for i in range(8)]
    a = render_notes(events, n=2 * SR, sr=SR, patch=name, rng=np.random.default_rng(9))
    b = render_notes(events, n=2 * SR, sr=SR, patch=name, rng=np.random.default_rng(9))
    assert a.shape == (2 * SR,) and np.array_equal(a, b)
    assert np.all(np.isfinite(a))


@pytest.mark.parametrize("name", ["bass", "pluck", "horn"])
def test_sparse_part_filtered_per_note_matches_stem_filter(name: str) -> None:
    # A sparse part (distinct notes far shorter than the stem) is filtered note by
    # note; that must sound like filtering the whole stem: within -40 dB, wrapped too.
    from loopmill.engines.composer.synth import filter_stem

    n = 8 * SR
    rng = np.random.default_rng(3)
    events = [NoteEvent(float(m), 0.5 * i, 0.3, float(v))
              for i, (m, v) in enumerate(zip(np.tile([40, 43, 47, 40], 4),
                                             rng.uniform(0.5, 0.9, 16), strict=True))]
    events.append(NoteEvent(45.0, 7.9, 0.4, 0.8))  # its tail wraps onto the start
    per_note = render_notes(events, n=n, sr=SR, patch=name, rng=np.random.default_rng(1))
    raw = render_notes(events, n=n, sr=SR, patch=name, rng=np.random.default_rng(1),
                       filtered=False)
    whole = filter_stem(raw, sr=SR, patch=name)
    assert not np.array_equal(per_note, whole)  # the per-note path did run
    err_db = 10 * np.log10(np.mean((per_note - whole) ** 2) / np.mean(whole**2))
    assert err_db < -40.0
    assert np.abs(per_note[: SR // 10]).max() > 0.01  # the wrapped tail is there
