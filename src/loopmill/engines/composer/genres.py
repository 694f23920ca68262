"""The composer's genres: how each one sounds, grooves and develops (a registry of styles).

A genre is one :class:`Style` entry in :data:`STYLES`; adding a genre is one entry here,
its progressions in :mod:`~loopmill.engines.composer.theory` and its effect chain in
:mod:`~loopmill.engines.composer.chains`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["STYLES", "Hits", "Style"]

#: (position in beats within one bar, velocity 0..1)
Hits = tuple[tuple[float, float], ...]
Rhythm = tuple[tuple[float, float], ...]  # (start, length) in beats within one bar


@dataclass(frozen=True)
class Style:
    """How a genre sounds, grooves and develops.

    The ``*_b`` fields are the B section's alternatives (``None``: derived from A's).
    ``fill`` names the drum fill at phrase ends (``snare``, ``tom``, ``chip``,
    ``taiko``, ``roll``, ``hat``, ``none``), ``crash`` the cymbal on phrase starts,
    ``pump`` the depth of the sidechain duck on every kick, ``texture`` a noise bed
    (``vinyl``, ``wind``, ``tape``) and ``perc`` extra percussion placed left/right.
    ``spread`` names the parts played wide: a pitched role is double-tracked (a second
    take, late and detuned, hard left and right), the drum group ``hats`` alternates
    its hits left and right. ``echo`` is the level of a ping-pong echo (dotted eighths,
    left and right) on the lead and arpeggio: a stereo delay return. ``mix`` scales
    roles' levels (the genre's balance: trap's melody is not buried under its 808), and
    may scale a drum group other than ``drums`` (``kick``, ``hats``, ``perc``, ``cymbals``).
    ``bass`` in ``spread`` is not double-tracked: its saturated upper harmonics (an 808's
    growl, above 250 Hz) are played wide, its fundamental stays mono.
    ``wobble`` is the depth in cents of the tape wow and flutter on the mix when the
    prompt asks for a worn texture (tape, vinyl, lofi ...).
    """

    bpm_range: tuple[int, int]
    chord_patch: str
    bass_patch: str
    arp_patch: str | None
    lead_patch: str | None
    chord_rhythm: Rhythm
    bass_rhythm: Rhythm
    arp_step: float
    drums: dict[str, Hits]
    kit: str = "standard"
    swing: float = 0.0
    bars_per_chord: int = 1
    walking_bass: bool = False
    chord_octave: int = 4
    counter_patch: str | None = None
    chord_rhythm_b: Rhythm | None = None
    bass_rhythm_b: Rhythm | None = None
    drums_b: dict[str, Hits] | None = None
    perc: dict[str, Hits] = field(default_factory=dict)
    fill: str = "snare"
    crash: str | None = "crash"
    pump: float = 0.0
    texture: str | None = None
    drone: bool = False
    lead_octave: int = 5
    form: str = "AABA"
    spread: tuple[str, ...] = ()
    echo: float = 0.0
    mix: tuple[tuple[str, float], ...] = ()
    wobble: float = 0.0
    control_defaults: tuple[tuple[str, float], ...] = ()

    @property
    def defaults(self) -> dict[str, float]:
        """The genre's choice for each continuous control (others: 0.5)."""
        return {"swing": self.swing, "chord_colour": 0.25, **dict(self.control_defaults)}


def _every(step: float, vel: float | tuple[float, ...], *, offset: float = 0.0) -> Hits:
    """Hits every ``step`` beats through the bar at velocity ``vel``, or cycling through
    the velocities ``vel`` (the first on each beat when ``len(vel) * step`` is one beat:
    hats that accent it)."""
    vels = vel if isinstance(vel, tuple) else (vel,)
    return tuple((offset + i * step, vels[i % len(vels)]) for i in range(round(4 / step)))


_EIGHTHS = tuple((i * 0.5, 0.5) for i in range(8))
_QUARTERS = tuple((float(i), 1.0) for i in range(4))
_WHOLE = ((0.0, 4.0),)
_HALVES = ((0.0, 2.0), (2.0, 2.0))
_BACKBEAT = ((1.0, 0.9), (3.0, 0.9))

STYLES: dict[str, Style] = {
    "synthwave": Style(
        (84, 110), "pad", "bass", "pluck", "lead", _WHOLE, _EIGHTHS, 0.25,
        {"kick": ((0, 1.0), (2, 0.95)), "snare": _BACKBEAT, "closed_hat": _every(0.5, 0.35)},
        counter_patch="horn", chord_rhythm_b=((0.0, 1.5), (1.5, 1.0), (2.5, 1.5)),
        drums_b={"kick": _every(1.0, 1.0), "snare": _BACKBEAT, "open_hat": _every(1.0, 0.3,
                 offset=0.5), "closed_hat": _every(0.25, 0.2)},
        pump=0.35, drone=True, spread=("lead", "hats"), echo=0.3,
    ),
    "lofi": Style(
        (70, 90), "ep", "bass", None, "pluck", ((0.0, 1.5), (2.5, 1.5)),
        ((0.0, 1.0), (1.5, 0.5), (2.5, 1.0)), 0.5,
        {"kick": ((0, 0.9), (1.75, 0.6), (2.5, 0.8)), "snare": ((1, 0.7), (3, 0.7)),
         "closed_hat": _every(0.5, 0.3)},
        kit="808", swing=0.55, counter_patch="ep", chord_rhythm_b=((0.0, 3.5),),
        drums_b={"kick": ((0, 0.9), (2.5, 0.8), (2.75, 0.5)), "snare": ((1, 0.7), (3, 0.7)),
                 "rim": ((2.5, 0.3),), "closed_hat": _every(0.5, 0.28)},
        fill="hat", crash=None, texture="vinyl", drone=True, wobble=14.0,
        control_defaults=(("chord_colour", 0.8), ("brightness", 0.4)),
    ),
    "ambient": Style(
        (60, 80), "pad", "pad", "pluck", "bell", _WHOLE, _WHOLE, 1.0, {},
        counter_patch="strings", fill="none", crash="swell",
        texture="wind", drone=True, form="build",
        control_defaults=(("space", 0.75), ("melody_density", 0.45), ("brightness", 0.3)),
    ),
    "chiptune": Style(
        (120, 160), "chip_square", "chip_square", "chip_square", "chip_square",
        ((0.0, 0.5), (1.5, 0.5), (3.0, 0.5)), _EIGHTHS, 0.25,
        {"kick": ((0, 1.0), (2, 1.0)), "chip_noise": ((1, 0.8), (3, 0.8)),
         "closed_hat": _every(0.5, 0.25)},
        kit="chip", counter_patch="chip_pulse", chord_rhythm_b=_EIGHTHS,
        drums_b={"kick": ((0, 1.0), (1.5, 0.8), (2, 1.0)), "chip_noise": _BACKBEAT,
                 "closed_hat": _every(0.25, 0.2)},
        fill="chip", crash=None, form="ABAB",
        control_defaults=(("humanize", 0.1), ("space", 0.3)),
    ),
    "orchestral": Style(
        (70, 110), "strings", "cello", "pizz", "brass", _WHOLE, _HALVES, 0.5,
        {"timpani": ((0, 1.0), (2, 0.8)), "timpani5": ((3.5, 0.6),)},
        counter_patch="horn", chord_rhythm_b=_EIGHTHS, bass_rhythm_b=_EIGHTHS,
        drums_b={"timpani": ((0, 1.0), (1, 0.7), (2, 0.9), (3, 0.7)),
                 "taiko": ((0, 1.0), (1.5, 0.7), (2.5, 0.8)), "snare": _every(0.5, 0.35)},
        perc={"tom": ((1.5, 0.5), (3.5, 0.45))}, fill="roll", drone=True,
        mix=(("drums", 0.6),),  # timpani under the strings, not over them
        control_defaults=(("space", 0.6), ("brightness", 0.35)),
    ),
    "house": Style(
        (118, 128), "ep", "bass", "pluck", "lead",
        ((0.5, 0.25), (1.5, 0.25), (2.5, 0.25), (3.5, 0.25)),
        ((0.5, 0.4), (1.5, 0.4), (2.5, 0.4), (3.5, 0.4)), 0.25,
        {"kick": _every(1.0, 1.0), "clap": _BACKBEAT, "open_hat": _every(1.0, 0.45, offset=0.5),
         "closed_hat": _every(0.25, 0.18)},
        kit="808", counter_patch="pad", chord_rhythm_b=((0.0, 4.0),),
        drums_b={"kick": _every(1.0, 1.0), "clap": _BACKBEAT, "ride": _every(0.5, 0.3),
                 "open_hat": _every(1.0, 0.5, offset=0.5)},
        perc={"shaker": _every(0.25, 0.15)}, fill="snare", pump=0.5, form="build",
    ),
    "rock": Style(
        (100, 140), "guitar", "bass", None, "lead_guitar", _EIGHTHS, _EIGHTHS, 0.5,
        {"kick": ((0, 1.0), (2, 0.9), (2.5, 0.8)), "snare": ((1, 1.0), (3, 1.0)),
         "closed_hat": _every(0.5, 0.45)},
        chord_octave=3, counter_patch="guitar", chord_rhythm_b=_HALVES,
        drums_b={"kick": ((0, 1.0), (1.5, 0.8), (2, 0.9)), "snare": ((1, 1.0), (3, 1.0)),
                 "ride": _every(0.5, 0.4)},
        fill="tom", form="ABAB", spread=("chords",),
    ),
    "jazz": Style(
        (80, 125), "ep", "upright", None, "ep", ((0.0, 1.0), (1.5, 0.5), (2.5, 1.0)),
        _QUARTERS, 0.5,
        {"ride": ((0, 0.5), (1, 0.6), (1.67, 0.4), (2, 0.5), (3, 0.6), (3.67, 0.4)),
         "kick": ((0, 0.35),), "rim": ((1.67, 0.3), (3.67, 0.3))},
        walking_bass=True, counter_patch="vibes", chord_rhythm_b=((0.67, 0.5), (2.0, 1.5)),
        drums_b={"ride": ((0, 0.5), (1, 0.6), (1.67, 0.4), (2, 0.5), (3, 0.6), (3.67, 0.4)),
                 "closed_hat": ((1, 0.35), (3, 0.35)), "snare": ((2.67, 0.2),)},
        fill="snare", crash="ride", kit="jazz",
        control_defaults=(("chord_colour", 0.85), ("swing", 0.0)),
    ),
    "fantasy": Style(
        (84, 110), "lute", "cello", "harp", "flute", ((0.0, 1.5), (1.5, 1.0), (2.5, 1.5)),
        _HALVES, 0.5,
        {"frame": ((0, 0.9), (1.5, 0.5), (2, 0.7), (3, 0.5)), "shaker": _every(0.5, 0.25)},
        counter_patch="recorder", chord_rhythm_b=_WHOLE,
        drums_b={"frame": ((0, 0.9), (0.75, 0.4), (2, 0.8), (2.5, 0.5), (3.5, 0.5)),
                 "tambourine": _BACKBEAT, "shaker": _every(0.5, 0.2)},
        fill="tom", crash=None, drone=True, lead_octave=5,
        control_defaults=(("space", 0.55),),
    ),
    "horror": Style(
        (60, 80), "strings", "cello", None, "bell", _WHOLE, _WHOLE, 1.0,
        {"kick": ((0, 0.9), (0.5, 0.6), (2, 0.85), (2.5, 0.55))},  # a heartbeat
        counter_patch="choir", perc={"tom_lo": ((1.5, 0.35),), "rim": ((3.25, 0.25),)},
        drums_b={"kick": ((0, 0.9), (0.5, 0.6), (2, 0.85), (2.5, 0.55)),
                 "taiko": ((0, 0.8),), "tom": ((3, 0.4), (3.5, 0.5))},
        fill="taiko", crash="swell", texture="wind", drone=True, form="build",
        control_defaults=(("space", 0.8), ("melody_density", 0.5), ("brightness", 0.35)),
    ),
    "dnb": Style(
        (160, 178), "pad", "reese", "pluck", "lead", _WHOLE, ((0.0, 1.5), (2.5, 1.0)), 0.5,
        {"kick": ((0, 1.0), (2.5, 0.9)), "snare": _BACKBEAT, "closed_hat": _every(0.5, 0.35)},
        kit="808", counter_patch="strings",
        drums_b={"kick": ((0, 1.0), (1.75, 0.7), (2.5, 0.9)), "snare": ((1, 0.9), (3, 0.9),
                 (3.75, 0.4)), "ride": _every(0.5, 0.3), "closed_hat": _every(0.25, 0.18)},
        fill="snare", pump=0.3, form="ABAB", spread=("lead", "hats"), echo=0.35,
    ),
    "trap": Style(
        (130, 150), "pad", "sub", None, "bell", _WHOLE, ((0.0, 1.5), (1.75, 0.75), (3.0, 1.0)),
        0.5,
        {"kick": ((0, 1.0), (1.75, 0.8), (3.5, 0.7)), "clap": ((2, 1.0),),
         "closed_hat": _every(0.5, (0.55, 0.3))},
        kit="808", counter_patch="choir",
        drums_b={"kick": ((0, 1.0), (0.75, 0.7), (2.5, 0.8)), "clap": ((2, 1.0),),
                 "closed_hat": _every(0.25, (0.5, 0.14, 0.28, 0.14)),
                 "open_hat": ((3.5, 0.35),)},
        fill="hat", crash=None, pump=0.2, form="ABAB", spread=("lead", "hats", "bass"),
        # the hats are the pulse under the syncopated kick and 808: up front, and
        # accented on the beat, so the groove reads in quarters, not dotted quarters
        echo=0.45, mix=(("bass", 0.7), ("lead", 1.5), ("chords", 1.7), ("kick", 0.7),
                        ("hats", 1.5)),
        control_defaults=(("brightness", 0.45),),
    ),
    "metal": Style(
        (140, 180), "guitar", "bass", None, "lead_guitar", _EIGHTHS, _EIGHTHS, 0.5,
        {"kick": _every(0.5, 0.95), "snare": _BACKBEAT, "ride": _every(1.0, 0.45)},
        chord_octave=3, counter_patch="guitar",
        chord_rhythm_b=tuple((i * 0.25, 0.25) for i in range(16)),
        drums_b={"kick": _every(0.25, 0.85), "snare": _BACKBEAT, "crash": ((0, 0.5), (2, 0.4))},
        fill="tom", form="ABAB", spread=("chords",),
        control_defaults=(("energy", 0.9), ("brightness", 0.55)),
    ),
    "world": Style(
        (96, 120), "marimba", "pluck_bass", "marimba", "flute",
        ((0.0, 0.5), (1.0, 0.5), (1.5, 0.5), (2.5, 0.5), (3.0, 0.5)),
        ((0.0, 0.75), (1.0, 0.5), (2.0, 0.75), (3.5, 0.5)), 0.5,
        {"conga": ((0, 0.8), (0.75, 0.5), (1.5, 0.7), (2.5, 0.6), (3, 0.5), (3.5, 0.7)),
         "frame": ((0, 1.0), (1, 0.7), (2, 0.9), (3, 0.7)), "shaker": _every(0.5, 0.22)},
        counter_patch="kalimba",
        drums_b={"conga": ((0, 0.8), (0.5, 0.5), (1, 0.7), (1.75, 0.6), (2.5, 0.8), (3.25, 0.6)),
                 "bongo": ((0.5, 0.5), (1.5, 0.6), (2.75, 0.5), (3.5, 0.6)),
                 "frame": ((0, 1.0), (1, 0.7), (2, 0.9), (3, 0.7)), "shaker": _every(0.25, 0.2)},
        perc={"bongo": ((1.25, 0.4), (3.25, 0.45))}, fill="tom", crash=None,
        form="ABAC",
    ),
}
