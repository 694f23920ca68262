"""Vectorised synthesis for the composer: oscillators, envelopes, noise, patches, notes.

Every function returns float32 mono arrays ``[T]``; the caller pans and mixes to
``[2, T]``. No Python loop runs per sample; loops run per note or per unison voice.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pedalboard

from loopmill.engines.composer.patches import PATCHES, Envelope, Patch
from loopmill.engines.composer.theory import midi_to_hz
from loopmill.errors import BadInputError

__all__ = [
    "PATCHES", "Envelope", "NoteEvent", "Patch", "adsr", "filter_stem", "noise", "oscillator",
    "render_note", "render_notes", "supersaw", "wrap_tail",
]

OscKind = Literal["sine", "triangle", "saw", "square"]
_OSC_KINDS = ("sine", "triangle", "saw", "square")
FloatOrArray = float | np.ndarray


def _check_sr(sr: int) -> None:
    if sr <= 0:
        raise BadInputError(f"sample rate {sr} must be positive")


def _add_residual(
    out: np.ndarray, t: np.ndarray, dt: np.ndarray | float, scale: float, *, ramp: bool
) -> None:
    """Add ``scale`` x the PolyBLEP residual of a unit step at phase 0 (``ramp=False``) or
    the PolyBLAMP residual of a unit slope change (``ramp=True``), at the few samples
    within one increment of each wrap."""
    # The mask compares in float32 (t's type): a float64 dt would upcast all of t.
    d32 = dt.astype(np.float32) if isinstance(dt, np.ndarray) else np.float32(dt)
    near = t < d32
    near |= t > np.float32(1.0) - d32
    idx = np.flatnonzero(near)
    tt = t[idx].astype(np.float64)
    d = dt[idx] if isinstance(dt, np.ndarray) else dt
    first = tt < 0.5
    if ramp:
        x = np.where(first, tt / d - 1.0, (tt - 1.0) / d + 1.0)
        r = np.where(first, -(x**3), x**3) * d / 3.0
    else:
        x = np.where(first, tt / d, (tt - 1.0) / d)
        r = np.where(first, x + x - x * x - 1.0, x * x + x + x + 1.0)
    out[idx] += (scale * r).astype(out.dtype)


def _phase(
    freq: FloatOrArray, n: int, sr: int, phase: float, *, wrap: bool = True
) -> tuple[np.ndarray, np.ndarray | float]:
    """Phase in cycles, ``[n]`` float64 (in [0, 1) when ``wrap``), and the per-sample
    increment. The unwrapped phase lets unison voices scale one phase per voice."""
    if isinstance(freq, np.ndarray):
        if freq.shape != (n,):
            raise BadInputError(f"freq array has shape {freq.shape}; expected ({n},)")
        inc = np.abs(freq.astype(np.float64)) / sr
        p = np.cumsum(inc)
        p -= inc
        p += phase
        dt: np.ndarray | float = inc
    else:
        if not np.isfinite(freq) or freq < 0:
            raise BadInputError(f"frequency {freq} must be a finite non-negative number")
        dt = float(freq) / sr
        p = np.arange(n, dtype=np.float64)
        p *= dt
        p += phase
    if wrap:
        p -= np.floor(p)
    return p, dt


# With more harmonics below Nyquist than this, PolyBLEP/PolyBLAMP is used; with
# fewer (high notes) the waveform is summed additively: exactly band-limited, cheap.
_ADDITIVE_MAX_HARMONICS = 24


def _series(kind: str, p: np.ndarray, k_max: int) -> np.ndarray:
    theta = (2.0 * np.pi * p).astype(np.float32)
    z1 = np.empty(p.size, dtype=np.complex64)
    z1.real = np.cos(theta)
    z1.imag = np.sin(theta)
    z = z1.copy()
    out = np.zeros(p.size, dtype=np.float32)
    for k in range(1, k_max + 1):
        if kind == "saw":
            out -= z.imag * np.float32(2.0 / (np.pi * k))
        elif k % 2:
            if kind == "square":
                out += z.imag * np.float32(4.0 / (np.pi * k))
            else:
                out -= z.real * np.float32(8.0 / (np.pi * k) ** 2)
        if k < k_max:
            z *= z1
    return out


@functools.lru_cache(maxsize=128)
def _series_peak(kind: str, k_max: int) -> float:
    grid = np.arange(16384, dtype=np.float64) / 16384
    return max(1.0, float(np.max(np.abs(_series(kind, grid, k_max)))) * 1.0005)


def _additive(kind: str, p: np.ndarray, k_max: int) -> np.ndarray:
    """Fourier series of saw/square/triangle up to harmonic ``k_max``, ``[n]`` float32,
    scaled so that its Gibbs overshoot stays within +-1."""
    out = _series(kind, p, k_max)
    out /= np.float32(_series_peak(kind, k_max))
    return out


def oscillator(
    kind: str, freq: FloatOrArray, n: int, *, sr: int, phase: float = 0.0
) -> np.ndarray:
    """Band-limited oscillator: PolyBLEP saw/square, PolyBLAMP triangle, exact sine.

    Notes with at most 24 harmonics below Nyquist (above ~920 Hz at 44.1 kHz) are
    summed additively instead: no aliasing at all, Gibbs overshoot scaled into ±1.

    Parameters
    ----------
    kind : {"sine", "triangle", "saw", "square"}
    freq : float or ndarray ``[n]``
        Frequency in Hz, constant or per sample (vibrato, glide).
    n : int
        Number of samples.
    sr : int
        Sample rate in Hz.
    phase : float
        Start phase in cycles (0..1). Saw and square start their cycle at phase 0 with
        the falling/rising edge; the triangle starts at -1.

    Returns
    -------
    ndarray ``[n]`` float32, peak about 1.
    """
    _check_sr(sr)
    if kind not in _OSC_KINDS:
        raise BadInputError(f"unknown oscillator {kind!r}; use one of {', '.join(_OSC_KINDS)}")
    if n <= 0:
        return np.zeros(0, dtype=np.float32)
    p, dt = _phase(freq, n, sr, phase)
    return _from_phase(kind, p, dt, sr)


def _from_phase(kind: str, p: np.ndarray, dt: np.ndarray | float, sr: int) -> np.ndarray:
    """The oscillator's waveform at wrapped phase ``p`` with increment ``dt``."""
    if kind == "sine":
        return np.sin(2.0 * np.pi * p).astype(np.float32)
    fmax = float(np.max(dt)) * sr if isinstance(dt, np.ndarray) else float(dt) * sr
    k_max = int(sr / 2 // fmax) if fmax > 0 else _ADDITIVE_MAX_HARMONICS + 1
    if k_max <= _ADDITIVE_MAX_HARMONICS:
        return _additive(kind, p, max(k_max, 1))
    t = p.astype(np.float32)
    if kind != "saw":
        half = t + np.float32(0.5)
        half -= (half >= 1.0).astype(np.float32)
    if kind == "saw":
        out = 2.0 * t - np.float32(1.0)
        _add_residual(out, t, dt, -1.0, ramp=False)
    elif kind == "square":
        out = np.where(t < 0.5, np.float32(1.0), np.float32(-1.0))
        _add_residual(out, t, dt, 1.0, ramp=False)
        _add_residual(out, half, dt, -1.0, ramp=False)
    else:  # triangle: -1 at phase 0, +1 at 0.5; slope jumps by +-8 per cycle
        out = np.float32(1.0) - np.float32(4.0) * np.abs(t - np.float32(0.5))
        _add_residual(out, t, dt, 8.0, ramp=True)
        _add_residual(out, half, dt, -8.0, ramp=True)
    return out.astype(np.float32)


def supersaw(
    freq: FloatOrArray, n: int, *, sr: int, voices: int = 7, detune_cents: float = 12.0,
    rng: np.random.Generator, mix: float = 0.6
) -> np.ndarray:
    """Unison of detuned band-limited saws, spread evenly over ±``detune_cents``.

    Start phases come from ``rng``. The centre voice has weight 1, the others ``mix``;
    the sum is divided by the total weight, so the output never exceeds ±1.

    Returns
    -------
    ndarray ``[n]`` float32.
    """
    if voices < 1:
        raise BadInputError(f"supersaw voices={voices} must be at least 1")
    cents = np.linspace(-1.0, 1.0, voices) * detune_cents if voices > 1 else np.zeros(1)
    phases = rng.random(voices)
    weights = np.full(voices, mix)
    weights[np.argmin(np.abs(cents))] = 1.0
    out = np.zeros(n, dtype=np.float32)
    if n == 0:
        return out
    _check_sr(sr)
    # One cumulative phase for all voices: a detuned voice's phase is the centre's
    # (unwrapped) times its frequency ratio, so no voice needs its own cumsum.
    base, inc = _phase(freq, n, sr, 0.0, wrap=False)
    for c, ph, w in zip(cents, phases, weights, strict=True):
        ratio = 2.0 ** (c / 1200.0)
        p = base * ratio
        p += ph
        p -= np.floor(p)
        out += np.float32(w) * _from_phase("saw", p, inc * ratio, sr)
    out /= np.float32(weights.sum())
    return np.clip(out, -1.0, 1.0, out=out)


def noise(n: int, *, rng: np.random.Generator, color: str = "white") -> np.ndarray:
    """White (uniform ±1) or pink (-3 dB/octave, peak-normalised to 1) noise, ``[n]`` float32."""
    if color not in ("white", "pink"):
        raise BadInputError(f"unknown noise color {color!r}; use 'white' or 'pink'")
    if n <= 0:
        return np.zeros(0, dtype=np.float32)
    white = rng.uniform(-1.0, 1.0, n)
    if color == "white":
        return white.astype(np.float32)
    spec = np.fft.rfft(white)
    k = np.arange(spec.size, dtype=np.float64)
    k[0] = 1.0
    spec /= np.sqrt(k)
    spec[0] = 0.0
    pink = np.fft.irfft(spec, n)
    peak = float(np.max(np.abs(pink))) or 1.0
    return (pink / peak).astype(np.float32)


def _segment(v0: float, v1: float, length: int, curve: str) -> np.ndarray:
    """``length`` samples from ``v0`` (included) towards ``v1`` (reached at ``length``)."""
    x = np.arange(length, dtype=np.float64) / max(length, 1)
    if curve == "exp":
        k = 5.0
        x = (1.0 - np.exp(-k * x)) / (1.0 - np.exp(-k))
    return v0 + (v1 - v0) * x


def adsr(
    n: int, *, sr: int, attack: float, decay: float, sustain: float, release: float,
    gate_samples: int, curve: str = "linear"
) -> np.ndarray:
    """Attack-decay-sustain-release envelope.

    Segment lengths are ``round(seconds * sr)`` samples. The attack rises from 0 at
    sample 0 to 1 at sample ``A``; the decay falls to ``sustain`` at ``A + D``; at
    ``gate_samples`` the release falls from the level reached then to 0 at
    ``gate_samples + R``, and stays 0. A gate before ``A + D`` cuts attack/decay short.

    Parameters
    ----------
    n : int
        Output length; usually ``gate_samples + R``.
    curve : {"linear", "exp"}
        Shape of the decay and release (``"exp"``: fast then slow, same end points).

    Returns
    -------
    ndarray ``[n]`` float32 in [0, 1].
    """
    _check_sr(sr)
    for name, val in (("attack", attack), ("decay", decay), ("release", release)):
        if val < 0:
            raise BadInputError(f"adsr {name}={val} must be >= 0 seconds")
    if not 0.0 <= sustain <= 1.0:
        raise BadInputError(f"adsr sustain={sustain} must be between 0 and 1")
    if curve not in ("linear", "exp"):
        raise BadInputError(f"adsr curve {curve!r} must be 'linear' or 'exp'")
    a, d, r = round(attack * sr), round(decay * sr), round(release * sr)
    gate = max(0, int(gate_samples))
    held = np.concatenate([
        _segment(0.0, 1.0, a, "linear"),
        _segment(1.0, sustain, d, curve),
        np.full(max(gate - a - d, 0), sustain),
    ])[:gate]
    if gate <= a:
        level = gate / a if a else 1.0
    elif gate <= a + d:
        level = float(_segment(1.0, sustain, d, curve)[gate - a]) if gate < a + d else sustain
    else:
        level = sustain
    env = np.concatenate([held, _segment(level, 0.0, r, curve), np.zeros(max(n - gate - r, 0))])
    if env.size < n:
        env = np.pad(env, (0, n - env.size))
    return env[:n].astype(np.float32)


def wrap_tail(buffer: np.ndarray, n: int) -> np.ndarray:
    """Fold everything past sample ``n`` back onto the start: a seamless ``n``-sample loop.

    ``buffer[n:2n]`` is added onto ``out[:...]``, ``buffer[2n:3n]`` too, and so on; a
    buffer shorter than ``n`` is zero-padded. The sum of samples is conserved.

    Parameters
    ----------
    buffer : ndarray ``[T]`` or ``[C, T]``
    n : int
        Loop length in samples.

    Returns
    -------
    ndarray ``[n]`` (or ``[C, n]``), same dtype.
    """
    if n <= 0:
        raise BadInputError(f"loop length n={n} must be positive")
    total = buffer.shape[-1]
    out = np.zeros((*buffer.shape[:-1], n), dtype=buffer.dtype)
    for k in range(0, total, n):
        seg = buffer[..., k:k + n]
        out[..., :seg.shape[-1]] += seg
    return out


@dataclass(frozen=True)
class NoteEvent:
    """One note: MIDI pitch, start and duration (gate) in seconds, velocity 0..1."""

    midi: float
    start: float
    duration: float
    velocity: float = 0.8


def _get_patch(patch: Patch | str) -> Patch:
    if isinstance(patch, Patch):
        return patch
    if patch not in PATCHES:
        raise BadInputError(f"unknown patch {patch!r}; use one of {', '.join(PATCHES)}")
    return PATCHES[patch]


def _pluck_str(freq: FloatOrArray, f0: float, n: int, sr: int, rng: np.random.Generator
               ) -> np.ndarray:
    """A plucked string: harmonics 1..8, the higher ones dying faster."""
    t32 = np.arange(n, dtype=np.float32) / np.float32(sr)
    out = np.zeros(n, dtype=np.float32)
    for k in range(1, 9):
        if f0 * k >= sr / 2.2:
            break
        amp = np.float32(1.0 / k)
        out += amp * np.exp(np.float32(-1.5 * k) * t32) * oscillator(
            "sine", freq * k, n, sr=sr, phase=float(rng.random()))
    return out / np.float32(1.6)


def _fm(freq: FloatOrArray, f0: float, n: int, sr: int, rng: np.random.Generator
        ) -> np.ndarray:
    """A bell / mallet: carrier at f0, modulator at 3.5 f0, index decaying from 3."""
    t = np.arange(n, dtype=np.float64) / sr
    mod = oscillator("sine", freq * 3.5, n, sr=sr) * (3.0 * np.exp(-4.0 * t))
    p, _ = _phase(freq, n, sr, 0.0)
    return np.sin(2.0 * np.pi * p + mod).astype(np.float32)


def _flute(freq: FloatOrArray, f0: float, n: int, sr: int, rng: np.random.Generator
           ) -> np.ndarray:
    """A flute: sine plus a little triangle, breath noise on top."""
    out = oscillator("sine", freq, n, sr=sr) + 0.25 * oscillator("triangle", freq, n, sr=sr)
    breath = noise(n, rng=rng) * np.float32(0.05)
    return (out + breath) / np.float32(1.25)


def _ep(freq: FloatOrArray, f0: float, n: int, sr: int, rng: np.random.Generator
        ) -> np.ndarray:
    t32 = np.arange(n, dtype=np.float32) / np.float32(sr)
    out = oscillator("sine", freq, n, sr=sr)
    out += 0.35 * np.exp(-6.0 * t32) * oscillator("sine", freq * 2.0, n, sr=sr)
    out += 0.12 * np.exp(-9.0 * t32) * oscillator("sine", freq * 3.0, n, sr=sr)
    if f0 * 7.0 < sr / 2:
        out += 0.08 * np.exp(-40.0 * t32) * oscillator("sine", freq * 7.0, n, sr=sr)
    return out / np.float32(1.3)


#: osc name -> the tone of one note (beyond the plain oscillators and the supersaw)
_VOICES = {"pluck_str": _pluck_str, "fm": _fm, "flute": _flute, "ep": _ep}


def _voice(p: Patch, midi: float, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """The raw (unenveloped) tone of one note, ``[n]`` float32."""
    f0 = midi_to_hz(midi + p.transpose)
    freq: FloatOrArray = f0
    cents = None
    t = np.arange(n, dtype=np.float64) / sr
    if p.vibrato_rate > 0 and p.vibrato_cents > 0:
        depth = p.vibrato_cents * np.clip((t - p.vibrato_delay) / max(p.vibrato_delay, 1e-3), 0, 1)
        cents = depth * np.sin(2 * np.pi * p.vibrato_rate * t)
    if p.drift_cents > 0:
        # two slow sines at random rates and phases: a player's pitch wander
        r = rng.random(4)
        wander = p.drift_cents * (np.sin(2 * np.pi * (0.15 + 0.3 * r[0]) * t + 6.28 * r[1])
                                  + 0.5 * np.sin(2 * np.pi * (0.5 + r[2]) * t + 6.28 * r[3]))
        cents = wander if cents is None else cents + wander
    if cents is not None:
        freq = f0 * 2.0 ** (cents / 1200.0)
    if p.osc == "supersaw":
        return supersaw(freq, n, sr=sr, voices=p.voices, detune_cents=p.detune_cents, rng=rng)
    if p.osc in _VOICES:
        return _VOICES[p.osc](freq, f0, n, sr, rng)
    return oscillator(p.osc, freq, n, sr=sr)


def render_note(
    *, patch: Patch | str, midi: float, start: float, duration: float, velocity: float, sr: int,
    rng: np.random.Generator
) -> tuple[int, np.ndarray]:
    """Render one enveloped note (unfiltered: filters run per stem).

    Parameters
    ----------
    patch : Patch or preset name from ``PATCHES``
    midi : float
        MIDI pitch (fractional allowed), before the patch's ``transpose``.
    start, duration : float
        Onset and gate length in seconds; the sound lasts ``duration + release``.
    velocity : float
        Linear gain 0..1 (times ``patch.gain``).

    Returns
    -------
    (offset, samples) : int, ndarray ``[L]`` float32
        ``offset = round(start * sr)``; ``L = round(duration * sr) + round(release * sr)``.
    """
    _check_sr(sr)
    p = _get_patch(patch)
    if duration < 0 or start < 0:
        raise BadInputError(f"note start={start} and duration={duration} must be >= 0")
    gate = round(duration * sr)
    n = gate + round(p.env.release * sr)
    e = p.env
    env = adsr(n, sr=sr, attack=e.attack, decay=e.decay, sustain=e.sustain, release=e.release,
               gate_samples=gate, curve=e.curve)
    out = _voice(p, midi, n, sr, rng) * env * np.float32(velocity * p.gain)
    return round(start * sr), out.astype(np.float32, copy=False)


def filter_stem(
    audio: np.ndarray, *, sr: int, patch: Patch | str, loop: bool = True
) -> np.ndarray:
    """Apply the patch's low-pass/high-pass to a whole mono stem ``[T]``.

    With ``loop=True`` the filter is warmed up on the stem's last half second (as if
    the loop had played once before), so the result still loops seamlessly.
    """
    p = _get_patch(patch)
    board = pedalboard.Pedalboard()
    if p.highpass:
        board.append(pedalboard.HighpassFilter(cutoff_frequency_hz=float(p.highpass)))
    if p.filter_cutoff and p.filter_cutoff < sr / 2:
        board.append(pedalboard.LadderFilter(mode=pedalboard.LadderFilter.Mode.LPF24,
                                             cutoff_hz=float(p.filter_cutoff),
                                             resonance=float(p.filter_resonance)))
    if len(board) == 0 or audio.size == 0:
        return audio.astype(np.float32, copy=False)
    warm = min(audio.shape[-1], sr // 2) if loop else 0
    x = np.concatenate([audio[audio.shape[-1] - warm:], audio]) if warm else audio
    y = board(x.astype(np.float32)[None, :], sr)[0]
    return np.ascontiguousarray(y[warm:], dtype=np.float32)


def render_notes(
    events: Sequence[NoteEvent], *, n: int, sr: int, patch: Patch | str,
    rng: np.random.Generator, loop: bool = True, filtered: bool = True
) -> np.ndarray:
    """Sum many notes into one stem of ``n`` samples.

    Identical notes (same pitch and gate length) are synthesised once and reused, with
    their velocity applied as a gain. With ``loop=True`` tails past ``n`` wrap onto the
    start (``wrap_tail``) and the stem filter is warmed up for a seamless loop; with
    ``loop=False`` they are cut off.

    Returns
    -------
    ndarray ``[n]`` float32.
    """
    if n <= 0:
        raise BadInputError(f"stem length n={n} must be positive")
    p = _get_patch(patch)
    cache: dict[tuple[float, int], np.ndarray] = {}
    placed: list[tuple[int, np.ndarray, float]] = []
    end = n
    for ev in events:
        key = (float(ev.midi), round(ev.duration * sr))
        if key not in cache:
            cache[key] = render_note(patch=p, midi=ev.midi, start=0.0, duration=ev.duration,
                                     velocity=1.0, sr=sr, rng=rng)[1]
        off = round(ev.start * sr)
        if ev.start < 0:
            raise BadInputError(f"note start {ev.start} must be >= 0")
        placed.append((off, cache[key], float(ev.velocity)))
        end = max(end, off + cache[key].size)
    buf = np.zeros(end, dtype=np.float32)
    for off, samples, vel in placed:
        buf[off:off + samples.size] += np.float32(vel) * samples
    out = wrap_tail(buf, n) if loop else buf[:n]
    return filter_stem(out, sr=sr, patch=p, loop=loop) if filtered else out
