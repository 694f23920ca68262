"""Synthesised drum kit and a pattern renderer that loops seamlessly.

Each hit function returns a mono float32 array ``[L]`` starting at its onset (sample 0
is the attack). Noisy hits take an optional ``rng``; without one they use a fixed seed,
so a kit is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np

from loopmill.engines.composer.synth import noise, wrap_tail
from loopmill.errors import BadInputError

__all__ = [
    "KIT_PIECES",
    "chip_noise",
    "clap",
    "closed_hat",
    "kick",
    "make_kit",
    "open_hat",
    "render_pattern",
    "repeat_pattern",
    "rim",
    "snare",
    "tom",
]

Pattern = Mapping[str, list[tuple[float, float]]]


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng(0x10F)


def _t(sr: int, seconds: float) -> np.ndarray:
    if sr <= 0:
        raise BadInputError(f"sample rate {sr} must be positive")
    if seconds <= 0:
        raise BadInputError(f"drum decay {seconds} must be positive")
    return np.arange(max(1, round(seconds * sr)), dtype=np.float64) / sr


def _band(x: np.ndarray, sr: int, lo: float, hi: float) -> np.ndarray:
    """Brick-wall band-pass of a short hit in the frequency domain."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(x.size, 1.0 / sr)
    spec[(f < lo) | (f > hi)] = 0.0
    return np.fft.irfft(spec, x.size)


def _decay(t: np.ndarray, seconds: float) -> np.ndarray:
    """Exponential envelope reaching -60 dB at ``seconds``."""
    return np.exp(-6.9 * t / seconds)


def _finish(x: np.ndarray, peak: float = 1.0) -> np.ndarray:
    m = float(np.max(np.abs(x))) or 1.0
    return (x * (peak / m)).astype(np.float32)


def kick(sr: int, *, pitch: float = 50.0, decay: float = 0.35, click: float = 0.5) -> np.ndarray:
    """Sine kick: pitch sweeps from ~3.5x ``pitch`` down to ``pitch`` Hz, plus a click.

    Returns ``[round(decay * sr)]`` float32, peak 1.
    """
    t = _t(sr, decay)
    sweep = pitch * (1.0 + 2.5 * np.exp(-t * 35.0))
    phase = 2 * np.pi * np.cumsum(sweep) / sr
    body = np.sin(phase) * _decay(t, decay)
    clk = click * np.sin(2 * np.pi * 1800.0 * t) * np.exp(-t * 900.0)
    return _finish(body + clk)


def snare(
    sr: int, *, pitch: float = 185.0, decay: float = 0.22, tone: float = 0.5,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Snare: two damped sines (body) plus band-passed noise (wires)."""
    t = _t(sr, decay)
    body = (np.sin(2 * np.pi * pitch * t) + 0.5 * np.sin(2 * np.pi * pitch * 1.78 * t))
    body *= _decay(t, decay * 0.45)
    wires = _band(noise(t.size, rng=_rng(rng)).astype(np.float64), sr, 1500.0, 12000.0)
    wires *= _decay(t, decay)
    wires /= float(np.max(np.abs(wires))) or 1.0
    return _finish(tone * body / 1.5 + (1.0 - tone) * wires * 1.2)


def clap(sr: int, *, decay: float = 0.25, rng: np.random.Generator | None = None) -> np.ndarray:
    """Hand clap: three quick noise bursts then a decaying tail, band 800-6000 Hz."""
    t = _t(sr, decay)
    env = 0.7 * _decay(t, decay)
    for start in (0.0, 0.011, 0.022):
        burst = np.where(t >= start, np.exp(-(t - start) * 180.0), 0.0)
        env = np.maximum(env, burst)
    x = _band(noise(t.size, rng=_rng(rng)).astype(np.float64), sr, 800.0, 6000.0)
    return _finish(x * env)


def _hat(sr: int, decay: float, rng: np.random.Generator | None) -> np.ndarray:
    t = _t(sr, decay)
    x = _band(noise(t.size, rng=_rng(rng)).astype(np.float64), sr, 6500.0, sr / 2)
    # metallic partials (808-style square cluster), also high-passed
    metal = sum(np.sign(np.sin(2 * np.pi * f * t)) for f in (3950.0, 5340.0, 6200.0, 8100.0))
    x = x / (float(np.max(np.abs(x))) or 1.0) + 0.15 * _band(np.asarray(metal), sr, 6500.0, sr / 2)
    return _finish(x * _decay(t, decay), 0.8)


def closed_hat(sr: int, *, decay: float = 0.06, rng: np.random.Generator | None = None
               ) -> np.ndarray:
    """Closed hi-hat: high-passed noise and metal above 6.5 kHz, short decay."""
    return _hat(sr, decay, rng)


def open_hat(sr: int, *, decay: float = 0.4, rng: np.random.Generator | None = None
             ) -> np.ndarray:
    """Open hi-hat: as the closed hat, long decay."""
    return _hat(sr, decay, rng)


def tom(sr: int, *, pitch: float = 110.0, decay: float = 0.4) -> np.ndarray:
    """Tom: sine dropping from 1.6x ``pitch`` to ``pitch``."""
    t = _t(sr, decay)
    sweep = pitch * (1.0 + 0.6 * np.exp(-t * 20.0))
    return _finish(np.sin(2 * np.pi * np.cumsum(sweep) / sr) * _decay(t, decay))


def rim(sr: int, *, decay: float = 0.05) -> np.ndarray:
    """Rim shot / side stick: two inharmonic sines around 1.7 kHz, very short."""
    t = _t(sr, decay)
    x = np.sin(2 * np.pi * 1720.0 * t) + 0.6 * np.sin(2 * np.pi * 820.0 * t)
    return _finish(x * _decay(t, decay), 0.7)


def chip_noise(
    sr: int, *, decay: float = 0.12, period: int = 4, rng: np.random.Generator | None = None
) -> np.ndarray:
    """NES-style noise: random +-1 held for ``period`` samples, linear fade."""
    t = _t(sr, decay)
    if period < 1:
        raise BadInputError(f"chip_noise period={period} must be at least 1")
    steps = _rng(rng).choice(np.array([-1.0, 1.0]), size=t.size // period + 1)
    x = np.repeat(steps, period)[: t.size]
    return _finish(x * np.clip(1.0 - t / decay, 0.0, 1.0), 0.6)


def _metal_noise(sr: int, decay: float, lo: float, rng: np.random.Generator | None,
                 attack: float = 0.0) -> np.ndarray:
    """Cymbal: band-passed noise plus inharmonic square partials, exponential decay."""
    t = _t(sr, decay)
    x = _band(noise(t.size, rng=_rng(rng)).astype(np.float64), sr, lo, sr / 2)
    metal = sum(np.sign(np.sin(2 * np.pi * f * t)) for f in (3150.0, 4610.0, 5940.0, 7330.0))
    x = x / (float(np.max(np.abs(x))) or 1.0) + 0.2 * _band(np.asarray(metal), sr, lo, sr / 2)
    env = _decay(t, decay)
    if attack > 0:
        env = env * np.clip(t / attack, 0.0, 1.0)
    return _finish(x * env, 0.8)


def crash(sr: int, *, rng: np.random.Generator | None = None) -> np.ndarray:
    """Crash cymbal: bright noise and metal above 3 kHz, 1.6 s decay."""
    return _metal_noise(sr, 1.6, 3000.0, rng)


def ride(sr: int, *, rng: np.random.Generator | None = None) -> np.ndarray:
    """Ride cymbal: a ping (bell partial at 2.9 kHz) over a soft 0.7 s wash."""
    t = _t(sr, 0.7)
    bell = np.sin(2 * np.pi * 2900.0 * t) * _decay(t, 0.25)
    return _finish(0.5 * _metal_noise(sr, 0.7, 5000.0, rng) + 0.3 * bell, 0.6)


def swell(sr: int, *, seconds: float = 1.5, rng: np.random.Generator | None = None
          ) -> np.ndarray:
    """Reversed cymbal: rises over ``seconds`` and stops (place it before a downbeat)."""
    return np.ascontiguousarray(crash(sr, rng=rng)[: round(seconds * sr)][::-1] * 0.7)


def timpani(sr: int, *, pitch: float = 73.4) -> np.ndarray:
    """Timpani: a tuned membrane (1 : 1.5 : 2 partials), slow decay, a felt thump."""
    t = _t(sr, 1.2)
    body = sum(a * np.sin(2 * np.pi * pitch * r * t) * _decay(t, d)
               for r, a, d in ((1.0, 1.0, 1.2), (1.5, 0.5, 0.7), (1.98, 0.35, 0.5)))
    thump = np.sin(2 * np.pi * pitch * 0.7 * t) * np.exp(-t * 30.0)
    return _finish(np.asarray(body) + 0.6 * thump)


def taiko(sr: int, *, rng: np.random.Generator | None = None) -> np.ndarray:
    """Taiko: a deep drum (60 Hz sweep) with a slap of low noise."""
    t = _t(sr, 0.9)
    sweep = 60.0 * (1.0 + 0.8 * np.exp(-t * 25.0))
    body = np.sin(2 * np.pi * np.cumsum(sweep) / sr) * _decay(t, 0.9)
    slap = _band(noise(t.size, rng=_rng(rng)).astype(np.float64), sr, 100.0, 1500.0)
    slap *= np.exp(-t * 40.0) / (float(np.max(np.abs(slap))) or 1.0)
    return _finish(body + 0.5 * slap)


def hand_drum(sr: int, *, pitch: float, decay: float, slap: float = 0.3,
              rng: np.random.Generator | None = None) -> np.ndarray:
    """Frame drum, conga or bongo: a short tuned membrane with a palm slap."""
    t = _t(sr, decay)
    sweep = pitch * (1.0 + 0.3 * np.exp(-t * 60.0))
    body = np.sin(2 * np.pi * np.cumsum(sweep) / sr) * _decay(t, decay)
    x = _band(noise(t.size, rng=_rng(rng)).astype(np.float64), sr, 800.0, 5000.0)
    x *= np.exp(-t * 90.0) / (float(np.max(np.abs(x))) or 1.0)
    return _finish(body + slap * x)


def shaker(sr: int, *, rng: np.random.Generator | None = None) -> np.ndarray:
    """Shaker: a soft-attack burst of high noise, 80 ms."""
    t = _t(sr, 0.08)
    x = _band(noise(t.size, rng=_rng(rng)).astype(np.float64), sr, 5000.0, sr / 2)
    return _finish(x * np.clip(t / 0.015, 0, 1) * _decay(t, 0.08), 0.5)


def tambourine(sr: int, *, rng: np.random.Generator | None = None) -> np.ndarray:
    """Tambourine: jingles (metal noise above 6 kHz, 0.25 s)."""
    return _metal_noise(sr, 0.25, 6000.0, rng) * np.float32(0.8)


KIT_PIECES = ("kick", "snare", "clap", "closed_hat", "open_hat", "tom", "rim", "chip_noise",
              "crash", "ride", "swell", "timpani", "timpani5", "taiko", "frame", "conga",
              "bongo", "shaker", "tambourine", "tom_hi", "tom_lo")


def make_kit(sr: int, *, style: str = "standard", rng: np.random.Generator | None = None,
             tonic_hz: float = 73.4, pieces: frozenset[str] | None = None
             ) -> dict[str, np.ndarray]:
    """Every piece of ``KIT_PIECES`` rendered once, tuned for a style.

    ``style``: "standard", "808" (long low kick, tight snare), "chip" (8-bit: square-ish
    noise for snare and hats) or "jazz" (soft kick, brushed snare). The timpani are
    tuned to ``tonic_hz`` and its fifth. ``pieces`` limits the work to those (others
    are left out of the kit).
    """
    r = _rng(rng)
    if style in ("standard", "jazz"):
        k = kick(sr) if style == "standard" else kick(sr, pitch=55.0, decay=0.3, click=0.15)
    elif style in ("808", "chip"):
        k = kick(sr, pitch=45.0, decay=0.7 if style == "808" else 0.15, click=0.3)
    else:
        raise BadInputError(
            f"unknown kit style {style!r}; use 'standard', '808', 'chip' or 'jazz'")
    extra = {
        "crash": lambda: crash(sr, rng=r), "ride": lambda: ride(sr, rng=r),
        "swell": lambda: swell(sr, rng=r), "timpani": lambda: timpani(sr, pitch=tonic_hz),
        "timpani5": lambda: timpani(sr, pitch=tonic_hz * 1.4983),
        "taiko": lambda: taiko(sr, rng=r),
        "frame": lambda: hand_drum(sr, pitch=95.0, decay=0.35, slap=0.4, rng=r),
        "conga": lambda: hand_drum(sr, pitch=210.0, decay=0.25, slap=0.35, rng=r),
        "bongo": lambda: hand_drum(sr, pitch=390.0, decay=0.12, slap=0.5, rng=r),
        "shaker": lambda: shaker(sr, rng=r), "tambourine": lambda: tambourine(sr, rng=r),
        "tom_hi": lambda: tom(sr, pitch=165.0, decay=0.3),
        "tom_lo": lambda: tom(sr, pitch=82.0, decay=0.5),
    }
    kit = {
        "kick": k,
        "snare": snare(sr, rng=r),
        "clap": clap(sr, rng=r),
        "closed_hat": closed_hat(sr, rng=r),
        "open_hat": open_hat(sr, rng=r),
        "tom": tom(sr),
        "rim": rim(sr),
        "chip_noise": chip_noise(sr, rng=r),
    }
    kit.update({name: make() for name, make in extra.items()
                if pieces is None or name in pieces})
    if style == "jazz":
        kit["snare"] = snare(sr, pitch=200.0, decay=0.18, tone=0.15, rng=r) * np.float32(0.7)
    if style == "chip":
        kit["snare"] = chip_noise(sr, decay=0.15, period=6, rng=r)
        kit["closed_hat"] = chip_noise(sr, decay=0.04, period=1, rng=r)
        kit["open_hat"] = chip_noise(sr, decay=0.2, period=1, rng=r)
    return kit


def repeat_pattern(
    pattern: Pattern, *, every: float, times: int
) -> dict[str, list[tuple[float, float]]]:
    """Tile a pattern: each hit repeated ``times`` times, ``every`` beats apart."""
    if times < 1 or every <= 0:
        raise BadInputError(f"repeat_pattern needs times >= 1 and every > 0, got {times}, {every}")
    return {
        name: [(pos + i * every, vel) for i in range(times) for pos, vel in hits]
        for name, hits in pattern.items()
    }


def _swung(pos: float, swing: float, grid: int) -> float:
    """Delay off-beat grid positions by ``swing`` x one grid step (in beats)."""
    step = 4.0 / grid  # beats per grid step: 0.5 for 8ths, 0.25 for 16ths
    k = pos / step
    if abs(k - round(k)) < 1e-6 and round(k) % 2 == 1:
        return pos + swing * step
    return pos


def render_pattern(
    pattern: Pattern,
    *,
    bpm: float,
    bars: int,
    beats_per_bar: int = 4,
    sr: int,
    kit: Mapping[str, np.ndarray] | None = None,
    rng: np.random.Generator,
    swing: float = 0.0,
    swing_grid: Literal[8, 16] = 8,
    humanize: float = 0.0,
) -> np.ndarray:
    """Place drum hits on a loop of ``bars`` bars; tails past the end wrap to the start.

    Parameters
    ----------
    pattern : mapping of piece name -> list of (position in beats, velocity 0..1)
        Positions count from the loop start, ``0 <= pos < bars * beats_per_bar``.
    bpm : float
    sr : int
    kit : mapping of piece name -> ``[L]`` hit, optional
        Defaults to ``make_kit(sr, rng=rng)``.
    rng : numpy Generator
        Builds the default kit and draws the humanize jitter.
    swing : float
        0..<1: off-beat positions on ``swing_grid`` (8ths: x.5; 16ths: x.25, x.75) move
        later by ``swing`` times one grid step.
    humanize : float
        Random velocity variation, +- this fraction.

    Returns
    -------
    ndarray ``[round(bars * beats_per_bar * 60 / bpm * sr)]`` float32.
    """
    if bpm <= 0 or bars < 1 or beats_per_bar < 1 or sr <= 0:
        raise BadInputError(
            f"render_pattern needs bpm > 0, bars >= 1, beats_per_bar >= 1, sr > 0; got "
            f"{bpm}, {bars}, {beats_per_bar}, {sr}"
        )
    if not 0.0 <= swing < 1.0:
        raise BadInputError(f"swing={swing} must be in [0, 1)")
    if swing_grid not in (8, 16):
        raise BadInputError(f"swing_grid={swing_grid} must be 8 or 16")
    kit = kit if kit is not None else make_kit(sr, rng=rng)
    total_beats = bars * beats_per_bar
    spb = 60.0 / bpm * sr
    n = round(total_beats * spb)
    longest = max((kit[name].size for name in pattern if name in kit), default=0)
    buf = np.zeros(n + longest + 1 + round(spb), dtype=np.float32)
    for name, hits in pattern.items():
        if name not in kit:
            raise BadInputError(f"drum {name!r} is not in the kit; use one of {', '.join(kit)}")
        hit = kit[name]
        for pos, vel in hits:
            if not 0.0 <= pos < total_beats:
                raise BadInputError(f"hit position {pos} is outside the loop (0..{total_beats})")
            v = vel * (1.0 + humanize * rng.uniform(-1.0, 1.0)) if humanize else vel
            off = round(_swung(pos, swing, swing_grid) * spb)
            buf[off:off + hit.size] += np.float32(v) * hit
    return wrap_tail(buf, n)
