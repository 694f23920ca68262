"""The hand-written RIFF ``smpl`` chunk: layout, parsing, chunk order and padding."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import soundfile as sf

from loopmill.audio import LoopPoints, load, read_loop_points, read_tags, save, write_tags
from loopmill.audio._riff import read_chunks


def _chunk(cid: bytes, payload: bytes) -> bytes:
    return struct.pack("<4sI", cid, len(payload)) + payload + (b"\0" if len(payload) % 2 else b"")


def _smpl(start: int, end_inclusive: int, *, extra_loops: int = 0) -> bytes:
    header = struct.pack("<9I", 0, 0, 22676, 60, 0, 0, 0, 1 + extra_loops, 0)
    loops = struct.pack("<6I", 0, 0, start, end_inclusive, 0, 0)
    loops += struct.pack("<6I", 1, 0, 0, 1, 0, 0) * extra_loops
    return header + loops


def _wav(chunks: list[bytes]) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _pcm16(frames: int) -> list[bytes]:
    fmt = struct.pack("<HHIIHH", 1, 1, 44100, 88200, 2, 16)
    return [_chunk(b"fmt ", fmt), _chunk(b"data", b"\0\0" * frames)]


def test_smpl_layout_as_written(tmp_path: Path) -> None:
    y = np.zeros((1, 1000), np.float32)
    out = save(tmp_path / "a.wav", y, sr=44100, loop=LoopPoints(100, 300))
    _, chunks, end = read_chunks(out)
    raw = out.read_bytes()
    assert struct.unpack("<I", raw[4:8])[0] == len(raw) - 8 == end - 8
    (smpl,) = [c for c in chunks if c.cid == b"smpl"]
    assert smpl.size == 60
    fields = struct.unpack("<9I6I", raw[smpl.data : smpl.data + 60])
    assert fields[2] == round(1e9 / 44100)  # sample period, ns
    assert fields[3] == 60  # MIDI unity note
    assert fields[7] == 1  # one loop
    assert fields[10:13] == (0, 100, 399)  # forward loop, start, inclusive end
    # libsndfile still reads the file and sees the same loop
    with sf.SoundFile(out) as f:
        assert f.frames == 1000


def test_smpl_followed_by_another_chunk(tmp_path: Path) -> None:
    path = tmp_path / "b.wav"
    path.write_bytes(_wav([*_pcm16(10), _chunk(b"smpl", _smpl(2, 6, extra_loops=1)),
                           _chunk(b"LIST", b"INFOISFT\x05\0\0\0abcd\0\0")]))  # fmt: skip
    assert read_loop_points(path) == LoopPoints(2, 5)
    # rewriting moves smpl to the end without losing the LIST chunk or the audio
    y, _ = load(path)
    save_path = path
    from loopmill.audio import write_loop_points

    write_loop_points(save_path, LoopPoints(1, 3), sr=44100)
    ids = [c.cid for c in read_chunks(path)[1]]
    assert ids == [b"fmt ", b"data", b"LIST", b"smpl"]
    assert read_loop_points(path) == LoopPoints(1, 3)
    np.testing.assert_array_equal(load(path)[0], y)


def test_odd_sized_chunks_are_padded(tmp_path: Path) -> None:
    path = tmp_path / "odd.wav"
    # an odd chunk before smpl: a reader that ignores the pad byte lands mid-chunk
    path.write_bytes(_wav([*_pcm16(4), _chunk(b"junk", b"abc"), _chunk(b"smpl", _smpl(1, 2))]))
    assert read_loop_points(path) == LoopPoints(1, 2)
    write_tags(path, {"K": "odd"})  # appends an id3 chunk after the pad byte
    assert read_tags(path) == {"K": "odd"}
    assert read_loop_points(path) == LoopPoints(1, 2)
    raw = path.read_bytes()
    assert len(raw) % 2 == 0 and struct.unpack("<I", raw[4:8])[0] == len(raw) - 8


def test_missing_final_pad_byte_is_repaired(tmp_path: Path) -> None:
    path = tmp_path / "nopad.wav"
    raw = _wav([*_pcm16(4), _chunk(b"junk", b"abc")])[:-1]  # writer forgot the pad
    path.write_bytes(raw[:4] + struct.pack("<I", len(raw) - 8) + raw[8:])
    from loopmill.audio import write_loop_points

    write_loop_points(path, LoopPoints(0, 4), sr=44100)
    assert read_loop_points(path) == LoopPoints(0, 4)
    assert [c.cid for c in read_chunks(path)[1]] == [b"fmt ", b"data", b"junk", b"smpl"]


def test_wav_tags_readable_by_mutagen(tmp_path: Path) -> None:
    from mutagen.wave import WAVE

    out = save(tmp_path / "t.wav", np.zeros((2, 100), np.float32), sr=48000, tags={"X": "1"})
    assert str(WAVE(out).tags["TXXX:X"]) == "1"
