"""Standard MIDI Files for the composer: write the arrangement as parts, read notes back.

Written by hand with :mod:`struct` (no dependency). :func:`write_midi` produces a type 1
file: track 0 holds the tempo and time signature, then one track per :class:`Part` with
its name, a program change and its notes. Drum parts always play on MIDI channel 10
(index 9), as General MIDI requires. :func:`read_midi` / :func:`read_midi_notes` is a
small parser for the tests and for the SoundFont renderer.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:  # typing.Unpack is Python 3.11+; annotations are never evaluated
    from typing import Unpack

from loopmill._atomic import write_bytes_atomic
from loopmill.errors import BadInputError

__all__ = [
    "BRASS",
    "CHOIR",
    "DRUM_CHANNEL",
    "ELECTRIC_PIANO",
    "FINGERED_BASS",
    "FLUTE",
    "GM_PROGRAM_NAMES",
    "GUITAR",
    "NYLON_GUITAR",
    "ORGAN",
    "PAD",
    "PIANO",
    "SAW_LEAD",
    "SQUARE_LEAD",
    "STANDARD_KIT",
    "STRINGS",
    "SYNTH_BASS",
    "SYNTH_STRINGS",
    "MidiFile",
    "MidiLayout",
    "MidiNote",
    "Part",
    "midi_bytes",
    "read_midi",
    "read_midi_notes",
    "write_midi",
]

# General MIDI programs (0-based) for the roles the composer uses.
PIANO = 0  # Acoustic Grand Piano
ELECTRIC_PIANO = 4  # Electric Piano 1
ORGAN = 16  # Drawbar Organ
NYLON_GUITAR = 24  # Acoustic Guitar (nylon)
GUITAR = 27  # Electric Guitar (clean)
FINGERED_BASS = 33  # Electric Bass (finger)
SYNTH_BASS = 38  # Synth Bass 1
STRINGS = 48  # String Ensemble 1
SYNTH_STRINGS = 50  # Synth Strings 1
CHOIR = 52  # Choir Aahs
BRASS = 61  # Brass Section
FLUTE = 73  # Flute
SQUARE_LEAD = 80  # Lead 1 (square)
SAW_LEAD = 81  # Lead 2 (sawtooth)
PAD = 89  # Pad 2 (warm)
STANDARD_KIT = 0  # drum kit program on channel 10: Standard Kit

GM_PROGRAM_NAMES: dict[int, str] = {
    PIANO: "Acoustic Grand Piano",
    ELECTRIC_PIANO: "Electric Piano 1",
    ORGAN: "Drawbar Organ",
    NYLON_GUITAR: "Acoustic Guitar (nylon)",
    GUITAR: "Electric Guitar (clean)",
    FINGERED_BASS: "Electric Bass (finger)",
    SYNTH_BASS: "Synth Bass 1",
    STRINGS: "String Ensemble 1",
    SYNTH_STRINGS: "Synth Strings 1",
    CHOIR: "Choir Aahs",
    BRASS: "Brass Section",
    FLUTE: "Flute",
    SQUARE_LEAD: "Lead 1 (square)",
    SAW_LEAD: "Lead 2 (sawtooth)",
    PAD: "Pad 2 (warm)",
}

DRUM_CHANNEL = 9  # MIDI channel 10, 0-based


@dataclass(frozen=True)
class MidiNote:
    """One note: MIDI pitch 0-127, start and duration in beats (quarter notes), velocity 1-127."""

    note: int
    start: float
    duration: float
    velocity: int = 100


@dataclass
class Part:
    """One instrument: a General MIDI program (0-127) on a channel (0-15), and its notes.

    ``is_drums`` parts go to channel 10 (index 9) whatever ``channel`` says; their
    ``program`` picks the drum kit (0 = Standard) and their notes are GM drum keys
    (36 kick, 38 snare, 42 closed hat ...). A melodic part may not use channel index 9.
    """

    name: str
    program: int
    channel: int = 0
    is_drums: bool = False
    notes: list[MidiNote] = field(default_factory=list)


@dataclass(frozen=True)
class MidiFile:
    """What :func:`read_midi` finds: header fields, tempo map and every note.

    ``notes`` are ``(channel, note, start_tick, end_tick, velocity)`` sorted by start tick,
    then channel and note; ``tempos`` are ``(tick, microseconds per quarter note)``;
    ``programs`` are ``(track, channel, program)`` in file order.
    """

    format: int
    ppq: int
    n_tracks: int
    tempos: list[tuple[int, int]]
    time_signatures: list[tuple[int, int, int]]
    track_names: list[str]
    programs: list[tuple[int, int, int]]
    notes: list[tuple[int, int, int, int, int]]
    end_ticks: list[int]


# ---------------------------------------------------------------------------- writing


def _vlq(value: int) -> bytes:
    """A MIDI variable-length quantity (7 bits a byte, high bit set on all but the last)."""
    if value < 0 or value > 0x0FFFFFFF:
        raise BadInputError(f"MIDI delta time {value} is out of range 0..{0x0FFFFFFF}")
    out = bytearray([value & 0x7F])
    value >>= 7
    while value:
        out.insert(0, 0x80 | (value & 0x7F))
        value >>= 7
    return bytes(out)


def _meta(kind: int, data: bytes) -> bytes:
    return bytes([0xFF, kind]) + _vlq(len(data)) + data


def _track(events: list[tuple[int, int, bytes]], end_tick: int) -> bytes:
    """Serialise ``(tick, order, message)`` events with delta times and an end of track."""
    events = sorted(events, key=lambda e: (e[0], e[1]))
    body = bytearray()
    now = 0
    for tick, _, msg in events:
        body += _vlq(tick - now) + msg
        now = tick
    body += _vlq(max(0, end_tick - now)) + _meta(0x2F, b"")
    return b"MTrk" + struct.pack(">I", len(body)) + bytes(body)


def _check_int(name: str, value: int, lo: int, hi: int, fix: str = "") -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise BadInputError(f"{name} {value!r} must be an integer in {lo}..{hi}{fix}")


def _part_channel(part: Part) -> int:
    if part.is_drums:
        return DRUM_CHANNEL
    _check_int(f"part {part.name!r}: channel", part.channel, 0, 15)
    if part.channel == DRUM_CHANNEL:
        raise BadInputError(
            f"part {part.name!r}: channel index 9 (MIDI channel 10) is reserved for drums; "
            "pick another channel or set is_drums=True"
        )
    return part.channel


def _part_events(part: Part, ppq: int) -> tuple[list[tuple[int, int, bytes]], int]:
    """One part's ``(tick, order, message)`` events and its last tick."""
    ch = _part_channel(part)
    _check_int(f"part {part.name!r}: program", part.program, 0, 127, " (General MIDI)")
    events: list[tuple[int, int, bytes]] = [
        (0, 0, _meta(0x03, part.name.encode("utf-8", "replace"))),
        (0, 1, bytes([0xC0 | ch, part.program])),
    ]
    last = 0
    for n in part.notes:
        _check_int(f"part {part.name!r}: note", n.note, 0, 127)
        _check_int(f"part {part.name!r}: velocity", n.velocity, 1, 127)
        if not (0 <= n.start < float("inf") and 0 < n.duration < float("inf")):
            raise BadInputError(
                f"part {part.name!r}: note {n.note} at beat {n.start} lasting {n.duration} "
                "beats: the start must be >= 0 and the duration > 0"
            )
        on = round(n.start * ppq)
        off = max(on + 1, round((n.start + n.duration) * ppq))
        # At equal ticks: note offs (order 2) before note ons (order 3), so a repeated
        # pitch is released before it is struck again.
        events.append((off, 2, bytes([0x80 | ch, n.note, 0])))
        events.append((on, 3, bytes([0x90 | ch, n.note, n.velocity])))
        last = max(last, off)
    return events, last


class MidiLayout(TypedDict, total=False):
    """How a MIDI file lays its parts out, besides the tempo (see :func:`midi_bytes`)."""

    beats_per_bar: int
    ppq: int
    length_beats: float | None


def write_midi(
    path: str | Path, parts: Sequence[Part], *, bpm: float, **layout: Unpack[MidiLayout]
) -> Path:
    """Write ``parts`` as a Standard MIDI File, type 1, atomically.

    Parameters
    ----------
    path : str or Path
        Destination ``.mid``; its folder is created when missing. The file is written to
        a temporary name beside it and moved into place, so a reader never sees half.
    parts : sequence of Part
        One track each, in order. Drum parts play on channel 10.
    bpm : float
        Tempo in quarter notes per minute.
    **layout
        ``beats_per_bar``, ``ppq``, ``length_beats``: as :func:`midi_bytes`.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    BadInputError
        A value out of MIDI's range (program, channel, note, velocity, tempo ...).
    StorageError
        The file cannot be written; nothing is left behind.
    """
    path = Path(path)
    data = midi_bytes(parts, bpm=bpm, **layout)
    write_bytes_atomic(path, data, what="MIDI file ",
                       fix="check that its folder is writable")
    return path


def midi_bytes(
    parts: Sequence[Part],
    *,
    bpm: float,
    beats_per_bar: int = 4,
    ppq: int = 480,
    length_beats: float | None = None,
) -> bytes:
    """The bytes of the Standard MIDI File :func:`write_midi` writes (for a destination
    that is not a local path).

    Parameters
    ----------
    parts : sequence of Part
        One track each, in order. Drum parts play on channel 10.
    bpm : float
        Tempo in quarter notes per minute; stored as ``round(60e6 / bpm)`` µs a beat.
    beats_per_bar : int
        Numerator of the time signature (the denominator is 4).
    ppq : int
        Ticks per quarter note (the header's division).
    length_beats : float, optional
        Place every end-of-track at least this far (e.g. the loop length), so players and
        DAWs keep the silence after the last note.

    Raises
    ------
    BadInputError
        A value out of MIDI's range (program, channel, note, velocity, tempo ...).
    """
    if not bpm > 0 or bpm == float("inf"):
        raise BadInputError(f"tempo {bpm} BPM must be a positive number")
    _check_int("ppq", ppq, 1, 0x7FFF)
    _check_int("beats_per_bar", beats_per_bar, 1, 255)
    if len(parts) > 0xFFFE:
        raise BadInputError(f"{len(parts)} parts: a MIDI file holds at most 65534")
    tempo_us = round(60e6 / bpm)
    if not 1 <= tempo_us <= 0xFFFFFF:
        raise BadInputError(f"tempo {bpm} BPM cannot be stored in a MIDI file")
    end = 0 if length_beats is None else max(0, round(length_beats * ppq))

    built = [_part_events(part, ppq) for part in parts]
    end = max([end, *(last for _, last in built)])
    chunks = [_track(events, end) for events, _ in built]
    tempo_track = _track(
        [
            (0, 0, _meta(0x51, struct.pack(">I", tempo_us)[1:])),
            (0, 1, _meta(0x58, bytes([beats_per_bar, 2, 24, 8]))),
        ],
        end,
    )
    header = b"MThd" + struct.pack(">IHHH", 6, 1, len(parts) + 1, ppq)
    return header + tempo_track + b"".join(chunks)


# ---------------------------------------------------------------------------- reading


def _bad(path: Path, what: str) -> BadInputError:
    return BadInputError(f"{path}: not a readable Standard MIDI File ({what})")


def _read_vlq(buf: bytes, pos: int, path: Path) -> tuple[int, int]:
    value = 0
    for _ in range(4):
        if pos >= len(buf):
            raise _bad(path, "truncated variable-length number")
        b = buf[pos]
        pos += 1
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            return value, pos
    raise _bad(path, "variable-length number longer than 4 bytes")


def read_midi(path: str | Path) -> MidiFile:
    """Parse a Standard MIDI File (type 0 or 1) into its tempo map, programs and notes.

    Handles running status, note-on with velocity 0 as note-off, sysex and meta events.
    Overlapping notes of one pitch on one channel are paired first-in, first-out; a
    note never released ends at its track's end.

    Raises
    ------
    BadInputError
        The file is missing or not a Standard MIDI File.
    """
    path = Path(path)
    try:
        buf = path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"cannot read MIDI file {path}: {exc.strerror or exc}") from exc
    if len(buf) < 14 or buf[:4] != b"MThd":
        raise _bad(path, "no MThd header")
    hlen, fmt, _ntrk, division = struct.unpack(">IHHH", buf[4:14])
    if division & 0x8000:
        raise _bad(path, "SMPTE time division is not supported")
    pos = 8 + hlen
    tempos: list[tuple[int, int]] = []
    sigs: list[tuple[int, int, int]] = []
    names: list[str] = []
    programs: list[tuple[int, int, int]] = []
    notes: list[tuple[int, int, int, int, int]] = []
    ends: list[int] = []
    track = 0
    while pos + 8 <= len(buf):
        cid = buf[pos:pos + 4]
        (clen,) = struct.unpack(">I", buf[pos + 4:pos + 8])
        start, stop = pos + 8, pos + 8 + clen
        pos = stop
        if cid != b"MTrk":
            continue
        if stop > len(buf):
            raise _bad(path, f"track {track} runs past the end of the file")
        tick = 0
        status = 0
        open_notes: dict[tuple[int, int], list[tuple[int, int]]] = {}
        p = start
        name = ""
        while p < stop:
            delta, p = _read_vlq(buf, p, path)
            tick += delta
            if p >= stop:
                raise _bad(path, f"track {track} ends inside an event")
            b = buf[p]
            if b == 0xFF:
                if p + 1 >= stop:
                    raise _bad(path, f"track {track}: truncated meta event")
                kind = buf[p + 1]
                length, p = _read_vlq(buf, p + 2, path)
                data = buf[p:p + length]
                p += length
                if kind == 0x51 and length == 3:
                    tempos.append((tick, int.from_bytes(data, "big")))
                elif kind == 0x58 and length >= 2:
                    sigs.append((tick, data[0], 2 ** data[1]))
                elif kind == 0x03:
                    name = data.decode("utf-8", "replace")
                elif kind == 0x2F:
                    break
                continue
            if b in (0xF0, 0xF7):
                length, p = _read_vlq(buf, p + 1, path)
                p += length
                continue
            if b & 0x80:
                status = b
                p += 1
            elif not status:
                raise _bad(path, f"track {track}: data byte without a status byte")
            kind, ch = status & 0xF0, status & 0x0F
            size = 1 if kind in (0xC0, 0xD0) else 2
            if p + size > stop:
                raise _bad(path, f"track {track}: truncated channel event")
            d = buf[p:p + size]
            p += size
            if kind == 0x90 and d[1] > 0:
                open_notes.setdefault((ch, d[0]), []).append((tick, d[1]))
            elif kind == 0x80 or kind == 0x90:
                pending = open_notes.get((ch, d[0]))
                if pending:
                    on, vel = pending.pop(0)
                    notes.append((ch, d[0], on, tick, vel))
            elif kind == 0xC0:
                programs.append((track, ch, d[0]))
        for (ch, note), pending in open_notes.items():
            notes.extend((ch, note, on, tick, vel) for on, vel in pending)
        names.append(name)
        ends.append(tick)
        track += 1
    notes.sort(key=lambda n: (n[2], n[0], n[1], n[3]))
    return MidiFile(
        format=fmt, ppq=division, n_tracks=track, tempos=tempos, time_signatures=sigs,
        track_names=names, programs=programs, notes=notes, end_ticks=ends,
    )


def read_midi_notes(path: str | Path) -> list[tuple[int, int, int, int, int]]:
    """Every note of a MIDI file as ``(channel, note, start_tick, end_tick, velocity)``,
    sorted by start tick (channel 0-based: drums are 9)."""
    return read_midi(path).notes
