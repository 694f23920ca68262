"""Which composer parts a General MIDI SoundFont renders by default, mixed with the synth.

``benchmarks/soundfont_parts.py`` plays the same phrase through each instrument patch
and through FluidR3_GM, and scores both on four realism proxies (partial-level
wobble, brightness movement, attack noise, inharmonicity). The patches where the
SoundFont scored higher on at least three of the four are in :data:`SOUNDFONT_PARTS`;
when a SoundFont is available (:func:`auto_soundfont`) they are rendered by it
(:func:`render_parts`, one FluidSynth run for all of them, dry) and then placed,
swept, pumped and run through the genre's effects exactly like synthesised parts.

Left to the synth on purpose: strings, cello, electric piano, upright and fingered
bass (the synth scored as well or better: 2/4 or less), the distorted rhythm guitar
(2/4), and every synth patch (pad, saw bass, leads ...): their GM programs are
synthesizers too, so realism is not the question. Drums stay built-in (the kits are
tuned to the key).

The choice is off with ``soundfont="none"`` (``--soundfont none``); an explicit
SoundFont path renders the whole arrangement through it instead (all parts, drums
too), as before.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from loopmill.engines.composer.arrange import Arrangement

__all__ = ["NONE", "SOUNDFONT_PARTS", "SoundFontPart", "auto_soundfont", "render_parts",
           "soundfont_roles"]

#: The value of ``soundfont`` that turns SoundFont rendering off.
NONE = "none"


@dataclass(frozen=True)
class SoundFontPart:
    """How one patch is rendered by the SoundFont.

    Attributes
    ----------
    program : int
        General MIDI program (0-based).
    gain_db : float
        Gain on the SoundFont stem that brings it to the patch's level (the RMS
        difference measured on the benchmark phrase with FluidR3_GM).
    """

    program: int
    gain_db: float


#: patch -> its SoundFont rendering; measured with FluidR3_GM (benchmarks/soundfont_parts.py,
#: "SF higher on" column): brass 4/4, horn 3/4, lead_guitar 3/4.
SOUNDFONT_PARTS: dict[str, SoundFontPart] = {
    "brass": SoundFontPart(program=61, gain_db=1.6),
    "horn": SoundFontPart(program=60, gain_db=-3.7),
    "lead_guitar": SoundFontPart(program=29, gain_db=2.3),
}


def auto_soundfont() -> Path | None:
    """The SoundFont the composer uses by default, or None (then it only synthesises).

    ``LOOPMILL_SOUNDFONT`` (a path, or ``none``), else the first system GM SoundFont
    (:func:`~loopmill.engines.composer.soundfont.default_soundfont`); None as well when
    the ``fluidsynth`` program is missing or the file is not a SoundFont.
    """
    from loopmill import settings
    from loopmill.engines.composer.soundfont import check_soundfont, default_soundfont
    from loopmill.errors import BadInputError

    env = settings.soundfont() or ""
    if env.lower() == NONE or shutil.which("fluidsynth") is None:
        return None
    if not env:
        return default_soundfont()
    try:
        return check_soundfont(env)
    except BadInputError:
        return None


def soundfont_roles(arr: Arrangement) -> list[str]:
    """The roles of ``arr`` whose patch is in :data:`SOUNDFONT_PARTS`, sorted."""
    return sorted(r for r, notes in arr.parts.items()
                  if notes and arr.patches.get(r) in SOUNDFONT_PARTS)


def render_parts(arr: Arrangement, roles: list[str], *, soundfont: Path, sr: int
                 ) -> dict[str, np.ndarray]:
    """``roles`` of ``arr`` rendered by ``soundfont``: role -> mono stem ``[n]`` float32
    at the patch's level (one FluidSynth run, dry; deterministic)."""
    from loopmill.engines.composer.midi import MidiNote, Part
    from loopmill.engines.composer.soundfont import render_soundfont_stems

    parts = []
    for role in roles:
        sfp = SOUNDFONT_PARTS[arr.patches[role]]
        parts.append(Part(name=role, program=sfp.program, notes=[
            MidiNote(note=round(m), start=float(s), duration=float(d),
                     velocity=max(1, min(127, round(v * 127))))
            for m, s, d, v in arr.parts[role]]))
    stems = render_soundfont_stems(parts, soundfont=soundfont, bpm=arr.bpm, bars=arr.bars,
                                   beats_per_bar=arr.beats_per_bar, sr=sr)
    out = {}
    for role in roles:
        g = np.float32(0.5 * 10 ** (SOUNDFONT_PARTS[arr.patches[role]].gain_db / 20))
        out[role] = (stems[role][0] + stems[role][1]) * g
    return out
