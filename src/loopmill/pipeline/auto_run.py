"""The run folder's journal files and the Ctrl-C handler of a bulk run.

``plan.jsonl``, ``done.jsonl`` and ``failed.jsonl`` are appended one fsync'd line at a
time, so a kill loses at most the line being written, which the reader skips.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["append_jsonl", "read_jsonl", "sigint_sets"]


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Lines of a JSONL file; a torn last line (a kill mid-write) is skipped."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one record as a line, on disk before this returns."""
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


@contextmanager
def sigint_sets(stop: threading.Event, enabled: bool) -> Iterator[None]:
    """First Ctrl-C: stop handing out work and finish the items in hand; a second one
    raises KeyboardInterrupt (``run_auto`` turns it into a one-line resume hint)."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    old = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
