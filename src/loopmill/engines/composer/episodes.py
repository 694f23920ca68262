"""Episodes: what happens in each phrase of a genre whose material alone would repeat.

Some genres develop by their parts alone (a new drum pattern, a new comping rhythm);
orchestral, horror and tavern music develop by *orchestration and events*: an ostinato that
changes its figure, a counter-line entering, percussion joining; a music box, a low
hit, a swell, a rising cluster. Each function here adds such events to an
:class:`~loopmill.engines.composer.arrange.Arrangement`, phrase by phrase, from its
own seeded generator (same seed, same loop). Every bar of a section gets a different
event, so no two bars sound alike; the loop's first bar is the sparse statement it
was, and the last bar leads back into it (the seam is a phrase boundary).

:data:`EPISODES` is the registry: a genre without an entry gets none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from loopmill.engines.composer import theory
from loopmill.engines.composer.form import Section
from loopmill.engines.composer.groove import add_hit

if TYPE_CHECKING:
    from loopmill.engines.composer.arrange import Arrangement

__all__ = ["EPISODES", "Episode"]

Notes = list[tuple[int, float, float, float]]
#: beat -> the MIDI notes of the chord sounding there
ChordAt = Callable[[float], Sequence[int]]
#: (arrangement, chord at a beat, generator, variation 0..1) -> None; adds to the arrangement
Episode = Callable[["Arrangement", ChordAt, np.random.Generator, float], None]

#: ostinato figures, one bar each: (onset, length, index into the chord's tones)
_FIGURES: dict[str, tuple[tuple[float, float, int], ...]] = {
    # A': a rocking eighth-note figure (root, fifth, third, fifth)
    "eighths": tuple((i * 0.5, 0.42, (0, 2, 1, 2)[i % 4]) for i in range(8)),
    # A'': the galloping figure of a battle cue (eighth, two sixteenths)
    "gallop": tuple((b + o, d, k) for b in range(4)
                    for o, d, k in ((0.0, 0.4, 0), (0.5, 0.2, 2), (0.75, 0.2, 1))),
    # B: off-beat stabs against the chords' eighths
    "offbeats": tuple((b + 0.5, 0.3, (1, 2)[b % 2]) for b in range(4)),
}


def _hit(arr: Arrangement, piece: str, beat: float, vel: float) -> None:
    add_hit(arr.drums, piece, beat, vel, total=float(arr.beats))


def _tones(chord: Sequence[int], *, low: int, high: int) -> list[int]:
    """The chord's tones moved into ``[low, high]``: root, third, fifth, octave."""
    root = low + (min(chord) - low) % 12
    pcs = sorted({(c - min(chord)) % 12 for c in chord})
    return [*(root + p for p in pcs if root + p <= high), root + 12]


def _ostinato(figure: str, *, sec: Section, chord_at: ChordAt, vel: float) -> Notes:
    """The figure under every bar of ``sec``: the answering bars turn its tones over,
    the third bar climbs an octave (a phrase of four bars, not one bar four times)."""
    notes: Notes = []
    for i, bar in enumerate(range(sec.start_bar, sec.start_bar + sec.bars)):
        base = bar * 4.0
        lift = 12 if i % 4 == 2 else 0
        for s, d, k in _FIGURES[figure]:
            tones = _tones(chord_at(base + s), low=55 + lift, high=67 + lift)
            accent = 0.12 if s % 1.0 == 0.0 else 0.0
            j = k if i % 2 == 0 else len(tones) - 1 - k
            notes.append((tones[j % len(tones)], base + s, d, vel + accent))
    return notes


def orchestral(arr: Arrangement, chord_at: ChordAt, rng: np.random.Generator,
               variation: float) -> None:
    """A string ostinato that changes its figure with the form (none in A, rocking
    eighths in A', off-beats in B, a gallop in the climax), percussion that joins
    phrase by phrase (snare march in A', taiko and a cymbal swell in the climax), a timpani
    pick-up that moves from bar to bar, and the counter-melody entering in A'."""
    secs = arr.sections
    if len(secs) < 2 or variation <= 0:
        return
    ost: Notes = []
    for sec in secs:
        u = rng.random(4)
        figure = ("gallop" if sec.variant >= 2 else "eighths") if sec.letter == "A" else \
            "offbeats"
        if sec.index > 0:
            ost += _ostinato(figure, sec=sec, chord_at=chord_at, vel=0.45 + 0.2 * sec.intensity)
        for i, bar in enumerate(range(sec.start_bar, sec.start_bar + sec.bars)):
            base = bar * 4.0
            # the timpani's pick-up wanders: each bar of a phrase answers differently
            pick = ((3.0, 0.55), (1.5, 0.5), (2.5, 0.6), (3.5, 0.7))[(i + int(u[0] * 4)) % 4]
            _hit(arr, "timpani5", base + pick[0], pick[1] * (0.7 + 0.3 * sec.intensity))
            if sec.letter == "A" and sec.variant == 0 and i == 2:
                for k in range(8):  # A: a timpani roll swelling into the answer
                    _hit(arr, "timpani", base + 2.0 + 0.25 * k, 0.2 + 0.05 * k)
            if sec.letter == "A" and sec.variant == 1:
                if i % 2 == 1:
                    for k in range(4):  # A': a snare march on the answering bars ...
                        _hit(arr, "snare", base + k + 0.5, 0.22 + 0.05 * (k % 2))
                else:  # ... a tambourine on the calling ones, then a cymbal swell
                    for beat in (1.0, 3.0, 3.5) if i == 0 else (1.0, 3.0):
                        _hit(arr, "tambourine", base + beat, 0.3)
                    if i == 2:
                        _hit(arr, "swell", base + 4.0 - 1.5 * arr.bpm / 60.0, 0.35)
            if sec.letter == "B" and i == 2:
                for k, pos in enumerate((1.5, 2.0, 2.5, 3.0, 3.5)):  # B: toms walk down
                    _hit(arr, ("tom_hi", "tom", "tom", "tom_lo", "tom_lo")[k], base + pos, 0.55)
            if sec.letter == "A" and sec.variant >= 2:
                _hit(arr, "taiko", base + (0.0 if i % 2 == 0 else 2.0), 0.75)
                for k in range(16):  # the battle snare: sixteenths, accents on the beat
                    _hit(arr, "snare", base + 0.25 * k, 0.4 if k % 4 == 0 else 0.18)
                if i == 2:
                    _hit(arr, "swell", base + 4.0 - 1.5 * arr.bpm / 60.0, 0.4)
    if ost:
        arr.parts["ostinato"], arr.patches["ostinato"] = ost, "spiccato"
    a1 = next((s for s in secs if s.letter == "A" and s.variant == 1), None)
    if a1 is not None and arr.style.counter_patch and not any(
            a1.has_bar(int(s // 4)) for _, s, _, _ in arr.parts.get("counter", [])):
        # the counter-melody enters with A' (not left to chance): long guide tones
        line: Notes = []
        prev = 64
        for bar in range(a1.start_bar, a1.start_bar + a1.bars):
            for half in (0.0, 2.0):
                ch = chord_at(bar * 4.0 + half)
                cands = [n for n in range(58, 72) if n % 12 in {c % 12 for c in ch[1:] or ch}]
                if cands:
                    prev = min(cands, key=lambda n: (abs(n - prev), n))
                    line.append((prev, bar * 4.0 + half, 1.9, 0.6))
        arr.parts["counter"] = sorted(arr.parts.get("counter", []) + line, key=lambda n: n[1])
        arr.patches.setdefault("counter", arr.style.counter_patch)


def _music_box(scale: theory.Scale, *, start: float, rng: np.random.Generator, lift: int,
               invert: bool, vel: float) -> Notes:
    """A music-box figure of 4-6 notes in eighths, high up, falling (rising inverted)."""
    pool = scale.notes(79 + lift, 98 + lift)
    n = int(rng.integers(4, 7))
    idx = int(rng.integers(len(pool) // 2, len(pool)))
    out: Notes = []
    for k in range(n):
        out.append((pool[idx], start + 0.5 * k, 0.45, vel * (1.0 - 0.06 * k)))
        step = int(rng.choice([1, 1, 2, 3]))
        idx = int(np.clip(idx + (step if invert else -step), 0, len(pool) - 1))
    return out


def _cluster(chord: Sequence[int], *, start: float, beats: int, vel: float) -> Notes:
    """A string cluster (three semitones) that rises a semitone a beat, swelling."""
    low = 60 + (min(chord) - 60) % 12
    return [(low + k + j, start + k, 0.95, vel * (0.6 + 0.4 * k / max(beats - 1, 1)))
            for k in range(beats) for j in (0, 1, 2)]


#: horror: the event of each bar of a section, by (letter, variant), bar by bar
_HORROR_PLAN: dict[tuple[str, int], tuple[str, str, str, str]] = {
    ("A", 0): ("hit", "box", "swell", "box_low"),
    ("A", 1): ("box", "hits", "box_up", "cluster"),
    ("B", 0): ("hit_cluster", "box_up", "cluster", "swell_hits"),
    ("B", 1): ("hit_box", "cluster_high", "hits_box", "swell"),
}


def horror(arr: Arrangement, chord_at: ChordAt, rng: np.random.Generator,
           variation: float) -> None:
    """Sparse events, a different one every bar: a music-box figure (falling, rising,
    up an octave), low hits (taiko and timpani), a reversed-cymbal swell, a rising
    cluster (voices, the ``ostinato`` part); the figures are the ``musicbox`` part; phrase by phrase
    more of them and higher (see ``_HORROR_PLAN``)."""
    secs = arr.sections
    if len(secs) < 2 or variation <= 0:
        return
    scale = theory.Scale(arr.key_pc, arr.mode)
    box: Notes = []
    strings: Notes = []
    for sec in secs:
        plan = _HORROR_PLAN.get((sec.letter, min(sec.variant, 1)), _HORROR_PLAN[("A", 0)])
        for i, bar in enumerate(range(sec.start_bar, sec.start_bar + sec.bars)):
            base = bar * 4.0
            event = plan[i % 4]
            off = float(rng.choice([0.5, 1.0, 1.5, 2.0]))
            vel = 0.5 + 0.3 * sec.intensity
            if "box" in event:
                box += _music_box(scale, start=base + off, rng=rng,
                                  lift=12 if event.endswith("up") else -12 if "low" in event
                                  else 0, invert=sec.letter != "A", vel=vel)
            if event.startswith("hit"):
                _hit(arr, "taiko", base, 0.9 * vel + 0.1)
                _hit(arr, "timpani", base + 0.02, 0.7 * vel)
            if "hits" in event:
                for pos in (1.5, 3.0, 3.5)[: 2 + sec.variant]:
                    _hit(arr, "tom_lo", base + pos, 0.55 * vel + 0.1)
            if "cluster" in event:
                strings += _cluster(chord_at(base), start=base, beats=4,
                                    vel=0.6 + (0.2 if "high" in event else 0.0))
                if "high" in event:
                    strings += [(m + 12, s, d, v * 0.8) for m, s, d, v in strings[-12:]]
            if "swell" in event:
                _hit(arr, "swell", base + 4.0 - 1.5 * arr.bpm / 60.0, 0.3 + 0.3 * vel)
    if box:
        arr.parts["musicbox"] = sorted(box, key=lambda n: n[1])
        arr.patches["musicbox"] = "music_box"
    if strings:  # a choir-like swell: each step of the cluster blooms in
        arr.parts["ostinato"], arr.patches["ostinato"] = strings, "choir"


#: fantasy: the hand-percussion answer of each bar of a phrase (onset, piece, velocity)
_TAVERN_FILLS: tuple[tuple[tuple[float, str, float], ...], ...] = (
    ((3.5, "tambourine", 0.35),),
    ((3.0, "frame", 0.5), (3.25, "frame", 0.3), (3.5, "frame", 0.4), (3.75, "frame", 0.45)),
    ((1.5, "bongo", 0.4), (2.5, "bongo", 0.35), (3.5, "conga", 0.45)),
    ((2.0, "conga", 0.5), (2.5, "bongo", 0.4), (3.0, "conga", 0.45), (3.5, "bongo", 0.5),
     (3.75, "bongo", 0.35)),
)


def fantasy(arr: Arrangement, chord_at: ChordAt, rng: np.random.Generator,
            variation: float) -> None:
    """A tavern band answering itself: the harp answers the tune in the second and fourth
    bar of each phrase (falling in A, rising in B, an octave lower in the answers), and
    the hand drums end every bar with a different flourish (a tambourine shake, a frame
    drum roll, bongos, a conga pick-up into the next phrase)."""
    secs = arr.sections
    if len(secs) < 2 or variation <= 0:
        return
    scale = theory.Scale(arr.key_pc, arr.mode)
    harp: Notes = []
    for sec in secs:
        turn = int(rng.integers(4))
        for i, bar in enumerate(range(sec.start_bar, sec.start_bar + sec.bars)):
            base = bar * 4.0
            if sec.index > 0 or i > 0:  # the loop's first bar stays the plain statement
                for beat, piece, vel in _TAVERN_FILLS[(i + turn) % 4]:
                    _hit(arr, piece, base + beat, vel * (0.8 + 0.3 * sec.intensity))
            if i % 2 == 1:
                harp += _music_box(scale, start=base + float(rng.choice([1.0, 1.5, 2.0])),
                                   rng=rng, lift=-12 if sec.variant else -7 - 5 * (i // 2),
                                   invert=sec.letter != "A", vel=0.45 + 0.2 * sec.intensity)
    if harp:
        arr.parts["ostinato"] = sorted(harp, key=lambda n: n[1])
        arr.patches["ostinato"] = "harp"


#: genre -> its episodes
EPISODES: dict[str, Episode] = {"orchestral": orchestral, "horror": horror, "fantasy": fantasy}
