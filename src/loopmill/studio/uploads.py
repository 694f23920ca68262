"""Uploaded files (an evolve session's target track): stored under the sessions folder by
a random id, never by a name the client chose, and checked to be audio."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from loopmill._atomic import atomic_path
from loopmill.errors import BadInputError

__all__ = ["SUFFIXES", "resolve_upload", "save_upload"]

SUFFIXES = ("wav", "flac", "ogg", "mp3")
_ID = re.compile(r"^[0-9a-f]{16}\.(wav|flac|ogg|mp3)$")


def save_upload(folder: Path, data: bytes, *, name: str) -> str:
    """Store ``data`` (an audio file called ``name`` on the client); returns its id.

    Raises
    ------
    BadInputError
        An empty body, a suffix other than wav/flac/ogg/mp3, or not decodable audio.
    """
    from loopmill.audio import info

    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in SUFFIXES:
        raise BadInputError(f"upload {name!r}: send a {', '.join(SUFFIXES)} file")
    if not data:
        raise BadInputError(f"upload {name!r} is empty; send the file's bytes")
    upload_id = f"{secrets.token_hex(8)}.{suffix}"
    try:
        # the hidden file keeps the real suffix: the decoder goes by it
        with atomic_path(folder / upload_id) as tmp:
            tmp.write_bytes(data)
            info(tmp)  # not audio: nothing is kept
    except BadInputError as exc:
        raise BadInputError(f"upload {name!r} is not readable audio ({exc}); send a "
                            "wav/flac/ogg/mp3 file") from None
    return upload_id


def resolve_upload(folder: Path, upload_id: str) -> Path:
    """The stored file of an upload id.

    Raises
    ------
    BadInputError
        Not an id this folder holds.
    """
    path = folder / upload_id
    if not _ID.match(upload_id) or not path.is_file():
        raise BadInputError(f"no upload {upload_id!r}; upload the target file again")
    return path
