"""Music theory for the composer: pitches, scales, chords, progressions, voice leading.

Pure functions, no audio. Pitches are MIDI note numbers (C4 = 60, A4 = 69 = 440 Hz);
pitch classes are 0..11 with C = 0. Scale degrees are 1-based (1 = tonic).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from loopmill.errors import BadInputError

__all__ = [
    "GENRES",
    "MODES",
    "PROGRESSIONS",
    "Scale",
    "choose_progression",
    "chord",
    "midi_to_hz",
    "mode_intervals",
    "mode_quality",
    "note_to_midi",
    "parse_tonic",
    "suggest_mode",
    "uses_sevenths",
    "voice_lead",
    "voicing_movement",
]

_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {"#": 1, "♯": 1, "b": -1, "♭": -1, "": 0}
_NOTE_RE = re.compile(r"^\s*([A-Ga-g])([#♯b♭]*)\s*(-?\d+)?\s*$")

MODES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    "major_pentatonic": (0, 2, 4, 7, 9),
    "minor_pentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
}
_MODE_ALIASES = {
    "ionian": "major",
    "aeolian": "minor",
    "natural_minor": "minor",
    "harmonic": "harmonic_minor",
    "pentatonic": "major_pentatonic",
}
# Chords on a pentatonic or blues scale are built from its parent heptatonic mode.
_CHORD_PARENT = {"major_pentatonic": "major", "minor_pentatonic": "minor", "blues": "minor"}
_MINOR_LIKE = {"minor", "harmonic_minor", "dorian", "phrygian", "locrian", "minor_pentatonic",
               "blues"}


def _canon_mode(mode: str) -> str:
    key = mode.strip().lower().replace(" ", "_").replace("-", "_")
    key = _MODE_ALIASES.get(key, key)
    if key not in MODES:
        raise BadInputError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    return key


def mode_intervals(mode: str) -> tuple[int, ...]:
    """Semitone offsets from the tonic of each step of ``mode`` (e.g. major: 0 2 4 5 7 9 11)."""
    return MODES[_canon_mode(mode)]


def mode_quality(mode: str) -> str:
    """``"minor"`` for modes with a minor third (minor, dorian, blues, ...), else ``"major"``."""
    return "minor" if _canon_mode(mode) in _MINOR_LIKE else "major"


def parse_tonic(name: str) -> int:
    """Pitch class (0..11, C = 0) of a tonic name: "D", "F#", "Bb", "Db", "F♯", "e♭"."""
    m = _NOTE_RE.match(name) if isinstance(name, str) else None
    if m is None or m.group(3) is not None:
        raise BadInputError(f"cannot read tonic {name!r}; write a note name like 'D', 'F#', 'Bb'")
    return (_LETTERS[m.group(1).upper()] + sum(_ACCIDENTALS[a] for a in m.group(2))) % 12


def note_to_midi(name: str) -> int:
    """MIDI number of a note with octave, scientific pitch: "C4" -> 60, "C#4" -> 61, "A-1" -> 9."""
    m = _NOTE_RE.match(name) if isinstance(name, str) else None
    if m is None or m.group(3) is None:
        raise BadInputError(f"cannot read note {name!r}; write a note and octave like 'C#4'")
    pc = _LETTERS[m.group(1).upper()] + sum(_ACCIDENTALS[a] for a in m.group(2))
    midi = (int(m.group(3)) + 1) * 12 + pc
    if not 0 <= midi <= 127:
        raise BadInputError(f"note {name!r} is outside the MIDI range 0..127")
    return midi


def midi_to_hz(midi: float) -> float:
    """Frequency in Hz of a (possibly fractional) MIDI note, A4 = 69 = 440 Hz."""
    return float(440.0 * 2.0 ** ((float(midi) - 69.0) / 12.0))


@dataclass(frozen=True)
class Scale:
    """A key: tonic pitch class plus mode.

    Attributes
    ----------
    tonic_pc : int
        Pitch class of the tonic, 0..11.
    mode : str
        A name from ``MODES``.
    """

    tonic_pc: int
    mode: str

    @classmethod
    def parse(cls, tonic: str, mode: str = "major") -> Scale:
        """Scale from a tonic name and a mode name, e.g. ``Scale.parse("F#", "dorian")``."""
        return cls(parse_tonic(tonic), _canon_mode(mode))

    @property
    def intervals(self) -> tuple[int, ...]:
        """Semitone offsets of the steps from the tonic."""
        return mode_intervals(self.mode)

    @property
    def pitch_classes(self) -> frozenset[int]:
        """The pitch classes in the scale."""
        return frozenset((self.tonic_pc + i) % 12 for i in self.intervals)

    def contains(self, midi: int) -> bool:
        """Whether a MIDI note belongs to the scale."""
        return midi % 12 in self.pitch_classes

    def note(self, degree: int, *, octave: int = 4) -> int:
        """MIDI note of scale step ``degree`` (1-based; above the step count climbs octaves)
        counted from the tonic in ``octave``."""
        steps = self.intervals
        if degree < 1:
            raise BadInputError(f"scale degree {degree} must be 1 or more")
        q, r = divmod(degree - 1, len(steps))
        return (octave + 1) * 12 + self.tonic_pc + 12 * q + steps[r]

    def notes(self, low: int, high: int) -> list[int]:
        """All MIDI notes of the scale in ``[low, high]``, ascending."""
        return [m for m in range(low, high + 1) if self.contains(m)]


def chord(
    degree: int,
    *,
    key_pc: int,
    mode: str,
    octave: int = 4,
    sevenths: bool = False,
    harmonic_dominant: bool = False,
) -> list[int]:
    """Diatonic triad (or seventh chord) built in thirds on a scale degree.

    Parameters
    ----------
    degree : int
        1..7 (1 = tonic). Pentatonic and blues modes use their parent mode's chords.
    key_pc : int
        Pitch class of the tonic, 0..11.
    mode : str
        A name from ``MODES``.
    octave : int
        The octave of the key's tonic; the root is the degree's note above it.
    sevenths : bool
        Add the diatonic seventh.
    harmonic_dominant : bool
        When the mode has a minor seventh step (minor, dorian, ...), raise it to the
        leading tone in chords on degrees 5 and 7: the harmonic-minor V (V7) and vii°.

    Returns
    -------
    list[int]
        MIDI notes, root first, ascending (3 or 4 notes).
    """
    name = _canon_mode(mode)
    steps = list(MODES[_CHORD_PARENT.get(name, name)])
    if not 1 <= degree <= 7:
        raise BadInputError(f"chord degree {degree} must be between 1 and 7")
    if not 0 <= key_pc <= 11:
        raise BadInputError(f"key pitch class {key_pc} must be between 0 and 11")
    if harmonic_dominant and degree in (5, 7) and steps[6] == 10:
        steps[6] = 11
    tonic = (octave + 1) * 12 + key_pc
    idx = [degree - 1 + 2 * k for k in range(4 if sevenths else 3)]
    return [tonic + 12 * (i // 7) + steps[i % 7] for i in idx]


# ---------------------------------------------------------------------------
# Progressions. Each entry: degrees (one chord per bar), the mode quality it is
# written for, and mood tags it suits. Every one starts on 1 and ends on a chord
# that leads back to 1 (2, 4, 5 or 7).
# ---------------------------------------------------------------------------

_Prog = tuple[tuple[int, ...], str, frozenset[str]]


def _p(degrees: str, quality: str, tags: str = "") -> _Prog:
    return tuple(int(c) for c in degrees), quality, frozenset(tags.split())


#: genre: its progressions, ``degrees quality tags...`` separated by ``;`` (an indented
#: line goes on with the genre above)
_PROGRESSION_TABLE = """
synthwave:  1675 minor dark tense; 1647 minor dark; 1367 minor calm; 1564 major happy;
            1465 minor dark tense; 1645 major happy
lofi:       1625 major calm happy; 1465 major calm; 1345 major calm; 1472 minor dark calm;
            1647 minor dark; 1362 major calm
ambient:    1464 major calm; 1614 major calm happy; 1367 minor calm dark; 1647 minor dark;
            1364 major calm; 1617 minor dark tense
chiptune:   1645 major happy; 1564 major happy; 1145 major happy; 1677 minor dark tense;
            1465 minor tense; 1365 major calm
orchestral: 1465 major happy; 1645 major happy; 1647 minor dark; 1465 minor dark tense;
            1367 minor dark; 1245 major calm
house:      1647 minor dark; 1465 minor tense; 1564 major happy; 1625 major calm happy;
            1417 minor dark
rock:       1454 major happy; 1745 major happy; 1564 major happy; 1677 minor dark;
            1465 minor tense dark; 1147 major calm
jazz:       1625 major calm happy; 1362 major calm; 1425 major calm; 1465 minor dark tense;
            1625 minor dark; 1325 major happy
fantasy:    1645 major happy calm; 1465 major happy; 1764 minor dark calm; 1645 minor dark;
            1415 major calm; 1365 minor tense
horror:     1625 minor dark tense; 1615 minor dark; 1425 minor tense; 1675 minor dark
dnb:        1647 minor dark; 1675 minor tense; 1465 minor dark tense; 1645 major happy
trap:       1615 minor dark; 1645 minor dark tense; 1675 minor tense; 1465 major happy
metal:      1675 minor dark tense; 1765 minor dark; 1645 minor tense; 1465 major happy
world:      1454 major happy; 1745 major happy calm; 1475 minor dark; 1645 minor calm;
            1565 major happy
"""


def _parse_progressions(text: str) -> dict[str, tuple[_Prog, ...]]:
    """The progressions of :data:`_PROGRESSION_TABLE`, by genre, in its order."""
    table: dict[str, list[_Prog]] = {}
    genre = ""
    for line in text.strip("\n").splitlines():
        if not line[:1].isspace():
            genre, _, line = line.partition(":")
            table[genre] = []
        for item in filter(str.strip, line.split(";")):
            degrees, quality, *tags = item.split()
            table[genre].append(_p(degrees, quality, " ".join(tags)))
    return {name: tuple(progs) for name, progs in table.items()}


PROGRESSIONS: dict[str, tuple[_Prog, ...]] = _parse_progressions(_PROGRESSION_TABLE)
GENRES: tuple[str, ...] = tuple(PROGRESSIONS)
_LEADING = (2, 4, 5, 7)

_MOOD_GROUPS = {
    "dark": {"dark", "sad", "melancholic", "melancholy", "mysterious", "ominous", "eerie",
             "gloomy", "somber", "sombre", "haunting", "moody", "night"},
    "tense": {"tense", "suspense", "suspenseful", "aggressive", "intense", "action", "epic",
              "urgent", "angry", "danger", "battle", "boss"},
    "happy": {"happy", "triumphant", "uplifting", "upbeat", "joyful", "heroic", "cheerful",
              "playful", "bright", "energetic", "victory", "fun", "hopeful"},
    "calm": {"calm", "chill", "relaxed", "relaxing", "dreamy", "peaceful", "mellow", "soft",
             "ambient", "nostalgic", "warm", "lazy", "serene"},
}


def _mood_tags(moods: Iterable[str]) -> set[str]:
    words = {w.strip().lower() for m in moods for w in re.split(r"[\s,/]+", m) if w.strip()}
    return {group for group, members in _MOOD_GROUPS.items() if words & members}


def _genre(genre: str) -> str:
    g = genre.strip().lower().replace("-", "").replace(" ", "").replace("_", "")
    aliases = {"lofihiphop": "lofi", "chip": "chiptune", "8bit": "chiptune",
               "cinematic": "orchestral", "edm": "house", "techno": "house",
               "retrowave": "synthwave", "outrun": "synthwave", "medieval": "fantasy",
               "darkambient": "horror", "drumandbass": "dnb", "jungle": "dnb",
               "hiphop": "trap", "heavymetal": "metal", "percussion": "world"}
    g = aliases.get(g, g)
    if g not in PROGRESSIONS:
        raise BadInputError(f"unknown genre {genre!r}; use one of {', '.join(GENRES)}")
    return g


def suggest_mode(*, genre: str, moods: Sequence[str]) -> str:
    """A mode that suits the genre and moods: dark/tense lean minor, happy major.

    ``dorian`` for calm or dark lofi/jazz, ``harmonic_minor`` for tense orchestral,
    otherwise ``minor`` or ``major``.
    """
    g, tags = _genre(genre), _mood_tags(moods)
    if "tense" in tags and g == "orchestral":
        return "harmonic_minor"
    if tags & {"dark", "tense"} and not tags & {"happy"}:
        return "dorian" if g in ("lofi", "jazz") else "minor"
    if "happy" in tags:
        return "major"
    return "minor" if g in ("synthwave", "house", "ambient", "horror", "dnb", "trap",
                            "metal") else "major"


def uses_sevenths(genre: str) -> bool:
    """Whether the genre voices its chords as sevenths (jazz, lofi: maj7/min7/dom7)."""
    return _genre(genre) in ("jazz", "lofi")


def choose_progression(
    *,
    genre: str,
    moods: Sequence[str],
    mode: str,
    rng: np.random.Generator,
    bars: int = 4,
) -> list[int]:
    """Pick a chord progression, one scale degree per bar.

    Entries written for the mode's quality (major/minor) weigh 4x; entries whose mood
    tags match the requested moods weigh 3x per matching tag. Loops longer than one
    table entry chain several entries; shorter ones keep the first and last chords.

    Returns
    -------
    list[int]
        ``bars`` degrees 1..7; the first is 1, the last (when ``bars > 1``) is one of
        2, 4, 5, 7, so the loop leads back to its tonic.
    """
    if bars < 1:
        raise BadInputError(f"bars={bars} must be at least 1")
    table = PROGRESSIONS[_genre(genre)]
    quality, tags = mode_quality(mode), _mood_tags(moods)
    weights = np.array(
        [(4.0 if q == quality else 1.0) * 3.0 ** len(t & tags) for _, q, t in table]
    )
    weights /= weights.sum()
    entries: list[tuple[int, ...]] = []
    while 4 * len(entries) < bars:
        entries.append(table[int(rng.choice(len(table), p=weights))][0])
    if bars == 1:
        return [1]
    result = [d for e in entries for d in e][:bars]
    if result[-1] not in _LEADING:
        result[-1] = entries[(bars - 1) // 4][-1]
    return result


# ---------------------------------------------------------------------------
# Voice leading
# ---------------------------------------------------------------------------


def voicing_movement(a: Sequence[int], b: Sequence[int]) -> int:
    """Semitones moved from voicing ``a`` to ``b``.

    Equal sizes: voices paired low to high. Different sizes: each note's distance to the
    nearest note of the other chord, summed both ways and halved (rounded up).
    """
    sa, sb = sorted(a), sorted(b)
    if len(sa) == len(sb):
        return sum(abs(x - y) for x, y in zip(sa, sb, strict=True))
    there = sum(min(abs(x - y) for y in sb) for x in sa)
    back = sum(min(abs(x - y) for y in sa) for x in sb)
    return (there + back + 1) // 2


def _candidates(notes: Sequence[int], low: int, high: int) -> list[tuple[int, ...]]:
    """Close-position voicings (every inversion, every octave) with all notes in range."""
    pcs = sorted({n % 12 for n in notes}, key=lambda p: (p - notes[0]) % 12)
    if not pcs:
        raise BadInputError("voice_lead got an empty chord")
    out: list[tuple[int, ...]] = []
    for inv in range(len(pcs)):
        order = pcs[inv:] + pcs[:inv]
        for base in range(low - low % 12 - 12, high + 1, 12):
            first = base + order[0]
            v = [first]
            for pc in order[1:]:
                v.append(v[-1] + (pc - v[-1]) % 12)
            if v[0] >= low and v[-1] <= high:
                out.append(tuple(v))
    # wider voicings: drop the second-from-top voice an octave (drop-2) when it fits
    for close in list(out):
        if len(close) >= 4:
            dropped = sorted([*close[:-2], close[-2] - 12, close[-1]])
            if dropped[0] >= low:
                out.append(tuple(dropped))
    if not out:
        raise BadInputError(
            f"chord {list(notes)} cannot be voiced in range {low}..{high}; widen the range"
        )
    return out


def _movements(a: list[tuple[int, ...]], b: list[tuple[int, ...]]) -> np.ndarray:
    """``[len(a), len(b)]`` int: :func:`voicing_movement` between every pair (the
    voicings of one list all have the same size, as :func:`_candidates` makes them)."""
    va = np.sort(np.array(a, dtype=np.int64), axis=1)[:, None, :]  # [A, 1, n]
    vb = np.sort(np.array(b, dtype=np.int64), axis=1)[None, :, :]  # [1, B, m]
    if va.shape[2] == vb.shape[2]:
        return np.abs(va - vb).sum(axis=2)
    dist = np.abs(va[:, :, :, None] - vb[:, :, None, :])  # [A, B, n, m]
    there = dist.min(axis=3).sum(axis=2)
    back = dist.min(axis=2).sum(axis=2)
    return (there + back + 1) // 2


def voice_lead(chords: list[list[int]], *, low: int = 48, high: int = 72) -> list[list[int]]:
    """Re-voice chords (inversions, octaves) to minimise total movement, loop included.

    Parameters
    ----------
    chords : list of list of int
        MIDI chords in any voicing; their pitch classes are kept.
    low, high : int
        Inclusive MIDI range every output note must lie in.

    Returns
    -------
    list of list of int
        One ascending voicing per chord, same pitch classes, minimising the sum of
        ``voicing_movement`` between consecutive chords and from the last back to the
        first (exact dynamic programme over all close-position voicings). Ties prefer
        voicings centred in the range.
    """
    if not chords:
        return []
    if high - low < 11:
        raise BadInputError(f"voice range {low}..{high} must span at least an octave")
    cands = [_candidates(c, low, high) for c in chords]
    centre = (low + high) / 2

    def spread(v: tuple[int, ...]) -> float:
        return abs(sum(v) / len(v) - centre) / 100.0

    spreads = [np.array([spread(v) for v in c]) for c in cands]
    # the movement between every pair of neighbouring voicings, computed once (it does
    # not depend on the start): moves[i][p, v] from cands[i - 1][p] to cands[i][v]
    moves = [_movements(cands[i - 1], cands[i]) for i in range(1, len(cands))]
    closing_moves = _movements(cands[-1], cands[0]) if len(cands) > 1 else None
    best_cost, best_path = float("inf"), [0] * len(chords)
    for start in range(len(cands[0])):
        # cost[k]: the cheapest path from `start` to voicing k of the current chord; the
        # sums are formed in the order of the scalar programme (cost + move, then + spread)
        # and ties go to the lowest index, so the choice is exactly the same
        cost = spreads[0][start:start + 1]
        back: list[np.ndarray] = []
        for i in range(1, len(cands)):
            m = moves[i - 1][start:start + 1] if i == 1 else moves[i - 1]
            total = cost[:, None] + m
            ptr = np.argmin(total, axis=0)
            cost = total[ptr, np.arange(total.shape[1])] + spreads[i]
            back.append(ptr + start if i == 1 else ptr)
        closing = cost + closing_moves[:, start] if closing_moves is not None else cost
        k_end = int(np.argmin(closing))
        if closing[k_end] < best_cost:
            path = [k_end if len(cands) > 1 else start]
            for ptr in reversed(back):
                path.append(int(ptr[path[-1]]))
            path.reverse()
            best_cost, best_path = float(closing[k_end]), path
    return [list(cands[i][j]) for i, j in enumerate(best_path)]

