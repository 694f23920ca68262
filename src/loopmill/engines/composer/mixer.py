"""From an arrangement's parts to placed stereo stems: levels, pans, widths, pumping.

Each part is synthesised mono and placed (:func:`~loopmill.engines.composer.stereo.place`);
drums are rendered in groups (kick, snare, hats, hand percussion, cymbals) so each
group sits in its own place; a style's ``spread`` parts are played wide (rock and
metal guitars, dnb and trap leads double-tracked: two takes, hard left and right;
hats walking left and right), its ``echo`` is a ping-pong return on lead and arpeggio;
genres with a sidechain pump duck the sustained parts on every kick; a noise texture
(vinyl, wind) is its own part.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pedalboard

from loopmill.audio.denormals import no_denormals
from loopmill.engines.composer.arrange import Arrangement
from loopmill.engines.composer.drums import make_kit, render_pattern
from loopmill.engines.composer.stereo import (
    PLACEMENT,
    harmonics,
    ping_pong,
    place,
    pump_envelope,
)
from loopmill.engines.composer.synth import PATCHES, NoteEvent, noise, render_notes
from loopmill.engines.composer.theory import midi_to_hz
from loopmill.engines.composer.tone import tune_patch

__all__ = ["DRUM_GROUPS", "GAINS", "alternate_sides", "render_stem", "section_curve", "texture"]

#: role -> gain at level 1
GAINS = {"drums": 0.9, "bass": 0.8, "chords": 0.55, "drone": 0.3, "arp": 0.38, "lead": 0.5,
         "counter": 0.36, "texture": 0.5, "ostinato": 0.6,
         "musicbox": 0.38}
#: level of a spread bass's wide harmonic layer, relative to the bass
GRIT = 0.8
#: drum piece -> its group's placement (see stereo.PLACEMENT)
DRUM_GROUPS = {
    "kick": "kick", "timpani": "kick", "timpani5": "kick", "taiko": "kick",
    "snare": "drums", "clap": "drums", "rim": "drums", "chip_noise": "drums",
    "closed_hat": "hats", "open_hat": "hats", "ride": "hats", "shaker": "hats",
    "tambourine": "hats",
    "tom": "perc", "tom_hi": "perc", "tom_lo": "perc", "conga": "perc", "bongo": "perc",
    "frame": "perc",
    "crash": "cymbals", "swell": "cymbals",
}
_ECHOED = ("lead", "arp")  # a style's ping-pong echo is on these
_SWEPT = ("chords", "drone", "counter", "bass", "ostinato")  # their filters open with the form
_PUMPED = ("chords", "drone", "bass", "arp", "counter", "texture", "ostinato")


def _placed(y: np.ndarray, *, where: str, sr: int, width: float, gain: float,
            own_highpass: float | None = None) -> np.ndarray:
    pan, w, delay, hp = PLACEMENT[where]
    if own_highpass and own_highpass >= 0.8 * hp:
        hp = 0.0  # the patch is high-passed already: nothing low to keep out of the side
    return place(y, sr=sr, pan=float(np.clip(pan * 2 * width, -1, 1)),
                 width=float(np.clip(w * 2 * width, 0, 1)), delay_ms=delay, highpass_hz=hp,
                 gain=gain)


def _drums(arr: Arrangement, *, n: int, sr: int, rng: np.random.Generator, width: float,
           gain: float) -> np.ndarray:
    tonic = midi_to_hz(36 + (arr.key_pc - 36 % 12) % 12)
    while tonic > 110.0:
        tonic /= 2.0
    kit = make_kit(sr, style=arr.style.kit, rng=rng, tonic_hz=tonic,
                   pieces=frozenset(arr.drums))
    out = np.zeros((2, n), dtype=np.float32)
    groups: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for piece, hits in arr.drums.items():
        groups.setdefault(DRUM_GROUPS.get(piece, "drums"), {})[piece] = hits
    levels = dict(arr.style.mix)
    for group in sorted(groups):
        # a style's mix may scale one drum group ("drums" there is the whole kit's role)
        g = gain * (levels.get(group, 1.0) if group != "drums" else 1.0)
        if group in arr.style.spread:
            # every other onset of the group to the other side: a hat that walks L/R
            halves = alternate_sides(groups[group], beats_per_bar=arr.beats_per_bar)
            for side, half in zip((-1.0, 1.0), halves, strict=True):
                mono = render_pattern(half, bpm=arr.bpm, bars=arr.bars, sr=sr, kit=kit,
                                      rng=rng, swing=float(arr.controls.swing or 0.0))[:n]
                out += place(mono, sr=sr, pan=float(np.clip(side * 1.2 * width, -1, 1)),
                             width=float(np.clip(width, 0, 1)), delay_ms=7.0, highpass_hz=0.0,
                             gain=g)
            continue
        mono = render_pattern(groups[group], bpm=arr.bpm, bars=arr.bars, sr=sr, kit=kit,
                              rng=rng, swing=float(arr.controls.swing or 0.0))[:n]
        out += _placed(mono, where=group, sr=sr, width=width, gain=g)
    return out


def alternate_sides(
    hits: dict[str, list[tuple[float, float]]], *, beats_per_bar: int
) -> tuple[dict[str, list[tuple[float, float]]], dict[str, list[tuple[float, float]]]]:
    """Split a drum group's hits into (left, right) by time: within each bar, the group's
    distinct onsets go left, right, left ... in time order (the first of a bar left).

    Hits that sound together (two pieces, or a doubled hit) share a side, and the split
    does not depend on the order the hits are listed in.
    """
    rank: dict[float, int] = {}
    bar, k = -1, 0
    for t in sorted({round(pos, 3) for h in hits.values() for pos, _ in h}):
        this = int(t // beats_per_bar)
        k = k + 1 if this == bar else 0
        bar = this
        rank[t] = k
    sides: tuple[dict[str, list[tuple[float, float]]], ...] = ({}, {})
    for piece, h in hits.items():
        for side in sides:
            side[piece] = []
        for pos, vel in h:
            sides[rank[round(pos, 3)] % 2][piece].append((pos, vel))
    return sides[0], sides[1]


def texture(kind: str, *, n: int, sr: int, bpm: float, rng: np.random.Generator) -> np.ndarray:
    """A noise bed ``[n]``: ``vinyl`` (hiss and crackle), ``wind`` (slowly swelling
    low noise) or ``tape`` (hiss). Periodic: its modulation fits the loop."""
    if kind == "vinyl":
        hiss = noise(n, rng=rng, color="pink") * np.float32(0.05)
        clicks = np.zeros(n, dtype=np.float32)
        count = max(1, int(n / sr * 9))
        pos = rng.integers(0, n, count)
        clicks[pos] = rng.uniform(-1.0, 1.0, count).astype(np.float32) ** 3
        spec = np.fft.rfft(clicks)
        f = np.fft.rfftfreq(n, 1 / sr)
        spec *= np.clip(f / 1500.0, 0, 1) * np.clip((12000.0 - f) / 4000.0, 0, 1)
        return (hiss + np.fft.irfft(spec, n).astype(np.float32) * np.float32(6.0)).astype(
            np.float32)
    spec = np.fft.rfft(noise(n, rng=rng))
    f = np.fft.rfftfreq(n, 1 / sr)
    cut = 700.0 if kind == "wind" else 9000.0
    spec *= 1.0 / (1.0 + (f / cut) ** 4)
    y = np.fft.irfft(spec, n).astype(np.float32)
    y /= np.float32(np.max(np.abs(y)) or 1.0)
    if kind == "wind":
        t = np.arange(n) / n
        cycles = max(1, round(n / sr / 8.0))  # a gust every ~8 s, whole cycles per loop
        y *= (0.55 + 0.45 * np.sin(2 * np.pi * cycles * t + rng.random() * 6.28)).astype(
            np.float32)
        return y * np.float32(0.18)
    return y * np.float32(0.06)


def section_curve(arr: Arrangement, values: list[float], *, n: int, sr: int) -> np.ndarray:
    """A per-section value ``[n]`` float32 (one value per section), with half-beat linear
    ramps into each section; periodic (the ramp into the first section is at the end)."""
    spb = 60.0 / arr.bpm * sr
    starts = [round(sec.start_bar * arr.beats_per_bar * spb) for sec in arr.sections]
    curve = np.empty(n, dtype=np.float32)
    for i, st in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else n
        curve[st:end] = values[i]
    ramp = max(1, round(0.5 * spb))
    for i, st in enumerate(starts):
        prev = values[i - 1]
        idx = (np.arange(st - ramp, st) % n)
        curve[idx] = (prev + (values[i] - prev) * np.arange(1, ramp + 1) / ramp).astype(
            np.float32)
    return curve


def _sweep(arr: Arrangement, mono: np.ndarray, *, sr: int, amount: float) -> np.ndarray:
    """Filter movement: the part's highs follow the sections' intensity (dark first
    statement, open B and climax), ``amount`` 0..1 of the full sweep."""
    if not arr.sections or len(arr.sections) < 2 or amount <= 0:
        return mono
    warm = min(mono.size, sr // 4)
    lp = pedalboard.LowpassFilter(cutoff_frequency_hz=500.0)
    x = np.concatenate([mono[mono.size - warm:], mono])[None, :].astype(np.float32)
    with no_denormals():
        dark = lp(x, sr)[0, warm:]
    opening = [float(np.clip((sec.intensity - 0.72) / 0.28, 0.05, 1.0)) for sec in arr.sections]
    g = section_curve(arr, [1.0 - amount * (1.0 - o) for o in opening], n=mono.size, sr=sr)
    return (dark + (mono - dark) * g).astype(np.float32)


def render_stem(arr: Arrangement, role: str, *, n: int, sr: int, seed: int,
                mono: np.ndarray | None = None) -> np.ndarray:
    """One part of ``arr`` synthesised and placed: ``[2, n]`` float32.

    ``mono`` ``[n]``: the part already rendered (by a SoundFont); it is placed, swept
    and pumped like a synthesised one (a double-tracked second take is it, late).
    """
    rng = np.random.default_rng([seed, *role.encode()])
    ctl = arr.controls
    width = 0.5 if ctl.stereo_width is None else float(ctl.stereo_width)
    bright = 0.5 if ctl.brightness is None else float(ctl.brightness)
    gain = GAINS.get(role, 0.5) * dict(arr.style.mix).get(role, 1.0) * ctl.levels.get(role, 1.0)
    energy = float(ctl.energy or 0.0)
    if role == "drums":
        return _drums(arr, n=n, sr=sr, rng=rng, width=width, gain=gain)
    if role == "texture":
        mono = texture(arr.patches["texture"], n=n, sr=sr, bpm=arr.bpm, rng=rng)
        out = _placed(mono, where="texture", sr=sr, width=width, gain=gain)
    else:
        beat = 60.0 / arr.bpm
        patch = tune_patch(PATCHES[arr.patches[role]], brightness=bright)
        events = [NoteEvent(midi=m, start=s * beat, duration=d * beat, velocity=v)
                  for m, s, d, v in arr.parts[role]]
        given = mono is not None
        mono = render_notes(events, n=n, sr=sr, patch=patch, rng=rng) if mono is None else mono
        variation = 0.7 if ctl.variation is None else float(ctl.variation)
        if role in _SWEPT:
            mono = _sweep(arr, mono, sr=sr, amount=variation)
        if role in arr.style.spread and role != "bass":
            # double-tracked: a second take, a little late and detuned, hard right
            late = 0.015 + 0.008 * rng.random()
            take2 = [dataclasses.replace(e, start=e.start + late, midi=e.midi + 0.08,
                                         velocity=e.velocity * float(0.9 + 0.2 * rng.random()))
                     for e in events]
            right = (np.roll(mono, round(late * sr)) if given
                     else render_notes(take2, n=n, sr=sr, patch=patch, rng=rng))
            right = _sweep(arr, right, sr=sr, amount=variation)
            c = np.float32(gain * 0.5 * max(0.0, 1.0 - 2.0 * width))  # width 0.5: hard L/R
            s = np.float32(gain) - c
            out = np.stack([mono * s + right * c, right * s + mono * c]) * np.float32(1.2)
        else:
            out = _placed(mono, where=role if role in PLACEMENT else "chords", sr=sr,
                          width=width, gain=gain, own_highpass=patch.highpass)
            if role == "bass" and role in arr.style.spread:
                # an 808's growl: its saturated harmonics wide, its sub mono
                grit = harmonics(mono / np.float32(np.max(np.abs(mono)) or 1.0), sr=sr)
                out += place(grit, sr=sr, pan=0.0, width=float(np.clip(2 * width, 0, 1)),
                             delay_ms=12.0, highpass_hz=0.0,
                             gain=gain * GRIT * float(np.max(np.abs(mono))))
        if role in _ECHOED and arr.style.echo > 0:
            out += ping_pong(out, sr=sr, delay_s=0.75 * 60.0 / arr.bpm, feedback=0.55,
                             mix=arr.style.echo * 2 * width)
    if role in _PUMPED and arr.style.pump > 0:
        kicks = [b for b, _ in arr.drums.get("kick", [])]
        out *= pump_envelope(kicks, n=n, sr=sr, bpm=arr.bpm,
                             depth=arr.style.pump * (0.4 + 0.6 * energy))[None, :]
    return out
