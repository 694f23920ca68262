"""Metadata sidecars: a JSON file next to each output, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from loopmill.errors import StorageError


def write_json_atomic(path: str | Path, data: Mapping[str, Any]) -> Path:
    """Write ``data`` as indented JSON to ``path`` via a temporary name and a rename.

    Parameters
    ----------
    path : str or Path
        Destination file.
    data : Mapping
        JSON-able content.

    Returns
    -------
    Path
        The written path.
    """
    try:
        text = json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"
    except (TypeError, ValueError) as exc:
        raise StorageError(f"cannot write {path}: {exc}") from exc
    return write_text_atomic(path, text)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` via a temporary name and a rename.

    Raises
    ------
    StorageError
        The folder cannot be made or written; the message names the path.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.part-", dir=path.parent)
    except OSError as exc:
        raise StorageError(
            f"cannot write {path}: {exc.strerror or exc}; choose another --dest"
        ) from exc
    try:
        # mkstemp makes the file 0600; a sidecar is as readable as any other output.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StorageError(f"cannot write {path}: {exc}") from exc
    return path


def sidecar_path(audio_path: str | Path) -> Path:
    """The sidecar's path for an output file: same stem, ``.json`` suffix."""
    return Path(audio_path).with_suffix(".json")


def ensure_writable_dir(dest: str | Path) -> Path:
    """Create ``dest`` if needed and prove it is writable, before any work starts.

    Raises
    ------
    StorageError
        With the reason and the fix, when the folder cannot be created or written.
    """
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".loopmill-probe-", dir=dest)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StorageError(f"cannot write to {dest}: {reason}; choose another --dest") from exc
    return dest


@contextmanager
def publish(output: Path, *, stage: str) -> Iterator[Path]:
    """A hidden path beside ``output`` to build a file in, renamed into view at the end.

    On success the hidden file replaces ``output`` atomically; on any failure it is
    removed, so nothing half-written is ever visible. An ``OSError`` becomes a
    one-line :class:`StorageError`.

    Parameters
    ----------
    output : Path
        The final file.
    stage : str
        A word for the hidden name (``.<stem>.<stage><suffix>``); keep the suffix so
        encoders and taggers still know the format.
    """
    hidden = output.with_name(f".{output.stem}.{stage}{output.suffix}")
    try:
        yield hidden
        os.replace(hidden, output)
    except OSError as exc:
        raise StorageError(f"cannot write {output}: {exc.strerror or exc}") from exc
    finally:
        # No hidden file may stay behind, and failing to find one (its folder may not
        # even be a folder) must not hide the StorageError above.
        with suppress(FileNotFoundError, NotADirectoryError):
            hidden.unlink()
