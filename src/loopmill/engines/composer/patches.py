"""The composer's instruments: envelope and patch settings, and the preset table.

Plain frozen data; :mod:`loopmill.engines.composer.synth` turns a patch into sound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PATCHES", "Envelope", "Patch"]


@dataclass(frozen=True)
class Envelope:
    """ADSR settings in seconds (sustain is a level 0..1)."""

    attack: float = 0.005
    decay: float = 0.1
    sustain: float = 0.7
    release: float = 0.1
    curve: str = "linear"


@dataclass(frozen=True)
class Patch:
    """An instrument: oscillator, envelope and stem filter.

    ``osc`` is "sine", "triangle", "saw", "square", "supersaw" (``voices`` saws spread
    over ±``detune_cents``) or "ep" (sine, decaying 2nd/3rd harmonics, a short tine).
    ``gain`` is the level at velocity 1. ``filter_cutoff`` (Hz, or None) and
    ``filter_resonance`` (0..1) set a 24 dB ladder low-pass and ``highpass`` (Hz) a
    high-pass, both run over the whole stem. ``transpose`` adds semitones; vibrato is a
    sine of ``vibrato_rate`` Hz and ``vibrato_cents`` depth, fading in after
    ``vibrato_delay`` seconds; ``drift_cents`` adds a slow random pitch wander per note
    (a player, not an oscillator). ``osc`` may also be "pluck_str" (a plucked string:
    harmonics that die faster the higher they are), "fm" (a bell: 1 : 3.5 frequency
    modulation with a decaying index), "flute" (sine and triangle with breath noise).
    """

    osc: str = "saw"
    env: Envelope = field(default_factory=Envelope)
    gain: float = 0.5
    voices: int = 1
    detune_cents: float = 0.0
    filter_cutoff: float | None = None
    filter_resonance: float = 0.0
    highpass: float | None = None
    transpose: int = 0
    vibrato_rate: float = 0.0
    vibrato_cents: float = 0.0
    vibrato_delay: float = 0.0
    drift_cents: float = 0.0


PATCHES: dict[str, Patch] = {
    "bass": Patch("saw", Envelope(0.004, 0.18, 0.55, 0.06, "exp"), gain=0.55,
                  filter_cutoff=700.0, filter_resonance=0.25),
    "pad": Patch("supersaw", Envelope(0.35, 0.6, 0.8, 0.8), gain=0.22, voices=5,
                 detune_cents=14.0, filter_cutoff=2200.0, highpass=120.0),
    "pluck": Patch("saw", Envelope(0.002, 0.22, 0.0, 0.08, "exp"), gain=0.35,
                   filter_cutoff=2600.0, filter_resonance=0.2),
    "lead": Patch("square", Envelope(0.01, 0.15, 0.75, 0.12), gain=0.3, filter_cutoff=4500.0,
                  vibrato_rate=5.5, vibrato_cents=18.0, vibrato_delay=0.18),
    "chip_square": Patch("square", Envelope(0.001, 0.05, 0.7, 0.02), gain=0.25),
    "ep": Patch("ep", Envelope(0.003, 1.2, 0.25, 0.35, "exp"), gain=0.4, filter_cutoff=6000.0),
    "drone": Patch("supersaw", Envelope(0.8, 0.5, 0.9, 1.0), gain=0.22, voices=3,
                   detune_cents=7.0, filter_cutoff=2000.0, highpass=100.0),
    "strings": Patch("supersaw", Envelope(0.45, 0.5, 0.85, 0.7), gain=0.22, voices=7,
                     detune_cents=10.0, filter_cutoff=3800.0, highpass=160.0,
                     vibrato_rate=4.8, vibrato_cents=6.0, vibrato_delay=0.3, drift_cents=4.0),
    "cello": Patch("supersaw", Envelope(0.12, 0.4, 0.8, 0.35), gain=0.32, voices=3,
                   detune_cents=6.0, filter_cutoff=1800.0, vibrato_rate=5.0, vibrato_cents=8.0,
                   vibrato_delay=0.25, drift_cents=3.0),
    "pizz": Patch("pluck_str", Envelope(0.002, 0.3, 0.0, 0.15, "exp"), gain=0.4,
                  filter_cutoff=3500.0),
    "brass": Patch("saw", Envelope(0.08, 0.3, 0.8, 0.25), gain=0.26, voices=1,
                   filter_cutoff=2400.0, filter_resonance=0.1, vibrato_rate=5.2,
                   vibrato_cents=10.0, vibrato_delay=0.35, drift_cents=4.0),
    "horn": Patch("supersaw", Envelope(0.18, 0.4, 0.85, 0.4), gain=0.22, voices=2,
                  detune_cents=5.0, filter_cutoff=1500.0, vibrato_rate=4.6, vibrato_cents=7.0,
                  vibrato_delay=0.4, drift_cents=3.0),
    "upright": Patch("pluck_str", Envelope(0.004, 0.6, 0.3, 0.12, "exp"), gain=0.6,
                     filter_cutoff=1400.0),
    "vibes": Patch("fm", Envelope(0.002, 1.4, 0.0, 0.5, "exp"), gain=0.3, vibrato_rate=5.5,
                   vibrato_cents=4.0),
    "lute": Patch("pluck_str", Envelope(0.002, 0.7, 0.15, 0.3, "exp"), gain=0.32,
                  filter_cutoff=4200.0),
    "harp": Patch("pluck_str", Envelope(0.002, 1.2, 0.0, 0.6, "exp"), gain=0.3,
                  filter_cutoff=5000.0),
    "flute": Patch("flute", Envelope(0.06, 0.2, 0.85, 0.15), gain=0.3, vibrato_rate=5.0,
                   vibrato_cents=14.0, vibrato_delay=0.25, drift_cents=5.0),
    "recorder": Patch("flute", Envelope(0.04, 0.2, 0.8, 0.1), gain=0.22, transpose=-12,
                      vibrato_rate=4.5, vibrato_cents=8.0, vibrato_delay=0.3),
    "bell": Patch("fm", Envelope(0.002, 2.0, 0.0, 1.0, "exp"), gain=0.25),
    "choir": Patch("supersaw", Envelope(0.6, 0.5, 0.85, 0.9), gain=0.16, voices=4,
                   detune_cents=9.0, filter_cutoff=1300.0, highpass=200.0, vibrato_rate=4.2,
                   vibrato_cents=9.0, vibrato_delay=0.4, drift_cents=6.0),
    "reese": Patch("supersaw", Envelope(0.01, 0.3, 0.9, 0.1), gain=0.45, voices=2,
                   detune_cents=22.0, filter_cutoff=650.0, filter_resonance=0.3),
    "sub": Patch("sine", Envelope(0.003, 0.8, 0.25, 0.12, "exp"), gain=0.9),
    "guitar": Patch("supersaw", Envelope(0.003, 0.25, 0.7, 0.06, "exp"), gain=0.3, voices=2,
                    detune_cents=7.0, filter_cutoff=3200.0),
    "lead_guitar": Patch("saw", Envelope(0.005, 0.2, 0.85, 0.12), gain=0.28,
                         filter_cutoff=3500.0, vibrato_rate=5.8, vibrato_cents=30.0,
                         vibrato_delay=0.2, drift_cents=5.0),
    "marimba": Patch("fm", Envelope(0.001, 0.45, 0.0, 0.2, "exp"), gain=0.32, transpose=0),
    "kalimba": Patch("pluck_str", Envelope(0.001, 0.5, 0.0, 0.3, "exp"), gain=0.25),
    "pluck_bass": Patch("pluck_str", Envelope(0.003, 0.5, 0.4, 0.1, "exp"), gain=0.6,
                        filter_cutoff=1100.0),
    "chip_pulse": Patch("square", Envelope(0.001, 0.1, 0.5, 0.03), gain=0.16),
    # short bowed strings for ostinati: a fast attack, a short bloom, no sustain
    "spiccato": Patch("supersaw", Envelope(0.008, 0.16, 0.25, 0.1, "exp"), gain=0.6, voices=3,
                      detune_cents=8.0, filter_cutoff=3200.0, highpass=140.0),
    # a music box: a bright fm tine that dies within a second
    "music_box": Patch("fm", Envelope(0.001, 0.8, 0.0, 0.5, "exp"), gain=0.45),
}


