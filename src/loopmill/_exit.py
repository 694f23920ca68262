"""Ending the ``loopmill`` command without tearing the interpreter down.

A ``generate`` that has written its files still spends about 0.12 s of its ~2.5 s
in Python's finalization: ~600 modules torn down and a last garbage collection, for a
process that is about to vanish. :func:`exit_now` runs everything a normal exit
must (the ``atexit`` handlers: logging's flush, ``weakref.finalize`` clean-ups,
worker-pool joins), flushes the standard streams, and ends the process. It only
does so when the main thread is the last one; otherwise the interpreter exits as
usual, so that no thread is cut short.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading

__all__ = ["exit_code", "exit_now"]


def exit_code(code: object) -> int:
    """The status a ``SystemExit(code)`` ends a process with (None: 0; text: 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


def exit_now(code: object) -> None:
    """End the process with ``SystemExit(code)``'s status, skipping the teardown."""
    if threading.active_count() > 1:
        raise SystemExit(code)
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # what SystemExit("text") prints
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
            stream.flush()
    os._exit(exit_code(code))
