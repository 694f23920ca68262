"""Drums that develop with the form: pattern changes, ghost notes, fills, crashes.

Every bar is written on its own: the section's pattern (A's or B's), thinned by
density and intensity, with ghost notes on the snare, an occasional extra kick or an
opening hat, a fill over the end of every section and a crash (or a reversed cymbal
swell) on the next downbeat. Every random choice draws its number whether it is used
or not, so nearby controls give nearby grooves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from loopmill.engines.composer.form import Section
from loopmill.engines.composer.genres import Hits, Style

__all__ = ["FILLS", "add_hit", "drum_part"]

Pattern = dict[str, list[tuple[float, float]]]

#: fill name -> (piece, beat in the bar, velocity) over the bar's last beat
FILLS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "snare": tuple(("snare", 3.0 + 0.25 * i, 0.45 + 0.15 * i) for i in range(4)),
    "tom": (("tom_hi", 3.0, 0.8), ("tom_hi", 3.25, 0.7), ("tom", 3.5, 0.85),
            ("tom_lo", 3.75, 0.95)),
    "chip": tuple(("chip_noise", 3.0 + 0.25 * i, 0.5 + 0.12 * i) for i in range(4)),
    "roll": (*(("snare", 2.0 + 0.25 * i, 0.25 + 0.09 * i) for i in range(8)),
             ("timpani", 3.5, 0.9)),
    "taiko": (("taiko", 3.0, 0.9), ("taiko", 3.5, 0.7), ("taiko", 3.75, 1.0)),
    "hat": tuple(("closed_hat", 3.0 + i / 6, 0.25 + 0.04 * i) for i in range(6)),
    "none": (),
}
_STRONG = ("kick", "snare", "clap", "timpani", "taiko", "frame", "chip_noise")


def add_hit(pattern: Pattern, piece: str, pos: float, vel: float, *, total: float) -> None:
    """One hit of ``piece`` at ``pos`` beats, wrapped into a loop of ``total`` beats (a
    pick-up before the seam lands at the loop's end), its velocity kept audible."""
    pattern.setdefault(piece, []).append((pos % total, float(np.clip(vel, 0.02, 1.0))))


def _pattern(style: Style, sec: Section) -> dict[str, Hits]:
    if sec.letter != "A" and style.drums_b is not None:
        return style.drums_b
    return style.drums


def drum_part(
    style: Style,
    *,
    sections: Sequence[Section],
    bpm: float,
    energy: float,
    density: float,
    variation: float,
    humanize: float,
    rng: np.random.Generator,
) -> Pattern:
    """The loop's drum hits: piece -> [(beat from the loop start, velocity)].

    Parameters
    ----------
    style : the genre
    sections : the form (:func:`~loopmill.engines.composer.form.plan_form`)
    bpm : tempo (a cymbal swell is timed in seconds)
    energy, density, variation, humanize : controls, 0..1
    rng : every random choice

    Returns
    -------
    dict of piece -> list of (position in beats, velocity)
    """
    total = sum(s.bars for s in sections) * 4.0
    out: Pattern = {}

    def hit(piece: str, pos: float, vel: float) -> None:
        add_hit(out, piece, pos, vel, total=total)

    keep_p = (0.25 + 0.9 * density) * (0.4 + 0.6 * energy)  # calm: fewer light hits
    for sec in sections:
        pattern = _pattern(style, sec)
        perc_on = bool(style.perc) and (sec.letter != "A" or sec.variant > 0)
        # the first statement is the sparse one: its light pieces (hats, shakers) wait
        intro = sec.letter == "A" and sec.variant == 0 and rng.random() < 0.8 * variation
        u_climax = rng.random()
        for b in range(sec.start_bar, sec.start_bar + sec.bars):
            base = b * 4.0
            last = b == sec.start_bar + sec.bars - 1
            fill = FILLS.get(style.fill, ()) if last and variation > 0 else ()
            fill_from = min((f[1] for f in fill), default=4.0)
            level = (0.55 + 0.45 * energy) * (0.75 + 0.25 * sec.intensity)
            layers = dict(pattern)
            climax = (sec.letter == "A" and sec.variant >= 2) or (
                sec is sections[-1] and sec.variant >= 1)
            if climax and style.drums_b and u_climax < variation:
                # the climax: B's lighter pieces join A's groove
                layers |= {p: h for p, h in style.drums_b.items()
                           if p not in _STRONG and p not in layers}
            if perc_on and rng.random() < 0.5 + 0.5 * variation:
                layers = {**layers, **style.perc}
            for piece, hits in sorted(layers.items()):
                for pos, vel in hits:
                    u = rng.random()
                    strong = piece in _STRONG or pos == int(pos)
                    if pos >= fill_from and piece not in ("kick",):
                        continue
                    if not strong and (u > keep_p * (0.5 + 0.5 * sec.intensity)
                                       or energy < 0.3 or intro):
                        continue
                    hit(piece, base + pos, vel * level)
            if "snare" in pattern or "clap" in pattern:
                # ghost notes: soft snare sixteenths between the backbeats
                for k in range(16):
                    u = rng.random()
                    pos = k * 0.25
                    ghost = 0.3 * variation * density * energy
                    if pos % 1.0 != 0.0 and pos < fill_from and u < ghost:
                        hit("snare", base + pos, 0.16 + 0.08 * rng.random())
            u_kick, u_hat = rng.random(), rng.random()
            if "kick" in pattern and u_kick < 0.35 * variation and not last:
                hit("kick", base + float(rng.choice([1.75, 2.75, 3.5])), 0.7 * level)
            hats = "closed_hat" in pattern
            if hats and u_hat < 0.45 * variation and fill_from > 3.5:
                hit("open_hat", base + 3.5, 0.4 * level)  # the hat opens into the next bar
            for piece, pos, vel in fill:
                hit(piece, base + pos, vel * level * (0.9 + 0.1 * sec.intensity))
        if style.crash and variation > 0 and len(sections) > 1 and energy >= 0.35:
            # calm loops and one-section loops keep their cymbals to themselves
            start = sec.start_bar * 4.0
            if style.crash == "swell":
                lead = 1.5 * bpm / 60.0  # the reversed cymbal ends on the downbeat
                hit("swell", start - lead, 0.55 * sec.intensity)
            elif sec.index > 0 or sec.variant == 0:
                hit(style.crash, start, (0.35 + 0.3 * sec.intensity) * (0.6 + 0.4 * energy))
    if humanize > 0:
        # played, not programmed: a few ms early or late, a little louder or softer
        jitter_s = 0.008 * humanize
        for piece in sorted(out):
            placed = out[piece]
            dt = rng.normal(0.0, 1.0, len(placed)) * jitter_s * bpm / 60.0
            dv = 1.0 + rng.normal(0.0, 1.0, len(placed)) * 0.12 * humanize
            out[piece] = [((p + (0.0 if piece == "kick" else d)) % total,
                           float(np.clip(v * g, 0.02, 1.0)))
                          for (p, v), d, g in zip(placed, dt, dv, strict=True)]
    return out
