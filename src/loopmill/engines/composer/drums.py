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


KIT_PIECES = ("kick", "snare", "clap", "closed_hat", "open_hat", "tom", "rim", "chip_noise")


def make_kit(sr: int, *, style: str = "standard", rng: np.random.Generator | None = None
             ) -> dict[str, np.ndarray]:
    """Every piece of ``KIT_PIECES`` rendered once, tuned for a style.

    ``style``: "standard", "808" (long low kick, tight snare) or "chip" (8-bit: square-ish
    noise for snare and hats).
    """
    r = _rng(rng)
    if style == "standard":
        k = kick(sr)
    elif style in ("808", "chip"):
        k = kick(sr, pitch=45.0, decay=0.7 if style == "808" else 0.15, click=0.3)
    else:
        raise BadInputError(f"unknown kit style {style!r}; use 'standard', '808' or 'chip'")
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
