"""Metadata sidecars: a JSON file next to each output, written atomically.

The atomic writers themselves live in :mod:`loopmill._atomic` (one implementation for
every file loopmill writes); they are re-exported here for the many callers that write
JSON or text beside their outputs.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path

from loopmill._atomic import atomic_path, write_json_atomic, write_text_atomic
from loopmill.errors import StorageError

__all__ = ["ensure_writable_dir", "publish", "sidecar_path", "write_json_atomic",
           "write_text_atomic"]


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
        raise StorageError(f"cannot write to {dest}: {reason}; choose another dest",
                           field="dest") from exc
    return dest


def publish(output: Path, *, stage: str) -> AbstractContextManager[Path]:
    """:func:`loopmill._atomic.atomic_path` with a fixed hidden name
    (``.<stem>.<stage><suffix>``); kept for callers that named their stage."""
    return atomic_path(output, stage=stage)
