"""Melodic development: one motif, stated, answered, varied and contrasted over the form.

A motif is a 2-bar rhythm with a contour (scale steps). Each 4-bar section states it
as a call and answers it (call and response); later statements transpose it, vary its
rhythm and ornament it; a B section inverts it, slows it down and lifts it higher. A
counter-melody (guide tones in slow values, moving against the lead) joins the later
sections. Strong-beat notes land on chord tones, the loop's last note on the tonic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from loopmill.engines.composer.form import Section

__all__ = ["Motif", "counter_line", "develop_melody", "make_motif"]

Notes = list[tuple[int, float, float, float]]
#: beat -> pitch classes of the chord sounding there
ChordAt = Callable[[float], Sequence[int]]


@dataclass(frozen=True)
class Motif:
    """A 2-bar idea: onsets and lengths in beats, and scale steps between its notes."""

    rhythm: tuple[tuple[float, float], ...]
    steps: tuple[int, ...]


def make_motif(rng: np.random.Generator, *, density: float) -> Motif:
    """A motif whose note count grows with ``density`` (0..1) and nothing else.

    Every grid slot draws its number, so a small change of density adds or drops a
    note or two and leaves the rest of the motif where it was.
    """
    grid = np.arange(0.0, 8.0, 0.5)
    draws = rng.random(grid.size)
    keep = 0.2 + 0.6 * density
    starts = [0.0] + [float(b) for b, u in zip(grid[1:], draws[1:], strict=True) if u < keep]
    out = []
    for i, s in enumerate(starts):
        nxt = starts[i + 1] if i + 1 < len(starts) else 8.0
        out.append((s, max(0.25, min(nxt - s, 2.0) * 0.9)))
    moves = rng.choice(np.array([-2, -1, -1, 1, 1, 2, 3, -3]), size=len(out))
    moves[0] = 0
    return Motif(tuple(out), tuple(int(m) for m in moves))


def _vary_rhythm(m: Motif, rng: np.random.Generator) -> Motif:
    """Split the longest note in two and merge the two shortest neighbours."""
    r, st = list(m.rhythm), list(m.steps)
    i = int(np.argmax([d for _, d in r]))
    s, d = r[i]
    if d >= 1.0:
        r[i] = (s, d / 2 * 0.9)
        r.insert(i + 1, (s + d / 2, d / 2 * 0.9))
        st.insert(i + 1, int(rng.choice([-1, 1])))
    elif len(r) > 2:
        j = int(rng.integers(1, len(r)))
        s0, _ = r[j - 1]
        r[j - 1] = (s0, (r[j][0] + r[j][1]) - s0)
        del r[j]
        del st[j]
    return Motif(tuple(r), tuple(st))


def _ornament(m: Motif) -> Motif:
    """Fill leaps of 3 steps or more with a passing note (an eighth before the target)."""
    r: list[tuple[float, float]] = []
    st: list[int] = []
    for (s, d), step in zip(m.rhythm, m.steps, strict=True):
        if abs(step) >= 3 and d >= 1.0 and r:
            r.append((s, 0.45))
            st.append(step - (1 if step > 0 else -1))
            r.append((s + 0.5, d - 0.5))
            st.append(1 if step > 0 else -1)
        else:
            r.append((s, d))
            st.append(step)
    return Motif(tuple(r), tuple(st))


def _slow(m: Motif) -> Motif:
    """Every other note, lengths doubled up to the next onset: a broader B-section idea."""
    keep = list(range(0, len(m.rhythm), 2))
    r = []
    for k, i in enumerate(keep):
        s = m.rhythm[i][0]
        nxt = m.rhythm[keep[k + 1]][0] if k + 1 < len(keep) else 8.0
        r.append((s, max(0.5, (nxt - s) * 0.92)))
    st = [sum(m.steps[i:i + 2]) for i in keep]
    return Motif(tuple(r), tuple(-x for x in st))  # inverted contour


def _phrases(m: Motif, sec: Section, rng: np.random.Generator, variation: float
             ) -> list[tuple[Motif, int]]:
    """(motif, scale-step offset) for each 2-bar phrase of a section: call, response."""
    if sec.letter == "A" or variation <= 0:
        call = m
        if sec.variant >= 1 and variation > 0:
            call = _vary_rhythm(m, rng) if sec.variant == 1 else _ornament(m)
        shift = 0 if sec.variant == 0 or variation <= 0 else (2 if sec.variant == 1 else 0)
        response = Motif(call.rhythm, (*call.steps[:-2], -1, -1)[: len(call.steps)])
        return [(call, shift), (response, shift - 1 if shift else 0)]
    if sec.letter == "B":
        idea = _slow(m)
        return [(idea, 3 + sec.variant), (idea, 2 + sec.variant)]  # a sequence, one step down
    retro = Motif(tuple((8.0 - s - d, d) for s, d in reversed(m.rhythm)), m.steps[::-1])
    retro = Motif(tuple(sorted(retro.rhythm)), retro.steps)
    return [(retro, 1), (_vary_rhythm(retro, rng), 0)]


def develop_melody(
    *,
    sections: Sequence[Section],
    pool: Sequence[int],
    chord_at: ChordAt,
    tonic_pc: int,
    total_beats: float,
    rng: np.random.Generator,
    density: float,
    variation: float,
) -> Notes:
    """The lead line over all sections.

    Parameters
    ----------
    sections : the loop's form
    pool : scale notes (MIDI, ascending) the melody may use: its register
    chord_at : the pitch classes of the chord at a beat
    tonic_pc : the key's tonic (the last note goes home to it)
    total_beats : loop length in beats
    rng : all random choices
    density, variation : controls, 0..1

    Returns
    -------
    list of (midi, start beat, length, velocity)
    """
    if not pool:
        return []
    motif = make_motif(rng, density=density)
    phrase_rng = np.random.default_rng(rng.integers(2**31))
    centre = len(pool) // 2
    notes: Notes = []
    for sec in sections:
        start = sec.start_bar * 4.0
        end = start + sec.bars * 4.0
        plan = _phrases(motif, sec, phrase_rng, variation)
        climax = (sec.letter == "A" and sec.variant >= 2) or (
            sec is sections[-1] and sec.variant >= 1)
        k = 0
        pos0 = start
        while pos0 < end:
            m, shift = plan[k % len(plan)]
            idx = centre + shift
            for (s, d), step in zip(m.rhythm, m.steps, strict=True):
                pos = pos0 + s
                if pos >= end:
                    break
                idx = int(np.clip(idx + step, 0, len(pool) - 1))
                note = pool[idx]
                if s % 1.0 == 0.0:  # strong beat: the nearest chord tone
                    tones = {c % 12 for c in chord_at(pos)}
                    cands = [n for n in pool if n % 12 in tones]
                    if cands:
                        note = min(cands, key=lambda n: abs(n - pool[idx]))
                        idx = pool.index(note)
                vel = 0.62 + 0.18 * sec.intensity + (0.08 if s % 2.0 == 0.0 else 0.0)
                # the tune's last return climbs an octave: the climax before the seam
                up = 12 if climax and variation > 0.4 else 0
                notes.append((note + up, pos, min(d, end - pos), min(vel, 1.0)))
            pos0 += 8.0
            k += 1
    if notes:  # the last note leads home
        last, pos, length, vel = notes[-1]
        home = min((n for n in pool if n % 12 == tonic_pc), default=last,
                   key=lambda n: abs(n - last))
        notes[-1] = (home, pos, length, vel)
    return [n for n in notes if n[1] < total_beats]


def counter_line(
    *,
    sections: Sequence[Section],
    chord_at: ChordAt,
    low: int,
    high: int,
    rng: np.random.Generator,
    variation: float,
) -> Notes:
    """A slow counter-melody of guide tones (thirds and sevenths), half notes, in the
    sections after the first statement (A', B, A''), with probability ``variation``.

    Each note is the chord tone nearest the previous one (smooth, against the lead's
    leaps); the line rests in the first section so that it is heard as an entry.
    """
    out: Notes = []
    prev = (low + high) // 2
    for sec in sections:
        u = rng.random()
        if sec.index == 0 or u >= variation:
            continue
        step = 2.0 if sec.letter != "B" else 1.0
        pos = sec.start_bar * 4.0
        while pos < (sec.start_bar + sec.bars) * 4.0:
            tones = sorted({c % 12 for c in chord_at(pos)})
            guide = tones[1:] or tones  # not the root: the third and above
            cands = [n for n in range(low, high + 1) if n % 12 in guide]
            if cands:
                note = min(cands, key=lambda n: (abs(n - prev), n))
                out.append((note, pos, step * 0.95, 0.55 + 0.2 * sec.intensity))
                prev = note
            pos += step
    return out
