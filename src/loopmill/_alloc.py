"""Process-wide allocator tuning for the command line (glibc only).

glibc hands every buffer over its dynamic mmap threshold (128 KiB to 32 MiB) back to
the kernel on free, so each new one of the many multi-megabyte numpy temporaries of
a render page-faults afresh: about 0.15 s of a 60 s loop's 1 s render. Keeping freed
memory in the heap removes that. The render's worker threads would each get an arena
of their own, whose heaps glibc still shrinks and refaults; one arena for the whole
process keeps their freed memory too (60 s synthwave render: 0.2 s of system time
instead of 0.4-1.0 s, 40-60 k page faults instead of 65-110 k). Lock contention is no
cost here: the allocations that reach malloc are few and large (Python's small objects
have their own allocator). It changes only how memory is reused, never a result; the
library leaves the allocator alone, only the ``loopmill`` command calls this.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed blocks up to 256 MiB for reuse, in one arena shared by
    every thread; True if it took effect. Call it before any thread starts."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another libc: nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, 256 << 20) == 1
    ok &= mallopt(_M_TRIM_THRESHOLD, 512 << 20) == 1
    ok &= mallopt(_M_TOP_PAD, 64 << 20) == 1
    ok &= mallopt(_M_ARENA_MAX, 1) == 1
    return bool(ok)
