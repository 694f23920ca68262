"""Is an Ogg file whole? Its last page carries the end-of-stream flag.

libsndfile reports the frames a cut-off Ogg file still holds (it reads the granule
position of the last page it finds), so truncation never shows as missing frames
the way it does for WAV or FLAC. Every complete logical Ogg stream ends with a page
whose header has the end-of-stream bit set; a file cut anywhere does not.
"""

from __future__ import annotations

from pathlib import Path

_CAPTURE = b"OggS"
_EOS = 0x04
_MAX_PAGE = 27 + 255 + 255 * 255  # header, segment table, body


def is_complete(path: Path) -> bool:
    """True when the file's last Ogg page is whole and marks the end of the stream."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        start = max(0, size - _MAX_PAGE)
        fh.seek(start)
        tail = fh.read()
    at = tail.rfind(_CAPTURE)
    if at < 0 or len(tail) - at < 27:
        return False
    header_type = tail[at + 5]
    n_segments = tail[at + 26]
    table = tail[at + 27: at + 27 + n_segments]
    if len(table) < n_segments:
        return False
    body = sum(table)
    whole = len(tail) - at >= 27 + n_segments + body
    return whole and bool(header_type & _EOS)
