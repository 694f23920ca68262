"""Worker processes die with their coordinator, never outlive it.

A ``kill -9`` of ``loopmill auto`` gives its workers no chance to be told; left alone
they are re-parented to PID 1, finish their queued items (files with no catalog row)
and idle forever. Each worker therefore asks for a parent-death signal where the
platform has one (Linux ``prctl(PR_SET_PDEATHSIG)``) and, everywhere, runs a watchdog
thread that exits the process once its parent's PID is no longer its parent.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

__all__ = ["watch_parent"]

_PR_SET_PDEATHSIG = 1
_EXIT_CODE = 70  # EX_SOFTWARE: the coordinator is gone


def _parent_death_signal() -> bool:
    """Ask the kernel to SIGKILL this process when its parent thread dies (Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int, interval: float) -> None:
    while True:
        if os.getppid() != parent_pid:
            # no cleanup, no flush: publishing anything more would leave files the
            # catalog never hears of (a resumed run makes the item again)
            os._exit(_EXIT_CODE)
        time.sleep(interval)


def watch_parent(parent_pid: int, *, use_signal: bool = True, interval: float = 0.5) -> None:
    """Make this process exit within ``interval`` seconds of losing ``parent_pid``.

    Parameters
    ----------
    parent_pid : int
        The coordinator's PID (pass ``os.getpid()`` from the parent; a worker reading
        its own ``getppid()`` could already see PID 1).
    use_signal : bool
        Also use the platform's parent-death signal (immediate). Only for processes
        whose parent outlives the thread that started them.
    interval : float
        Seconds between watchdog checks.
    """
    if use_signal:
        _parent_death_signal()
    if os.getppid() != parent_pid:  # died before the signal was armed
        os._exit(_EXIT_CODE)
    threading.Thread(target=_watch, args=(parent_pid, interval), name="loopmill-parent-watch",
                     daemon=True).start()
