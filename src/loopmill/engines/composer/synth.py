"""Vectorised synthesis for the composer: envelopes, noise, patches, notes, the loop seam.

The oscillators live in :mod:`.oscillators` (re-exported here). Every function returns
float32 mono arrays ``[T]``; the caller pans and mixes to ``[2, T]``. No Python loop
runs per sample; loops run per note or per unison voice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pedalboard

from loopmill.audio.denormals import no_denormals
from loopmill.engines.composer.oscillators import (
    FloatOrArray,
    check_sr,
    oscillator,
    phase_cycles,
    supersaw,
)
from loopmill.engines.composer.patches import PATCHES, Envelope, Patch
from loopmill.engines.composer.theory import midi_to_hz
from loopmill.errors import BadInputError

__all__ = [
    "PATCHES", "Envelope", "NoteEvent", "Patch", "adsr", "filter_stem", "noise", "oscillator",
    "render_note", "render_notes", "supersaw", "wrap_tail",
]


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
    check_sr(sr)
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
    p, _ = phase_cycles(freq, n, sr, 0.0)
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
    if (p.vibrato_rate > 0 and p.vibrato_cents > 0) or p.drift_cents > 0:
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
    check_sr(sr)
    p = _get_patch(patch)
    if duration < 0 or start < 0:
        raise BadInputError(f"note start={start} and duration={duration} must be >= 0")
    gate = round(duration * sr)
    n = gate + round(p.env.release * sr)
    e = p.env
    env = adsr(n, sr=sr, attack=e.attack, decay=e.decay, sustain=e.sustain, release=e.release,
               gate_samples=gate, curve=e.curve)
    out = _voice(p, midi, n, sr, rng).astype(np.float32, copy=False)
    out *= env
    out *= np.float32(velocity * p.gain)
    return round(start * sr), out


def _stem_board(p: Patch, sr: int) -> pedalboard.Pedalboard:
    """The patch's high-pass and 24 dB ladder low-pass (empty when it has neither)."""
    board = pedalboard.Pedalboard()
    if p.highpass:
        board.append(pedalboard.HighpassFilter(cutoff_frequency_hz=float(p.highpass)))
    if p.filter_cutoff and p.filter_cutoff < sr / 2:
        board.append(pedalboard.LadderFilter(mode=pedalboard.LadderFilter.Mode.LPF24,
                                             cutoff_hz=float(p.filter_cutoff),
                                             resonance=float(p.filter_resonance)))
    return board


def filter_stem(
    audio: np.ndarray, *, sr: int, patch: Patch | str, loop: bool = True
) -> np.ndarray:
    """Apply the patch's low-pass/high-pass to a whole mono stem ``[T]``.

    With ``loop=True`` the filter is warmed up on the stem's last half second (as if
    the loop had played once before), so the result still loops seamlessly.
    """
    p = _get_patch(patch)
    board = _stem_board(p, sr)
    if len(board) == 0 or audio.size == 0:
        return audio.astype(np.float32, copy=False)
    warm = min(audio.shape[-1], sr // 2) if loop else 0
    x = np.concatenate([audio[audio.shape[-1] - warm:], audio]) if warm else audio
    with no_denormals():  # a sparse part's silences would decay through denormals
        y = board(x.astype(np.float32)[None, :], sr)[0]
    return np.ascontiguousarray(y[warm:], dtype=np.float32)


#: Seconds of silence after each note when notes are filtered one by one: the
#: filters' ringing (a few ms for the patches' cut-offs) dies out well within it.
_RING_S = 0.1
#: Notes are filtered one by one (then placed) when their distinct sounds add up to
#: less than this fraction of the stem: the filter then runs over that much audio
#: instead of the whole stem (the ladder is the costliest step of a sparse part).
_PER_NOTE_MAX = 0.5


def _filter_notes(cache: dict[tuple[float, int], np.ndarray], *, sr: int, p: Patch,
                  level: dict[tuple[float, int], float]) -> dict[tuple[float, int], np.ndarray]:
    """Every distinct note filtered once, with its ring-out appended (one board run:
    the notes back to back, each followed by :data:`_RING_S` of silence). Each goes
    through the ladder at ``level`` (its mean velocity), where its soft saturation
    acts as on the stem, and comes back at velocity 1."""
    board = _stem_board(p, sr)
    ring = round(_RING_S * sr)
    keys = list(cache)
    sizes = [cache[k].size + ring for k in keys]
    buf = np.zeros(sum(sizes), dtype=np.float32)
    at = 0
    for k, size in zip(keys, sizes, strict=True):
        buf[at:at + cache[k].size] = cache[k] * np.float32(level[k])
        at += size
    with no_denormals():
        y = board(buf[None, :], sr, reset=True)[0]
    out, at = {}, 0
    for k, size in zip(keys, sizes, strict=True):
        out[k] = y[at:at + size] / np.float32(level[k])
        at += size
    return out


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
    keyed: list[tuple[int, tuple[float, int], float]] = []
    end = n
    for ev in events:
        key = (float(ev.midi), round(ev.duration * sr))
        if key not in cache:
            cache[key] = render_note(patch=p, midi=ev.midi, start=0.0, duration=ev.duration,
                                     velocity=1.0, sr=sr, rng=rng)[1]
        off = round(ev.start * sr)
        if ev.start < 0:
            raise BadInputError(f"note start {ev.start} must be >= 0")
        keyed.append((off, key, float(ev.velocity)))
        end = max(end, off + cache[key].size)
    per_note = (filtered and len(_stem_board(p, sr)) > 0
                and sum(s.size for s in cache.values()) + len(cache) * _RING_S * sr
                < _PER_NOTE_MAX * n)
    if per_note:
        # The filters are linear but for the ladder's soft saturation: filtering each
        # distinct note once and summing is, at the parts' levels, within about
        # -40 dB of filtering their sum, and much cheaper for a sparse part.
        vels: dict[tuple[float, int], list[float]] = {}
        for _, key, vel in keyed:
            vels.setdefault(key, []).append(vel)
        cache = _filter_notes(cache, sr=sr, p=p,
                              level={k: max(float(np.mean(v)), 1e-3) for k, v in vels.items()})
        end = max([n, *(off + cache[key].size for off, key, _ in keyed)])
    buf = np.zeros(end, dtype=np.float32)
    for off, key, vel in keyed:
        samples = cache[key]
        buf[off:off + samples.size] += np.float32(vel) * samples
    out = wrap_tail(buf, n) if loop else buf[:n]
    return filter_stem(out, sr=sr, patch=p, loop=loop) if filtered and not per_note else out
