"""Exclusive names: two processes that finish the same second never share a file.

A file is built under a hidden name in its destination folder, then published by a
hard link to the final name, which fails when the name exists: the first process
gets the name, the next one tries the next candidate (``<stem>_2``, ``<stem>_3``…).
Where the file system has no hard links, an ``O_EXCL`` create claims the name first.
Nothing is ever replaced, and the caller learns the name it really got.
"""

from __future__ import annotations

import errno
import itertools
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from loopmill.errors import StorageError

__all__ = ["MAX_PREFIX_BYTES", "candidates", "check_file_prefix", "claim_names", "staging_name"]

_MAX_TRIES = 10_000
#: a file name holds at most 255 bytes; the rest of a loop's name (run id or time
#: stamp, index, seed, ``_v2``, suffix) takes up to ~80
MAX_PREFIX_BYTES = 150


def check_file_prefix(prefix: str, *, field: str = "file_prefix") -> str:
    """Refuse a prefix that cannot start a file name everywhere, before any work.

    ``field`` is the request field the prefix came from (declared on the error).

    Raises
    ------
    BadInputError
        Empty, too long, a path separator, a control character (a newline), or a
        leading dot (a hidden file, which loopmill's own staging names use).
    """
    from loopmill.errors import BadInputError

    shown = repr(prefix if len(prefix) <= 40 else prefix[:37] + "...")
    if not prefix.strip():
        raise BadInputError(f"{field} {shown} is empty; use a plain name such as 'loop'",
                            field=field)
    if len(prefix.encode("utf-8")) > MAX_PREFIX_BYTES:
        raise BadInputError(f"{field} {shown} is {len(prefix.encode('utf-8'))} bytes long; "
                            f"keep it to {MAX_PREFIX_BYTES} (file names hold 255)", field=field)
    if any(ord(c) < 32 or ord(c) == 127 for c in prefix):
        raise BadInputError(f"{field} {shown} holds a control character (a newline or tab); "
                            "use a plain name", field=field)
    if "/" in prefix or "\\" in prefix or prefix.startswith("."):
        raise BadInputError(f"{field} {shown} must be a plain name (no / or \\, no leading "
                            "dot)", field=field)
    return prefix


def staging_name(dest_dir: Path, stem: str, suffix: str) -> Path:
    """A hidden, unique path in ``dest_dir`` to build a file in (keeps ``suffix``)."""
    return dest_dir / f".{stem}.{secrets.token_hex(4)}.part{suffix}"


def candidates(stem: str) -> Iterator[str]:
    """``stem``, ``stem_2``, ``stem_3``… (the names tried in turn)."""
    yield stem
    for n in itertools.count(2):
        yield f"{stem}_{n}"


def _link_or_create(src: Path, dst: Path) -> None:
    """Publish ``src`` at ``dst`` or raise FileExistsError; never replace ``dst``."""
    try:
        os.link(src, dst)
        return
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV,
                             errno.EMLINK):
            raise
    # no hard links here: claim the name with O_EXCL, then move the file onto the claim
    fd = os.open(dst, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    os.close(fd)
    os.replace(src, dst)


def claim_names(staged: Sequence[Path], *, dest_dir: Path, stems: Iterable[str],
                suffixes: Sequence[str], reserve: Sequence[str] = ()) -> tuple[str, list[Path]]:
    """Publish ``staged[i]`` as ``<stem><suffixes[i]>`` under the first free ``stem``.

    All files of one item get the same stem (``a.ogg`` and ``a.mp3`` together, or
    ``a_2.ogg`` and ``a_2.mp3``); a name taken by anyone, even between two of our own
    links, moves the whole item to the next stem. The ``reserve`` suffixes (the
    item's sidecar, MIDI file ...) are claimed with it as empty placeholders, which
    the caller then fills atomically (:func:`loopmill._atomic.write_bytes_atomic`).

    Parameters
    ----------
    staged : sequence of Path
        Complete files in ``dest_dir`` (hidden names, see :func:`staging_name`);
        they are gone afterwards.
    dest_dir : Path
    stems : iterable of str
        Names to try, in order (see :func:`candidates`).
    suffixes : sequence of str
        One per staged file, e.g. ``[".ogg", ".mp3"]``.
    reserve : sequence of str
        More suffixes the stem must be free for, e.g. ``[".json"]``; claimed as
        empty files (not among the returned paths).

    Returns
    -------
    (stem, paths)
        The stem that was free and the published paths.

    Raises
    ------
    StorageError
        The folder cannot be written, or no candidate was free.
    """
    try:
        for stem in itertools.islice(stems, _MAX_TRIES):
            done: list[Path] = []
            try:
                for src, suffix in zip(staged, suffixes, strict=True):
                    dst = dest_dir / f"{stem}{suffix}"
                    _link_or_create(src, dst)
                    done.append(dst)
                for suffix in reserve:
                    dst = dest_dir / f"{stem}{suffix}"
                    os.close(os.open(dst, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                    done.append(dst)
            except FileExistsError:
                for p in done:  # ours: give this stem up whole
                    p.unlink(missing_ok=True)
                continue
            for src in staged:
                src.unlink(missing_ok=True)
            return stem, done[:len(staged)]
    except OSError as exc:
        raise StorageError(f"cannot write to {dest_dir}: {exc.strerror or exc}; choose "
                           "another dest", field="dest") from None
    raise StorageError(f"no free file name in {dest_dir} after {_MAX_TRIES} tries; "
                       "choose another dest or file_prefix", field=("dest", "file_prefix"))
