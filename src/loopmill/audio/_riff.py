"""Hand-written RIFF/WAVE and FORM/AIFF chunk handling (no dependency).

Used for two jobs libsndfile does not do for us:

* the declared frame count of a WAV/AIFF file: libsndfile silently shortens a
  truncated file to the bytes present, so truncation is only visible by comparing
  with the header;
* replacing a chunk (``smpl``, ``id3 ``) in a WAV file, with correct word padding and
  the RIFF size updated.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from loopmill._atomic import atomic_path
from loopmill.errors import BadInputError, UnsupportedFormatError

SMPL = b"smpl"
ID3 = b"id3 "
_SMPL_HEADER = struct.Struct("<9I")  # manufacturer .. sampler data, 36 bytes
_SMPL_LOOP = struct.Struct("<6I")  # cue id, type, start, end (inclusive), fraction, play count
_COPY_BLOCK = 1 << 20


@dataclass(frozen=True)
class Chunk:
    """One chunk: its id, where its header starts, where its data starts, its size."""

    cid: bytes
    header: int
    data: int
    size: int

    @property
    def end(self) -> int:
        """Offset just after the chunk, pad byte included."""
        return self.data + self.size + (self.size & 1)


def _container(f: BinaryIO, path: Path) -> tuple[bytes, str, int]:
    """Return (form type, struct byte order, end of the container) or raise."""
    head = f.read(12)
    file_size = os.fstat(f.fileno()).st_size
    if len(head) == 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        order = "<"
    elif len(head) == 12 and head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        order = ">"
    elif head[:4] in (b"RF64", b"BW64"):
        raise UnsupportedFormatError(
            f"{path}: RF64 (>4 GB) WAV is not supported for tags; convert it to FLAC"
        )
    else:
        raise BadInputError(f"{path}: not a RIFF/WAVE file; pass a real .wav file")
    (size,) = struct.unpack(order + "I", head[4:8])
    # Some writers leave junk after the container or get its size wrong: trust the
    # smaller of the declared size and the real file size.
    return head[8:12], order, min(8 + size, file_size)


def read_chunks(path: Path) -> tuple[bytes, list[Chunk], int]:
    """List the top-level chunks of a WAV or AIFF file.

    Returns
    -------
    tuple
        (form type: ``b"WAVE"``, ``b"AIFF"`` or ``b"AIFC"``; the chunks; container end).
    """
    with open(path, "rb") as f:
        form, order, end = _container(f, path)
        return form, list(_iter_chunks(f, order, end)), end


def _iter_chunks(f: BinaryIO, order: str, end: int) -> Iterator[Chunk]:
    pos = 12
    while pos + 8 <= end:
        f.seek(pos)
        cid, size = struct.unpack(order + "4sI", f.read(8))
        chunk = Chunk(cid, pos, pos + 8, size)
        yield chunk
        pos = chunk.end


def declared_frames(path: Path) -> int | None:
    """Frames the WAV ``data`` / AIFF ``COMM`` header promises, or None when unknown.

    A size of 0 or 0xFFFFFFFF in ``data`` marks a stream that was never finalised;
    those carry no promise.
    """
    try:
        form, chunks, _ = read_chunks(path)
    except (BadInputError, OSError, struct.error):
        return None
    by_id = {c.cid: c for c in chunks}
    with open(path, "rb") as f:
        if form == b"WAVE":
            fmt, data = by_id.get(b"fmt "), by_id.get(b"data")
            if fmt is None or data is None or fmt.size < 14 or data.size in (0, 0xFFFFFFFF):
                return None
            f.seek(fmt.data + 12)
            (block_align,) = struct.unpack("<H", f.read(2))
            return data.size // block_align if block_align else None
        comm = by_id.get(b"COMM")
        if comm is None or comm.size < 6:
            return None
        f.seek(comm.data + 2)
        (frames,) = struct.unpack(">I", f.read(4))
        return int(frames)


def read_chunk(path: Path, cid: bytes) -> bytes | None:
    """Payload of the first chunk ``cid`` of a WAV file, or None."""
    _, chunks, end = read_chunks(path)
    with open(path, "rb") as f:
        for c in chunks:
            if c.cid == cid:
                f.seek(c.data)
                return f.read(min(c.size, end - c.data))
    return None


def set_chunk(path: Path, cid: bytes, payload: bytes | None) -> None:
    """Remove every ``cid`` chunk of a WAV file and append ``payload`` as a new one.

    When the old chunks are already at the end (the usual case) the file is cut and
    extended in place; otherwise it is rebuilt into a temp file and swapped in
    atomically. ``payload=None`` only removes.
    """
    form, chunks, end = read_chunks(path)
    if form != b"WAVE":
        raise UnsupportedFormatError(f"{path}: chunks can only be written to WAV files")
    if chunks and chunks[-1].data + chunks[-1].size > os.path.getsize(path):
        raise BadInputError(
            f"{path}: is truncated (chunk {chunks[-1].cid!r} runs past the end of the file); "
            "re-export it"
        )
    keep = [c for c in chunks if c.cid != cid]
    first_gone = next((i for i, c in enumerate(chunks) if c.cid == cid), len(chunks))
    if all(c.cid == cid for c in chunks[first_gone:]):
        cut = (
            chunks[first_gone].header
            if first_gone < len(chunks)
            else (chunks[-1].end if chunks else 12)
        )
        with open(path, "r+b") as f:
            f.truncate(cut)  # also adds the final pad byte when a writer left it out
            f.seek(cut)
            if payload is not None:
                f.write(_chunk_bytes(cid, payload))
            _write_riff_size(f)
        return
    with atomic_path(path) as tmp, open(path, "rb") as src, open(tmp, "wb") as dst:
        src.seek(0)
        dst.write(src.read(12))
        for c in keep:
            src.seek(c.header)
            _copy(src, dst, min(c.end, end) - c.header)
            if c.end > end:  # last chunk missing its pad byte
                dst.write(b"\0")
        if payload is not None:
            dst.write(_chunk_bytes(cid, payload))
        _write_riff_size(dst)


def _copy(src: BinaryIO, dst: BinaryIO, n: int) -> None:
    while n > 0:
        block = src.read(min(n, _COPY_BLOCK))
        if not block:
            break
        dst.write(block)
        n -= len(block)


def _chunk_bytes(cid: bytes, payload: bytes) -> bytes:
    pad = b"\0" if len(payload) & 1 else b""
    return struct.pack("<4sI", cid, len(payload)) + payload + pad


def _write_riff_size(f: BinaryIO) -> None:
    f.seek(0, os.SEEK_END)
    size = f.tell() - 8
    if size > 0xFFFFFFFF:
        raise BadInputError("WAV file would exceed 4 GB; write FLAC instead")
    f.seek(4)
    f.write(struct.pack("<I", size))


def smpl_payload(start: int, length: int, sr: int) -> bytes:
    """A ``smpl`` chunk payload with one forward loop over ``[start, start+length)``.

    The spec stores the loop end inclusive; the sample period is in nanoseconds and
    the MIDI unity note is 60 (middle C), meaning "play at the recorded pitch".
    """
    period = round(1e9 / sr)
    header = _SMPL_HEADER.pack(0, 0, period, 60, 0, 0, 0, 1, 0)
    return header + _SMPL_LOOP.pack(0, 0, start, start + length - 1, 0, 0)


def parse_smpl(payload: bytes) -> tuple[int, int] | None:
    """(start, length) of the first loop in a ``smpl`` payload, or None."""
    if len(payload) < _SMPL_HEADER.size + _SMPL_LOOP.size:
        return None
    n_loops = _SMPL_HEADER.unpack_from(payload)[7]
    if n_loops < 1:
        return None
    _, _, start, end, _, _ = _SMPL_LOOP.unpack_from(payload, _SMPL_HEADER.size)
    if end < start:
        return None
    return start, end - start + 1
