"""The one atomic write: every file loopmill makes appears whole or not at all.

A file is built under a hidden, unique name in its own folder (``.<stem>.<token>.part
<suffix>``: the suffix stays, so encoders and taggers still know the format), flushed
to disk, then renamed over the final name with :func:`os.replace`. On any failure the
hidden file is removed and the final name keeps what it held before. Audio, sidecars,
MIDI, manifests, reports, checkpoints and session files all go through here.

This module depends on nothing else in loopmill but its errors, so the lowest layers
(``audio``) and the highest (``storage``, ``pipeline``) can share it without an import
cycle between packages.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from loopmill.errors import StorageError

__all__ = ["atomic_path", "hidden_name", "json_text", "write_bytes_atomic",
           "write_json_atomic", "write_text_atomic"]

#: the fix a message suggests when a caller names none
_FIX = "check that its folder can be written"


def hidden_name(path: Path, *, stage: str | None = None, suffix: str | None = None) -> Path:
    """The hidden path beside ``path`` that a file is built in.

    ``.<stem>.<token>.part<suffix>``; with ``stage``, ``.<stem>.<stage><suffix>`` (a fixed
    name: only for a caller that is the one writer of ``path``). ``suffix`` defaults to
    the suffix of ``path``.
    """
    word = stage if stage is not None else f"{secrets.token_hex(6)}.part"
    return path.with_name(f".{path.stem}.{word}{path.suffix if suffix is None else suffix}")


def _fail(path: Path, exc: OSError, *, what: str, fix: str, field: str | None
          ) -> StorageError:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return StorageError(f"cannot write {what}{path}: {reason}; {fix}", field=field)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(
    path: str | Path,
    *,
    stage: str | None = None,
    suffix: str | None = None,
    fsync: bool = True,
    what: str = "",
    fix: str = _FIX,
    field: str | None = None,
) -> Iterator[Path]:
    """A hidden path beside ``path`` to build a file in; renamed into view at the end.

    The folder is made if needed and the hidden file is created empty first (with
    ``O_EXCL``, mode 0o666 less the umask), so two writers never share one. The body
    writes it (any way: an encoder, ``torch.save``, ``np.save``…); when the body
    returns, the file is flushed to disk (``fsync``) and renamed over ``path``. When
    the body raises, or the rename fails, the hidden file is removed and ``path`` is
    left as it was.

    Parameters
    ----------
    path : str or Path
        The final file.
    stage : str, optional
        A fixed word for the hidden name instead of a random token (see
        :func:`hidden_name`); the file is then not created in advance.
    suffix : str, optional
        The hidden file's suffix when it must differ from the final one (an encoder
        that goes by the suffix).
    fsync : bool
        Flush the file to disk before the rename (a crash never leaves an empty file
        under the final name).
    what : str
        Words before the path in a message (``"MIDI file "``).
    fix : str
        What a message about an ``OSError`` tells the user to do.
    field : str, optional
        The request field ``fix`` names (``"dest"``), declared on the error.

    Yields
    ------
    Path
        The hidden path.

    Raises
    ------
    StorageError
        An ``OSError`` while making the folder, writing or renaming: one line naming
        ``path`` (never the hidden name), the reason and ``fix``. Other errors of the
        body pass through unchanged, after the clean-up.
    """
    final = Path(path)
    hidden = hidden_name(final, stage=stage, suffix=suffix)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        if stage is None:
            os.close(os.open(hidden, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise _fail(final, exc, what=what, fix=fix, field=field) from None
    try:
        yield hidden
        if fsync:
            _fsync(hidden)
        os.replace(hidden, final)
    except OSError as exc:
        raise _fail(final, exc, what=what, fix=fix, field=field) from exc
    finally:
        # Nothing hidden may stay behind, and failing to find it (its folder may not
        # even be a folder) must not hide the error above.
        with suppress(FileNotFoundError, NotADirectoryError):
            hidden.unlink()


def write_bytes_atomic(path: str | Path, data: bytes, *, what: str = "", fix: str = _FIX,
                       field: str | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); the path.

    Raises
    ------
    StorageError
        The folder cannot be made or written; the message names ``path``.
    """
    final = Path(path)
    with atomic_path(final, fsync=False, what=what, fix=fix, field=field) as hidden:
        fd = os.open(hidden, os.O_WRONLY | os.O_TRUNC)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
    return final


def write_text_atomic(path: str | Path, text: str, *, fix: str = _FIX,
                      field: str | None = None) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; the path.

    Raises
    ------
    StorageError
        The folder cannot be made or written; the message names ``path``.
    """
    return write_bytes_atomic(path, text.encode("utf-8"), fix=fix, field=field)


def write_json_atomic(path: str | Path, data: Mapping[str, Any], *, fix: str = _FIX,
                      field: str | None = None) -> Path:
    """Write ``data`` as indented JSON (one trailing newline) to ``path`` atomically.

    Values JSON does not know (a Path, a numpy number) are written as their ``str``.

    Raises
    ------
    StorageError
        ``data`` is not JSON-able (a circular reference), or the folder cannot be
        written; the message names ``path``.
    """
    return write_text_atomic(path, json_text(data, path=path), fix=fix, field=field)


def json_text(data: Mapping[str, Any], *, path: str | Path) -> str:
    """``data`` as the indented JSON loopmill writes (for ``path``, named in errors).

    Raises
    ------
    StorageError
        ``data`` is not JSON-able (a circular reference).
    """
    try:
        return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"
    except (TypeError, ValueError) as exc:
        raise StorageError(f"cannot write {path}: {exc}") from exc
