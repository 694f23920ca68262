"""Arrangement: a MusicSpec becomes parts (notes in beats) and drums, with a form.

Everything here is symbolic: which notes each instrument plays and when, in beats
from the loop start; ``engine.py`` renders it. A loop of 8+ bars has four sections
(:mod:`~loopmill.engines.composer.form`): the B section has its own progression,
voicing register, comping and bass rhythm and drum pattern; later statements of A
develop the motif (:mod:`~loopmill.engines.composer.develop`), add a counter-melody
and passing chords; the drums fill at phrase ends and crash on phrase starts
(:mod:`~loopmill.engines.composer.groove`). It still loops by construction: the
progression starts on the tonic, each section's last chord leads on, the last bar's
fill leads into the first downbeat.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from loopmill.engines.composer import theory
from loopmill.engines.composer.controls import ComposerControls
from loopmill.engines.composer.develop import counter_line, develop_melody
from loopmill.engines.composer.episodes import EPISODES
from loopmill.engines.composer.form import Section, plan_form
from loopmill.engines.composer.genres import STYLES, Style
from loopmill.engines.composer.groove import drum_part

__all__ = ["STYLES", "Arrangement", "Brief", "Notes", "Style", "arrange"]

#: One instrument's notes: (midi, start beat, length in beats, velocity 0..1).
Notes = list[tuple[int, float, float, float]]


@dataclass(frozen=True)
class Brief:
    """What to write: the genre, tempo, length, key and energy chosen for a spec.

    Attributes
    ----------
    genre : str
        One of :data:`STYLES` (others fall back to synthwave's arrangement).
    bpm : float
        Tempo.
    bars : int
        Loop length in bars (4/4).
    tonic, mode : str
        Key, e.g. ``"D"``, ``"minor"``.
    moods : tuple of str
        Mood words; they bias the progressions.
    energy : float
        0..1: drum density and velocities, whether arpeggio and lead play.
    """

    genre: str
    bpm: float
    bars: int
    tonic: str
    mode: str
    moods: tuple[str, ...] = ()
    energy: float = 0.0


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
    sections: list[Section] = field(default_factory=list)
    wobble: float = 0.0  # cents of tape wow and flutter on the mix (0: none)

    @property
    def beats(self) -> int:
        """Beats in the loop."""
        return self.bars * self.beats_per_bar

    @property
    def form(self) -> str:
        """The sections' letters with variant marks, e.g. ``"A A' B A''"``."""
        return " ".join(s.letter + "'" * s.variant for s in self.sections)


def _ctl(controls: ComposerControls, name: str, default: float) -> float:
    v = getattr(controls, name)
    return default if v is None else float(v)


def _chord(degree: int, *, key_pc: int, mode: str, octave: int, colour: float,
           u: float) -> list[int]:
    # In minor, the dominant takes the raised leading tone (harmonic minor): it is what
    # tells a minor key from its relative major, for listeners and key finders alike.
    # In the colourful styles (jazz, lofi: colour > 0.6, nearly every chord a seventh)
    # a minor tonic takes an added ninth, not the seventh: i7 is the relative major's
    # 6 chord (Dm7 = F6 over D), so a loop of m7 chords floats to the relative major;
    # m(add9) stays minor.  Elsewhere a seventh is rare colour and stays.
    minor_tonic = degree == 1 and colour > 0.6 and theory.mode_quality(mode) == "minor"
    notes = theory.chord(
        degree, key_pc=key_pc, mode=mode, octave=octave, sevenths=u < colour and not minor_tonic,
        harmonic_dominant=mode == "minor" and degree == 5,
    )
    if minor_tonic and u < colour:
        notes.append(notes[0] + 14)
    elif colour > 0.6 and u < (colour - 0.6) * 1.5:  # a (diatonic) ninth on top
        scale = theory.Scale(key_pc, mode)
        notes.append(next(notes[0] + k for k in (14, 13, 15) if scale.contains(notes[0] + k)))
    return notes


def _section_progressions(
    genre: str, moods: tuple[str, ...], mode: str, sections: list[Section], per_section: int,
    rng: np.random.Generator, *, touch_tonic: bool = True,
) -> dict[str, list[int]]:
    """One progression per section letter: A's starts on the tonic; B's (and C's) is a
    different table entry, rotated off the tonic, ending on the dominant to lead home."""
    out: dict[str, list[int]] = {}
    a = theory.choose_progression(genre=genre, moods=moods, mode=mode, rng=rng,
                                  bars=min(4, per_section))
    out["A"] = [a[i % len(a)] for i in range(per_section)]
    for letter in sorted({s.letter for s in sections} - {"A"}):
        other = out["A"]
        for _ in range(6):  # a different entry, when the table has one
            cand = theory.choose_progression(genre=genre, moods=moods, mode=mode, rng=rng,
                                             bars=4)
            if cand != list(a):
                other = cand
                break
        rot = (other[1:] + other[:1])[:per_section] if per_section > 1 else [4]
        rot = [rot[i % len(rot)] for i in range(per_section)]
        if per_section > 1:
            # Minor leads home by its (harmonic) dominant, major by the subdominant: a
            # major loop leaning on V would be heard, and detected, in the key of V.
            home = 5 if theory.mode_quality(mode) == "minor" else 4
            if touch_tonic and per_section >= 3 and 1 not in rot[:-1]:
                # The B phrase touches the tonic before its turnaround (vi-IV-I-IV,
                # VI-VII-i-V): a B that never sounds the tonic, after an A that sounds
                # it once, is heard (and detected) in the relative key or in V.
                rot[-2] = 1
            rot[-1] = home if rot[-2] != home else (4 if home == 5 else 2)
        out[letter] = rot
    return out


def arrange(
    brief: Brief, *, rng: np.random.Generator, controls: ComposerControls | None = None
) -> Arrangement:
    """Write the parts of a loop.

    Parameters
    ----------
    brief : Brief
        Genre, tempo, length, key, moods and energy.
    rng : numpy.random.Generator
        All random choices come from here (same seed, same loop).
    controls : ComposerControls, optional
        Resolved controls (see :func:`loopmill.engines.composer.resolve.resolve_controls`).

    Returns
    -------
    Arrangement
    """
    genre, moods, bpm, bars = brief.genre, brief.moods, brief.bpm, brief.bars
    tonic, mode, energy = brief.tonic, brief.mode, brief.energy
    controls = controls or ComposerControls()
    style = STYLES.get(genre, STYLES["synthwave"])
    table_genre = genre if genre in theory.GENRES else "synthwave"
    variation = _ctl(controls, "variation", 0.6)
    density = _ctl(controls, "density", 0.5)
    colour = _ctl(controls, "chord_colour", style.defaults["chord_colour"])
    form = controls.form if controls.form != "auto" else style.form
    sections = plan_form(bars=bars, form=form, variation=variation)
    if any(s.bars % style.bars_per_chord for s in sections):
        # A section of an odd bar count would leave a bar without its chord (a hole,
        # then a jump at the wrap): change chords every bar in such a loop instead.
        style = dataclasses.replace(style, bars_per_chord=1)
    key_pc = theory.parse_tonic(tonic)
    bpb = 4
    span = style.bars_per_chord * bpb
    # Independent streams: a control that changes how many draws one decision makes
    # must not reshuffle the others.
    streams = {name: np.random.default_rng(rng.integers(2**31))
               for name in ("harmony", "melody", "counter", "drums", "parts", "human",
                            "episodes")}
    per_section = max(1, sections[0].bars // style.bars_per_chord)
    # Not in a build: its B restates A's texture lifted, so the chords are its contrast
    # (a tonic there made twins of horror's bars; its keys are found without it).
    progs = _section_progressions(table_genre, moods, mode, sections, per_section,
                                  streams["harmony"], touch_tonic=form != "build")
    # chord slots: (start beat, length, degree, section)
    slots: list[tuple[float, float, int, Section]] = []
    for sec in sections:
        prog = progs[sec.letter]
        n_chords = max(1, sec.bars // style.bars_per_chord)
        for ci in range(n_chords):
            degree = prog[ci % len(prog)]
            start = float(sec.start_bar * bpb + ci * span)
            last = ci == n_chords - 1
            u = streams["harmony"].random()
            passing = 5 if theory.mode_quality(mode) == "minor" else 4
            if last and sec.index in (1, 3) and u < colour * variation and \
                    degree != passing and span >= 4:
                # a passing chord: the bar's second half moves on (V in minor, IV in major)
                slots.append((start, span / 2, degree, sec))
                slots.append((start + span / 2, span / 2, passing, sec))
            else:
                slots.append((start, span, degree, sec))
    u_col = streams["harmony"].random(len(slots))
    chords = [_chord(d, key_pc=key_pc, mode=mode, octave=style.chord_octave, colour=colour,
                     u=float(u)) for (_, _, d, _), u in zip(slots, u_col, strict=True)]
    # Voicings: each letter in its own register (B lifted a fourth), every statement
    # after the first an inversion apart; voice-led within the loop.
    voiced: list[list[int]] = [[] for _ in chords]
    for letter in sorted({s.letter for s in sections}):
        for variant in sorted({s.variant for s in sections if s.letter == letter}):
            idx = [i for i, sl in enumerate(slots)
                   if sl[3].letter == letter and sl[3].variant == variant]
            lift = ((12 if form == "build" else 5) if letter != "A" else 0) + (
                3 * variant if variation > 0 else 0) % 7
            vs = theory.voice_lead([chords[i] for i in idx], low=52 + lift, high=76 + lift)
            for i, v in zip(idx, vs, strict=True):
                voiced[i] = v

    def chord_at(beat: float) -> list[int]:
        for (s, d, _, _), c in zip(slots, chords, strict=True):
            if s <= beat % (bars * bpb) < s + d:
                return c
        return chords[0]

    arr = Arrangement(
        bpm=bpm, bars=bars, beats_per_bar=bpb, key_pc=key_pc, tonic=tonic, mode=mode,
        genre=genre, style=style, progression=[d for _, _, d, _ in slots],
        moods=tuple(moods), controls=controls, sections=sections,
    )
    pad: Notes = []
    bass: Notes = []
    arp: Notes = []
    parts_rng = streams["parts"]
    u_climax, u_restate, u_octaves = parts_rng.random(3)
    for (start, length, _, sec), notes, voicing in zip(slots, chords, voiced, strict=True):
        root = min(notes) % 12
        b_section = sec.letter != "A" and variation > 0
        # the last return of A takes the B section's accompaniment: the loop's climax
        climax = _is_climax(sec, sections) and u_climax < variation
        rhythm = (style.chord_rhythm_b if (b_section or climax) and style.chord_rhythm_b
                  else style.chord_rhythm)
        if sec.variant == 1 and not climax and u_restate < 1.5 * variation:
            rhythm = _restated(rhythm)
        vel = 0.55 + 0.2 * sec.intensity
        for bar_off in range(0, max(1, int(length // bpb)) * bpb, bpb):
            for s, d in rhythm:
                pos = start + bar_off + s
                if s < length and pos < start + length:
                    pad += [(n, pos, min(d, start + length - pos), vel) for n in voicing]
        bass_rhythm = (style.bass_rhythm_b if (b_section or climax) and style.bass_rhythm_b
                       else style.bass_rhythm)
        octaves = sec.variant == 1 and u_octaves < 2 * variation  # A': the bass in octaves
        nxt_root = min(chord_at(start + length)) % 12
        for bar_off in range(0, max(1, round(length / bpb)) * bpb, bpb):
            for k, (s, d) in enumerate(bass_rhythm):
                pos = start + bar_off + s
                if pos >= start + length:
                    continue
                note = 36 + (root - 36 % 12) % 12
                if k == 0 and s == 0.0 and key_pc in {n % 12 for n in notes}:
                    # A chord holding the tonic puts it in the bass on the downbeat (an
                    # inversion, a pedal): the key stays unmistakable, not its relative.
                    note = 36 + (key_pc - 36 % 12) % 12
                if style.walking_bass:
                    note = _walking(root, k, nxt=nxt_root, key_pc=key_pc, mode=mode)
                elif k % 2 == 1 and (genre == "chiptune" or octaves):
                    note += 12  # octave jumps in later statements
                bass.append((note, pos, min(d, start + length - pos) * 0.9,
                             0.8 if k == 0 else 0.66 + 0.1 * sec.intensity))
        if style.arp_patch and energy >= 0.3 and (sec.intensity >= 0.8 or sec.variant > 0
                                                  or sec.letter != "A" or variation <= 0):
            tones = [*sorted(voicing), voicing[0] + 12]
            steps = int(length / style.arp_step)
            up_down = sec.letter == "A"
            for i in range(steps):
                cyc = 2 * len(tones) - 2 if up_down and len(tones) > 1 else len(tones)
                seq = i % max(cyc, 1)
                j = seq if seq < len(tones) else 2 * len(tones) - 2 - seq
                if not up_down:
                    j = len(tones) - 1 - seq  # B: falling arpeggio
                arp.append((tones[j] + 12, start + i * style.arp_step, style.arp_step * 0.8,
                            0.42 + 0.25 * (i % 4 == 0) + 0.1 * sec.intensity))
    if style.drone:
        # A soft tonic pedal under the whole loop (idiomatic in these genres) anchors
        # the key, so the loop is not heard as its relative major/minor.
        arr.parts["drone"] = [
            (octave_note, 0.0, float(bars * bpb), 0.9)
            for octave_note in (48 + (key_pc - 48 % 12) % 12, 60 + (key_pc - 60 % 12) % 12)
        ]
        arr.patches["drone"] = "drone"
    inst = controls.instruments
    arr.parts["chords"], arr.patches["chords"] = pad, inst.get("chords", style.chord_patch)
    arr.parts["bass"], arr.patches["bass"] = bass, inst.get("bass", style.bass_patch)
    if arp and style.arp_patch:
        arr.parts["arp"], arr.patches["arp"] = arp, inst.get("arp", style.arp_patch)
    scale = theory.Scale(key_pc, mode)
    register = _ctl(controls, "melody_register", 0.5)
    low = 12 * (style.lead_octave + 1) - 5 + round(12 * (register - 0.5))
    if style.lead_patch and energy >= 0.2:
        arr.parts["lead"] = develop_melody(
            sections=sections, pool=scale.notes(low, low + 17), chord_at=chord_at,
            tonic_pc=key_pc, total_beats=bars * bpb, rng=streams["melody"],
            density=_ctl(controls, "melody_density", 0.5), variation=variation,
        )
        arr.patches["lead"] = inst.get("lead", style.lead_patch)
    if style.counter_patch and len(sections) > 1:
        counter = counter_line(sections=sections, chord_at=chord_at, low=low - 10,
                               high=low + 3, rng=streams["counter"], variation=variation)
        if counter:
            arr.parts["counter"] = counter
            arr.patches["counter"] = inst.get("counter", style.counter_patch)
    arr.drums = drum_part(
        style, sections=sections, bpm=bpm, energy=energy, density=density,
        variation=variation, humanize=_ctl(controls, "humanize", 0.5), rng=streams["drums"],
    )
    episode = EPISODES.get(genre)
    if episode is not None:
        episode(arr, chord_at, streams["episodes"], variation)
    _humanize(arr, amount=_ctl(controls, "humanize", 0.5), rng=streams["human"])
    return arr


def _is_climax(sec: Section, sections: list[Section]) -> bool:
    """The last return of A, or (a form without one) a repeated last section."""
    if sec.letter == "A":
        return sec.variant >= 2
    return sec is sections[-1] and sec.variant >= 1 and not any(
        s.letter == "A" and s.variant >= 2 for s in sections)


def _restated(rhythm: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    """A's accompaniment restated: sustained chords pulse on every beat, rhythmic ones
    anticipate (their later hits come an eighth early)."""
    if all(d >= 2.0 for _, d in rhythm):
        return tuple((s + k, 0.9) for s, d in rhythm for k in range(int(d)))
    return tuple((s - 0.5 if s >= 1.0 and s % 1.0 == 0.0 else s, d) for s, d in rhythm)


def _humanize(arr: Arrangement, *, amount: float, rng: np.random.Generator) -> None:
    """Seeded timing (a few ms) and velocity deviations on every pitched part."""
    if amount <= 0:
        return
    total = float(arr.beats)
    per_beat = arr.bpm / 60.0
    for role in sorted(arr.parts):
        if role == "drone":
            continue
        notes = arr.parts[role]
        dt = rng.normal(0.0, 1.0, len(notes)) * 0.01 * amount * per_beat
        dv = 1.0 + rng.normal(0.0, 1.0, len(notes)) * 0.1 * amount
        arr.parts[role] = [
            (m, (s + d_t) % total, d,
             float(np.clip(v * g, 0.05, 1.0)))
            for (m, s, d, v), d_t, g in zip(notes, dt, dv, strict=True)
        ]


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
