"""Arrangement: a MusicSpec becomes parts (notes in beats) and a drum pattern.

Everything here is symbolic: which notes each instrument plays and when, in beats
from the loop start. ``engine.py`` renders it. The arrangement loops by
construction: the progression starts on the tonic and its last chord leads back to
it, bass and melody phrases end where they began, and the drum pattern repeats
every bar.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from loopmill.engines.composer import theory
from loopmill.engines.composer.controls import ComposerControls

#: One instrument's notes: (midi, start beat, length in beats, velocity 0..1).
Notes = list[tuple[int, float, float, float]]


@dataclass(frozen=True)
class Style:
    """How a genre sounds and grooves."""

    bpm_range: tuple[int, int]
    chord_patch: str
    bass_patch: str
    arp_patch: str | None
    lead_patch: str | None
    chord_rhythm: tuple[tuple[float, float], ...]  # (start, length) in beats per bar
    bass_rhythm: tuple[tuple[float, float], ...]
    arp_step: float  # beats between arpeggio notes
    drums: dict[str, tuple[tuple[float, float], ...]]  # piece -> (beat, velocity) per bar
    kit: str = "standard"
    swing: float = 0.0
    bars_per_chord: int = 1
    walking_bass: bool = False
    chord_octave: int = 4
    control_defaults: tuple[tuple[str, float], ...] = ()

    @property
    def defaults(self) -> dict[str, float]:
        """The genre's choice for each continuous control (others: 0.5)."""
        return {"swing": self.swing, "chord_colour": 0.25, **dict(self.control_defaults)}


def _every(step: float, vel: float, *, offset: float = 0.0) -> tuple[tuple[float, float], ...]:
    return tuple((offset + i * step, vel) for i in range(round(4 / step)))


_DRONE_GENRES = frozenset({"synthwave", "ambient", "orchestral", "lofi"})
_EIGHTHS = tuple((i * 0.5, 0.5) for i in range(8))
_WHOLE = ((0.0, 4.0),)

STYLES: dict[str, Style] = {
    "synthwave": Style(
        (84, 110),
        "pad",
        "bass",
        "pluck",
        "lead",
        _WHOLE,
        _EIGHTHS,
        0.25,
        {
            "kick": ((0, 1.0), (2, 0.95)),
            "snare": ((1, 0.9), (3, 0.9)),
            "closed_hat": _every(0.5, 0.35),
        },
    ),
    "lofi": Style(
        (70, 90),
        "ep",
        "bass",
        None,
        "pluck",
        ((0.0, 1.5), (2.5, 1.5)),
        ((0.0, 1.0), (1.5, 0.5), (2.5, 1.0)),
        0.5,
        {
            "kick": ((0, 0.9), (1.75, 0.6), (2.5, 0.8)),
            "snare": ((1, 0.7), (3, 0.7)),
            "closed_hat": _every(0.5, 0.3),
        },
        kit="808",
        swing=0.55,
        control_defaults=(("chord_colour", 0.8),),
    ),
    "ambient": Style(
        (60, 80),
        "pad",
        "pad",
        "pluck",
        None,
        ((0.0, 8.0),),
        ((0.0, 8.0),),
        1.0,
        {},
        bars_per_chord=2,
        chord_octave=4,
    ),
    "chiptune": Style(
        (120, 160),
        "chip_square",
        "chip_square",
        "chip_square",
        "chip_square",
        ((0.0, 0.5), (1.5, 0.5), (3.0, 0.5)),
        _EIGHTHS,
        0.25,
        {
            "kick": ((0, 1.0), (2, 1.0)),
            "chip_noise": ((1, 0.8), (3, 0.8)),
            "closed_hat": _every(0.5, 0.25),
        },
        kit="chip",
    ),
    "orchestral": Style(
        (70, 110),
        "strings",
        "strings",
        "pluck",
        "lead",
        _WHOLE,
        ((0.0, 2.0), (2.0, 2.0)),
        0.5,
        {"tom": ((0, 1.0), (2.5, 0.6), (3, 0.7))},
    ),
    "house": Style(
        (118, 128),
        "ep",
        "bass",
        "pluck",
        None,
        ((0.5, 0.25), (1.5, 0.25), (2.5, 0.25), (3.5, 0.25)),
        ((0.5, 0.4), (1.5, 0.4), (2.5, 0.4), (3.5, 0.4)),
        0.25,
        {
            "kick": _every(1.0, 1.0),
            "clap": ((1, 0.8), (3, 0.8)),
            "open_hat": _every(1.0, 0.45, offset=0.5),
            "closed_hat": _every(0.25, 0.18),
        },
        kit="808",
    ),
    "rock": Style(
        (100, 140),
        "pluck",
        "bass",
        None,
        "lead",
        _EIGHTHS,
        _EIGHTHS,
        0.5,
        {
            "kick": ((0, 1.0), (2, 0.9), (2.5, 0.8)),
            "snare": ((1, 1.0), (3, 1.0)),
            "closed_hat": _every(0.5, 0.45),
        },
        chord_octave=3,
    ),
    "jazz": Style(
        (80, 125),  # lounge tempos
        "ep",
        "bass",
        None,
        "ep",
        ((0.0, 1.0), (1.5, 0.5), (2.5, 1.0)),
        tuple((float(i), 1.0) for i in range(4)),
        0.5,
        {
            "closed_hat": ((0, 0.5), (1, 0.6), (1.67, 0.4), (2, 0.5), (3, 0.6), (3.67, 0.4)),
            "kick": ((0, 0.4),),
            "rim": ((1.67, 0.3), (3.67, 0.3)),
        },
        swing=0.0,
        walking_bass=True,
        control_defaults=(("chord_colour", 0.8),),
    ),
}


@dataclass
class Arrangement:
    """The notes of one loop, in beats, with what is needed to render them."""

    bpm: float
    bars: int
    beats_per_bar: int
    key_pc: int
    tonic: str
    mode: str
    genre: str
    style: Style
    progression: list[int]
    moods: tuple[str, ...] = ()
    controls: ComposerControls = field(default_factory=ComposerControls)
    parts: dict[str, Notes] = field(default_factory=dict)  # role -> notes
    patches: dict[str, str] = field(default_factory=dict)  # role -> patch name
    drums: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    @property
    def beats(self) -> int:
        """Beats in the loop."""
        return self.bars * self.beats_per_bar


def _chord_notes(
    scale_degree: int, *, key_pc: int, mode: str, octave: int, sevenths: bool
) -> list[int]:
    # In minor, the dominant takes the raised leading tone (harmonic minor): it is what
    # tells a minor key from its relative major, for listeners and key finders alike.
    return theory.chord(
        scale_degree, key_pc=key_pc, mode=mode, octave=octave, sevenths=sevenths,
        harmonic_dominant=mode == "minor" and scale_degree == 5,
    )


def _motif(rng: np.random.Generator, *, energy: float) -> list[tuple[float, float]]:
    """A 2-bar rhythm: (start, length) in beats; denser with more energy."""
    grid = np.arange(0, 8, 0.5)
    density = 0.3 + 0.4 * energy
    starts = [0.0] + [float(b) for b in grid[1:] if rng.random() < density]
    starts = sorted(set(starts))
    out = []
    for i, s in enumerate(starts):
        nxt = starts[i + 1] if i + 1 < len(starts) else 8.0
        out.append((s, max(0.25, min(nxt - s, 2.0) * 0.9)))
    return out


def arrange(
    *,
    genre: str,
    moods: tuple[str, ...],
    bpm: float,
    bars: int,
    tonic: str,
    mode: str,
    energy: float,
    rng: np.random.Generator,
    controls: ComposerControls | None = None,
) -> Arrangement:
    """Write the parts of a loop.

    Parameters
    ----------
    genre : str
        One of :data:`STYLES` (others fall back to synthwave's arrangement).
    moods : tuple of str
        Mood words; they bias the progression.
    bpm : float
        Tempo.
    bars : int
        Loop length in bars (4/4).
    tonic, mode : str
        Key, e.g. ``"D"``, ``"minor"``.
    energy : float
        0..1: drum density and velocities, whether arpeggio and lead play.
    rng : numpy.random.Generator
        All random choices come from here (same seed, same loop).
    controls : ComposerControls, optional
        Resolved controls (see :func:`loopmill.engines.composer.resolve.resolve_controls`).

    Returns
    -------
    Arrangement
    """
    style = STYLES.get(genre, STYLES["synthwave"])
    if bars % style.bars_per_chord:
        # An odd bar count would leave the last bar without its chord (a hole, then
        # a jump at the wrap): change chords every bar in such a loop instead.
        style = dataclasses.replace(style, bars_per_chord=1)
    key_pc = theory.parse_tonic(tonic)
    bpb = 4
    chords_in_loop = max(1, bars // style.bars_per_chord)
    prog = theory.choose_progression(
        genre=genre if genre in STYLES else "synthwave",
        moods=moods,
        mode=mode,
        rng=rng,
        bars=min(4, chords_in_loop),
    )
    prog = [prog[i % len(prog)] for i in range(chords_in_loop)]
    controls = controls or ComposerControls()
    sevenths = theory.uses_sevenths(genre) if genre in STYLES else False
    if controls.chord_colour is not None:
        sevenths = controls.chord_colour >= 0.5
    chords = [
        _chord_notes(d, key_pc=key_pc, mode=mode, octave=style.chord_octave, sevenths=sevenths)
        for d in prog
    ]
    voiced = theory.voice_lead(chords, low=52, high=76)
    arr = Arrangement(
        bpm=bpm,
        bars=bars,
        beats_per_bar=bpb,
        key_pc=key_pc,
        tonic=tonic,
        mode=mode,
        genre=genre,
        style=style,
        progression=prog,
        moods=tuple(moods),
        controls=controls,
    )
    span = style.bars_per_chord * bpb
    pad: Notes = []
    bass: Notes = []
    arp: Notes = []
    for ci, (degree_notes, voicing) in enumerate(zip(chords, voiced, strict=True)):
        base = ci * span
        root = min(degree_notes) % 12
        for start, length in style.chord_rhythm:
            if start < span:
                pad += [(n, base + start, min(length, span - start), 0.7) for n in voicing]
        for bar in range(style.bars_per_chord):
            for k, (start, length) in enumerate(style.bass_rhythm):
                pos = base + bar * bpb + start
                if pos >= base + span:
                    continue
                note = 36 + (root - 36 % 12) % 12
                if k == 0 and start == 0.0 and key_pc in {n % 12 for n in degree_notes}:
                    # A chord holding the tonic puts it in the bass on the downbeat (an
                    # inversion, a pedal): the key stays unmistakable, not its relative.
                    note = 36 + (key_pc - 36 % 12) % 12
                if style.walking_bass:
                    note = _walking(
                        root,
                        k,
                        nxt=min(chords[(ci + 1) % len(chords)]) % 12,
                        key_pc=key_pc,
                        mode=mode,
                    )
                elif genre == "chiptune" and k % 2 == 1:
                    note += 12
                bass.append((note, pos, length * 0.9, 0.85 if k == 0 else 0.7))
        if style.arp_patch and energy >= 0.3:
            tones = [*sorted(voicing), voicing[0] + 12]
            steps = int(span / style.arp_step)
            for i in range(steps):
                seq = i % (2 * len(tones) - 2) if len(tones) > 1 else 0
                idx = seq if seq < len(tones) else 2 * len(tones) - 2 - seq
                arp.append(
                    (
                        tones[idx] + 12,
                        base + i * style.arp_step,
                        style.arp_step * 0.8,
                        0.45 + 0.25 * (i % 4 == 0),
                    )
                )
    if genre in _DRONE_GENRES:
        # A soft tonic pedal under the whole loop (idiomatic in these genres) anchors
        # the key, so the loop is not heard as its relative major/minor.
        # Its own part on a lighter patch: a whole-loop note on the 7-voice string
        # patch cost half the orchestral render.
        arr.parts["drone"] = [
            (octave_note, 0.0, float(bars * bpb), 0.9)
            for octave_note in (48 + (key_pc - 48 % 12) % 12, 60 + (key_pc - 60 % 12) % 12)
        ]
        arr.patches["drone"] = "drone"
    arr.parts["chords"], arr.patches["chords"] = pad, style.chord_patch
    arr.parts["bass"], arr.patches["bass"] = bass, style.bass_patch
    if arp and style.arp_patch:
        arr.parts["arp"], arr.patches["arp"] = arp, style.arp_patch
    if style.lead_patch and energy >= 0.4:
        arr.parts["lead"] = _lead(arr, chords, rng=rng, energy=energy)
        arr.patches["lead"] = style.lead_patch
    arr.drums = _drums(style, bars=bars, energy=energy)
    return arr


def _walking(root: int, k: int, *, nxt: int, key_pc: int, mode: str) -> int:
    """A walking bass line: root, third-ish, fifth, then a note leading to the next root."""
    scale = theory.Scale(key_pc, mode)
    pcs = scale.pitch_classes
    if k == 0:
        pc = root
    elif k == 3:
        pc = (nxt + 1) % 12 if (nxt + 1) % 12 in pcs else (nxt - 1) % 12
    else:
        pc = min(pcs, key=lambda p: abs(((p - root) % 12) - (4 if k == 1 else 7)))
    return 36 + (pc - 36 % 12) % 12


def _lead(
    arr: Arrangement, chords: list[list[int]], *, rng: np.random.Generator, energy: float
) -> Notes:
    """A melody from a 2-bar motif, repeated over the loop and fitted to each chord."""
    scale = theory.Scale(arr.key_pc, arr.mode)
    pool = [n for n in scale.notes(67, 84)]
    motif = _motif(rng, energy=energy)
    shape = rng.integers(-2, 3, size=len(motif))
    notes: Notes = []
    span = arr.style.bars_per_chord * arr.beats_per_bar
    # Every bar gets melody, also the odd one of a 3- or 6-bar loop: a silent last bar
    # made the wrap the biggest change in the loop.
    for phrase in range(-(-arr.beats // 8)):
        for i, (start, length) in enumerate(motif):
            pos = phrase * 8 + start
            if pos >= arr.beats:
                break
            chord = chords[int(pos // span) % len(chords)]
            strong = start % 1.0 == 0.0
            anchor = pool[len(pool) // 2] + int(shape[: i + 1].sum()) if pool else 72
            cands = [n for n in pool if (n % 12) in {c % 12 for c in chord}] if strong else pool
            note = min(cands or pool or [72], key=lambda n: abs(n - anchor))
            notes.append((note, pos, min(length, arr.beats - pos), 0.75))
    if notes:  # end the loop's melody on the tonic: it leads home to the top
        last, pos, length, vel = notes[-1]
        home = min((n for n in pool if n % 12 == arr.key_pc), default=last,
                   key=lambda n: abs(n - last))
        notes[-1] = (home, pos, length, vel)
    return notes


def _drums(style: Style, *, bars: int, energy: float) -> dict[str, list[tuple[float, float]]]:
    """The style's one-bar pattern over every bar, thinned at low energy."""
    out: dict[str, list[tuple[float, float]]] = {}
    for piece, hits in style.drums.items():
        keep = [
            (b, v) for b, v in hits if energy >= 0.35 or b == int(b) or piece in ("kick", "snare")
        ]
        scale = 0.6 + 0.4 * energy
        out[piece] = [(bar * 4 + b, min(1.0, v * scale)) for bar in range(bars) for b, v in keep]
    return out
