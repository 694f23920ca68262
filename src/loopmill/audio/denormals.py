"""Flush denormal floats to zero around a DSP call, as JUCE's ``ScopedNoDenormals`` does.

An IIR filter (pedalboard's ladder, a reverb's combs) fed silence decays its state
towards zero through the *denormal* range (``|x| < 1.2e-38`` in float32), where every
x86 multiply takes a slow microcode path: pedalboard's ladder filter over a minute of
mostly silence runs 15x slower than over dense audio (2.2 CPU s against 0.14).
pedalboard does not set the CPU's flush-to-zero (FTZ) and denormals-are-zero (DAZ)
modes itself; :func:`no_denormals` sets them for the calling thread (the one that runs
pedalboard's processing) and restores the previous mode on exit.

Only values that would be denormal change, to zero (they are at most 1.2e-38, -758
dBFS): what the filter computes from audible samples is the same, and once mixed with
anything audible the sum is bit-identical (``benchmarks/same_audio.py`` checks the
composer's loops). Supported on Linux x86-64 (glibc ``fegetmode``/``fesetmode``);
elsewhere it does nothing and the call is just slower.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["no_denormals", "supported"]

_FTZ_DAZ = 0x8040  # MXCSR bit 15 flush-to-zero, bit 6 denormals-are-zero


class _FeMode(ctypes.Structure):
    """glibc's x86-64 ``femode_t``: the x87 control word and the SSE MXCSR."""

    _fields_ = [("control_word", ctypes.c_ushort), ("reserved", ctypes.c_ushort),
                ("mxcsr", ctypes.c_uint)]


def _libm() -> ctypes.CDLL | None:
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        return None
    name = ctypes.util.find_library("m")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
        get, set_ = lib.fegetmode, lib.fesetmode
    except (OSError, AttributeError):
        return None
    for fn in (get, set_):
        fn.argtypes = [ctypes.POINTER(_FeMode)]
        fn.restype = ctypes.c_int
    return lib


_LIBM = _libm()


def supported() -> bool:
    """Whether :func:`no_denormals` can set the CPU's modes on this platform."""
    return _LIBM is not None


@contextmanager
def no_denormals() -> Iterator[None]:
    """Within the block, this thread's float maths flushes denormals to zero.

    The previous floating-point mode is restored on exit (also on an exception). A
    no-op where :func:`supported` is False.
    """
    if _LIBM is None:
        yield
        return
    old = _FeMode()
    if _LIBM.fegetmode(ctypes.byref(old)) != 0:
        yield
        return
    new = _FeMode(old.control_word, old.reserved, old.mxcsr | _FTZ_DAZ)
    _LIBM.fesetmode(ctypes.byref(new))
    try:
        yield
    finally:
        _LIBM.fesetmode(ctypes.byref(old))
