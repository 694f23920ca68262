"""Standard MIDI File writing and reading: ticks, channels, tempo, atomic writes."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from loopmill.engines.composer.midi import (
    DRUM_CHANNEL,
    PAD,
    SYNTH_BASS,
    MidiNote,
    Part,
    read_midi,
    read_midi_notes,
    write_midi,
)
from loopmill.errors import BadInputError, StorageError


def _parts() -> list[Part]:
    pad = Part("pad", PAD, channel=0, notes=[MidiNote(60, 0.0, 4.0, 80), MidiNote(64, 0.5, 1.5)])
    bass = Part(
        "bass", SYNTH_BASS, channel=1,
        notes=[MidiNote(36, b * 0.5, 0.5, 100) for b in range(8)],  # back to back, same pitch
    )
    drums = Part("drums", 0, channel=3, is_drums=True,
                 notes=[MidiNote(36, 0.0, 0.25, 120), MidiNote(38, 1.0, 0.25, 110)])
    return [pad, bass, drums]


def test_roundtrip_ticks_channels_tempo(tmp_path: Path) -> None:
    ppq = 480
    out = write_midi(tmp_path / "song.mid", _parts(), bpm=128, beats_per_bar=3, ppq=ppq)
    data = out.read_bytes()
    assert data[:4] == b"MThd"
    assert struct.unpack(">IHHH", data[4:14]) == (6, 1, 4, ppq)

    info = read_midi(out)
    assert info.format == 1 and info.n_tracks == 4 and info.ppq == ppq
    assert info.tempos == [(0, round(60e6 / 128))]
    assert info.time_signatures == [(0, 3, 4)]
    assert info.track_names == ["", "pad", "bass", "drums"]
    assert info.programs == [(1, 0, PAD), (2, 1, SYNTH_BASS), (3, DRUM_CHANNEL, 0)]

    expected = {(0, 60, 0, 4 * ppq, 80), (0, 64, ppq // 2, 2 * ppq, 100)}
    expected |= {(1, 36, b * ppq // 2, (b + 1) * ppq // 2, 100) for b in range(8)}
    expected |= {(9, 36, 0, ppq // 4, 120), (9, 38, ppq, ppq + ppq // 4, 110)}
    notes = read_midi_notes(out)
    assert len(notes) == len(expected) and set(notes) == expected
    assert notes == sorted(notes, key=lambda n: (n[2], n[0], n[1], n[3]))
    # every track ends together, at the last note off
    assert info.end_ticks == [4 * ppq] * 4


def test_length_beats_extends_end_of_track(tmp_path: Path) -> None:
    out = write_midi(tmp_path / "a.mid", _parts()[:1], bpm=90, length_beats=16, ppq=96)
    assert read_midi(out).end_ticks == [16 * 96, 16 * 96]


def test_tempo_meta_bytes(tmp_path: Path) -> None:
    data = write_midi(tmp_path / "t.mid", [], bpm=120).read_bytes()
    assert b"\xff\x51\x03" + (500000).to_bytes(3, "big") in data
    assert data.count(b"\xff\x2f\x00") == 1  # only the tempo track


def test_running_status_and_velocity_zero_note_off(tmp_path: Path) -> None:
    # hand-made type 0 file: note on, then running-status note on with velocity 0
    body = bytes([0x00, 0x91, 60, 64, 0x83, 0x60, 60, 0, 0x00, 0xFF, 0x2F, 0x00])
    f = tmp_path / "rs.mid"
    f.write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480)
                  + b"MTrk" + struct.pack(">I", len(body)) + body)
    assert read_midi_notes(f) == [(1, 60, 0, 480, 64)]


def test_failure_leaves_no_temp_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="cannot write MIDI file"):
        write_midi(blocker / "sub" / "x.mid", _parts(), bpm=120)
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


def test_atomic_replace_leaves_only_destination(tmp_path: Path) -> None:
    dest = tmp_path / "x.mid"
    dest.write_bytes(b"old")
    write_midi(dest, _parts(), bpm=100)
    assert [p.name for p in tmp_path.iterdir()] == ["x.mid"]
    assert dest.read_bytes()[:4] == b"MThd"


@pytest.mark.parametrize(
    "part",
    [
        Part("p", 128),
        Part("p", 0, channel=16),
        Part("p", 0, channel=9),
        Part("p", 0, notes=[MidiNote(128, 0, 1)]),
        Part("p", 0, notes=[MidiNote(60, 0, 1, velocity=0)]),
        Part("p", 0, notes=[MidiNote(60, -1, 1)]),
        Part("p", 0, notes=[MidiNote(60, 0, 0)]),
    ],
)
def test_bad_values(tmp_path: Path, part: Part) -> None:
    with pytest.raises(BadInputError):
        write_midi(tmp_path / "bad.mid", [part], bpm=120)
    assert not list(tmp_path.iterdir())


def test_bad_tempo_and_bad_file(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="BPM"):
        write_midi(tmp_path / "a.mid", [], bpm=0)
    junk = tmp_path / "junk.mid"
    junk.write_bytes(b"RIFF0000")
    with pytest.raises(BadInputError, match="not a readable Standard MIDI File"):
        read_midi_notes(junk)
