"""Loop points and free-form text tags inside audio files.

Where each format keeps them:

========  =====================================  ====================================
format    loop points                            free-form tags
========  =====================================  ====================================
OGG/FLAC  Vorbis comments ``LOOPSTART`` and       other Vorbis comments
          ``LOOPLENGTH`` (decimal sample counts,
          the RPG Maker convention)
WAV       RIFF ``smpl`` chunk, one forward loop  ID3v2.4 ``TXXX`` frames in a RIFF
          (end stored inclusive, per the spec)   ``id3 `` chunk (read by mutagen,
                                                 ffmpeg, foobar2000, Mp3tag)
MP3       ID3v2.4 ``TXXX`` frames ``LOOPSTART``   other ``TXXX`` frames
          and ``LOOPLENGTH``
========  =====================================  ====================================

Loop points are always in decoded-sample units at the file's own rate.

MP3 round trip (measured with libsndfile 1.2.2 / LAME / mpg123, see
``tests/audio/test_formats.py::test_mp3_gapless``): libsndfile writes a LAME/Xing
header with the encoder delay and padding and mpg123 honours it, so a decoded file
has exactly the written length and an impulse comes back at the same sample (lag 0).
Loop points written as sample counts therefore land where they were meant to, as
long as the reader is also gapless (a reader that ignores the LAME header sees
everything shifted by the encoder delay, 1105 samples typically).

Tag keys are stored and returned upper-case (Vorbis comment keys are
case-insensitive; uppercasing keeps every format alike) and must be printable
ASCII without ``=``. ``LOOPSTART``/``LOOPLENGTH`` belong to the loop-point functions
and are neither accepted by :func:`write_tags` nor returned by :func:`read_tags`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loopmill.audio import _riff
from loopmill.errors import BadInputError, StorageError, UnsupportedFormatError

_LOOP_KEYS = ("LOOPSTART", "LOOPLENGTH")
TAG_FORMATS = ("wav", "flac", "ogg", "mp3")


@dataclass(frozen=True)
class LoopPoints:
    """A loop over ``[start, start + length)``, in samples.

    Parameters
    ----------
    start : int
        First sample of the loop (>= 0).
    length : int
        Samples in the loop (>= 1).
    """

    start: int
    length: int

    def __post_init__(self) -> None:
        # Accept numpy integers, store plain ints (they end up in text tags and JSON).
        object.__setattr__(self, "start", int(self.start))
        object.__setattr__(self, "length", int(self.length))
        if self.start < 0 or self.length < 1:
            raise BadInputError(
                f"loop start={self.start} length={self.length} is invalid; "
                "need start >= 0 and length >= 1"
            )

    @property
    def end(self) -> int:
        """One past the last sample of the loop (exclusive)."""
        return self.start + self.length


def check_file(path: Path) -> None:
    """Raise BadInputError when ``path`` is missing, not a file, or empty."""
    if not path.exists():
        raise BadInputError(f"{path}: file not found; check the path")
    if not path.is_file():
        raise BadInputError(f"{path}: is not a regular file; pass an audio file")
    if path.stat().st_size == 0:
        raise BadInputError(f"{path}: file is empty (0 bytes); pass a real audio file")


def file_kind(path: Path) -> str:
    """'wav', 'flac', 'ogg' or 'mp3', from the first bytes, else from the suffix."""
    check_file(path)
    with open(path, "rb") as f:
        head = f.read(12)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    suffix = path.suffix.lower().lstrip(".")
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "flac" if suffix == "flac" else "mp3"
    raise UnsupportedFormatError(
        f"{path}: loop points and tags are supported in {', '.join(TAG_FORMATS)} only; "
        "convert it to one of those"
    )


def _vorbis(path: Path) -> Any:
    """Open an OGG (Vorbis/Opus/…) or FLAC file with mutagen, tags created if absent."""
    import mutagen
    from mutagen.flac import FLAC

    try:
        f = FLAC(path) if file_kind(path) == "flac" else mutagen.File(path)
    except mutagen.MutagenError as exc:
        raise BadInputError(f"{path}: cannot read its tags ({exc}); re-export it") from exc
    if f is None:
        raise BadInputError(f"{path}: cannot read its tags (unknown Ogg codec); re-export it")
    if f.tags is None:
        f.add_tags()
    return f


def _id3(path: Path, kind: str) -> Any:
    """The ID3 tag of an MP3 file, or of a WAV file's ``id3 `` chunk (new if absent)."""
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        if kind == "wav":
            payload = _riff.read_chunk(path, _riff.ID3)
            return ID3(io.BytesIO(payload)) if payload else ID3()
        try:
            return ID3(path)
        except ID3NoHeaderError:
            return ID3()
    except ID3NoHeaderError:
        return ID3()
    except Exception as exc:  # mutagen raises several unrelated types on bad data
        raise BadInputError(f"{path}: cannot read its ID3 tag ({exc}); re-export it") from exc


def _save_id3(path: Path, kind: str, tag: Any) -> None:
    if kind == "wav":
        buf = io.BytesIO()
        tag.save(buf, v2_version=4, padding=lambda _info: 0)
        _riff.set_chunk(path, _riff.ID3, buf.getvalue())
    else:
        tag.save(path, v2_version=4)


def _save(path: Path, action: Any) -> None:
    """Run a mutagen save, turning I/O failures into StorageError."""
    import mutagen

    try:
        action()
    except (OSError, mutagen.MutagenError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise StorageError(f"cannot write tags to {path}: {reason}; choose another dest",
                           field="dest") from exc


def write_loop_points(path: str | Path, loop: LoopPoints, *, sr: int) -> None:
    """Write loop points into an existing WAV, FLAC, OGG or MP3 file.

    Parameters
    ----------
    path : str or Path
        The audio file, modified in place.
    loop : LoopPoints
        The loop, in samples.
    sr : int
        Sample rate of the file (for the WAV ``smpl`` sample period).
    """
    path = Path(path)
    kind = file_kind(path)
    if kind == "wav":
        if loop.end - 1 > 0xFFFFFFFF:
            raise BadInputError(f"{path}: loop end {loop.end} does not fit a WAV smpl chunk")
        if sr <= 0:
            raise BadInputError(f"sr={sr} is invalid; pass the file's sample rate")
        payload = _riff.smpl_payload(loop.start, loop.length, sr)
        _save(path, lambda: _riff.set_chunk(path, _riff.SMPL, payload))
    elif kind == "mp3":
        from mutagen.id3 import TXXX

        tag = _id3(path, kind)
        for key, value in zip(_LOOP_KEYS, (loop.start, loop.length), strict=True):
            tag.delall(f"TXXX:{key}")
            tag.add(TXXX(encoding=3, desc=key, text=[str(value)]))
        _save(path, lambda: _save_id3(path, kind, tag))
    else:
        f = _vorbis(path)
        f.tags["LOOPSTART"] = [str(loop.start)]
        f.tags["LOOPLENGTH"] = [str(loop.length)]
        _save(path, f.save)


def read_loop_points(path: str | Path) -> LoopPoints | None:
    """Read the loop points of a WAV, FLAC, OGG or MP3 file.

    Returns
    -------
    LoopPoints or None
        None when the file has no loop points, holds unparsable ones, or is in a
        format without a loop-point convention (AIFF, M4A, …).
    """
    path = Path(path)
    try:
        kind = file_kind(path)
    except UnsupportedFormatError:
        return None
    if kind == "wav":
        payload = _riff.read_chunk(path, _riff.SMPL)
        parsed = _riff.parse_smpl(payload) if payload else None
        return LoopPoints(*parsed) if parsed else None
    values = _read_all(path, kind, loop_keys=True)
    try:
        start, length = int(values["LOOPSTART"]), int(values["LOOPLENGTH"])
    except (KeyError, ValueError):
        return None
    if start < 0 or length < 1:
        return None
    return LoopPoints(start, length)


def _read_all(path: Path, kind: str, *, loop_keys: bool) -> dict[str, str]:
    """Every text tag, keys upper-cased; the loop keys only when ``loop_keys``."""
    out: dict[str, str] = {}
    if kind in ("wav", "mp3"):
        for frame in _id3(path, kind).getall("TXXX"):
            if frame.text:
                out[str(frame.desc).upper()] = str(frame.text[0])
    else:
        for key, value in _vorbis(path).tags:
            out.setdefault(key.upper(), value)
    return {k: v for k, v in out.items() if loop_keys or k not in _LOOP_KEYS}


def check_tag_key(path: Path, key: str) -> str:
    upper = key.upper()
    if not key or "=" in key or any(not 0x20 <= ord(c) <= 0x7D for c in key):
        raise BadInputError(f"{path}: tag name {key!r} is invalid; use printable ASCII without '='")
    if upper in _LOOP_KEYS:
        raise BadInputError(f"{path}: tag {key!r} is reserved; use write_loop_points for it")
    return upper


def write_tags(path: str | Path, tags: Mapping[str, str]) -> None:
    """Set free-form text tags in a WAV, FLAC, OGG or MP3 file (others are kept).

    Parameters
    ----------
    path : str or Path
        The audio file, modified in place.
    tags : mapping of str to str
        Names (printable ASCII without ``=``, stored upper-case) and text values.
    """
    path = Path(path)
    kind = file_kind(path)
    clean = {check_tag_key(path, k): str(v) for k, v in tags.items()}
    if not clean:
        return
    if kind in ("wav", "mp3"):
        from mutagen.id3 import TXXX

        tag = _id3(path, kind)
        for frame in list(tag.getall("TXXX")):
            if str(frame.desc).upper() in clean:
                tag.delall(frame.HashKey)
        for key, value in clean.items():
            tag.add(TXXX(encoding=3, desc=key, text=[value]))
        _save(path, lambda: _save_id3(path, kind, tag))
    else:
        f = _vorbis(path)
        for key, value in clean.items():
            f.tags[key] = [value]
        _save(path, f.save)


def read_tags(path: str | Path) -> dict[str, str]:
    """Free-form text tags of a WAV, FLAC, OGG or MP3 file.

    Returns
    -------
    dict of str to str
        Upper-case names to values (first value of a repeated Vorbis comment);
        empty for formats without tag support here.
    """
    path = Path(path)
    try:
        kind = file_kind(path)
    except UnsupportedFormatError:
        return {}
    return _read_all(path, kind, loop_keys=False)
