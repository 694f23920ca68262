"""Tape wow and flutter: the slow pitch drift and fast waver of a worn cassette.

:func:`wow_flutter` reads a loop through a moving tape head: a circular, sinusoidally
modulated delay. A delay ``D(t) = A sin(2 pi f t + phi)`` changes the pitch by the
ratio ``1 - D'(t)``, so its depth is exact, and with a whole number of cycles in the
loop the modulation is periodic: the loop's end still meets its start (seamless).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from loopmill._threads import max_threads
from loopmill.errors import BadInputError

__all__ = ["FLUTTER_SHARE", "wow_flutter"]

#: share of the depth that is flutter (the rest is wow)
FLUTTER_SHARE = 0.25
_FLUTTER_HZ = (6.0, 10.0)
_STEP = 32  # samples between computed delay values
_CHUNK = 1 << 16  # samples per piece: the float64 temporaries stay in cache


def _cycles(rate: float, seconds: float) -> int:
    return max(1, round(rate * seconds))


def wow_flutter(
    *, y: np.ndarray, sr: int, depth: float, rate: float = 0.5, seed: int = 0
) -> np.ndarray:
    """A loop ``y`` ``[C, T]`` with tape wow and flutter: ``[C, T]`` float32.

    Parameters
    ----------
    y : np.ndarray ``[C, T]``
        One loop period (read circularly: what drifts past the end comes from the start).
    sr : int
        Sample rate.
    depth : float
        Peak pitch deviation in cents, wow and flutter together (``FLUTTER_SHARE`` of it
        flutter); 0 returns ``y`` unchanged.
    rate : float
        Wow rate in Hz (about 0.5); rounded to whole cycles per loop, as is the seeded
        flutter rate (6-10 Hz), so the modulation is periodic over the loop.
    seed : int
        Chooses the flutter rate and both phases.

    Returns
    -------
    np.ndarray ``[C, T]`` float32; every channel is read through the same head.

    Raises
    ------
    BadInputError
        ``y`` not ``[C, T]``, a negative ``depth`` or a non-positive ``rate``.
    """
    x = np.asarray(y, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] < 2:
        raise BadInputError(f"y must be [channels, samples], got shape {x.shape}")
    if depth < 0 or not math.isfinite(depth):
        raise BadInputError(f"depth={depth} cents must be 0 or more")
    if rate <= 0 or not math.isfinite(rate):
        raise BadInputError(f"rate={rate} Hz must be more than 0")
    if depth == 0:
        return x.copy()
    n = x.shape[1]
    seconds = n / sr
    rng = np.random.default_rng(seed)
    f_flutter = float(rng.uniform(*_FLUTTER_HZ))
    phases = rng.uniform(0.0, 2 * math.pi, 2)
    # the delay is smooth (under 11 Hz): computed every _STEP samples, interpolated
    t = np.arange(0, n + _STEP, _STEP, dtype=np.float64) / sr
    coarse = np.zeros(t.size, dtype=np.float64)  # seconds
    for share, f, phi in ((1.0 - FLUTTER_SHARE, rate, phases[0]),
                          (FLUTTER_SHARE, f_flutter, phases[1])):
        k = _cycles(f, seconds)
        w = 2 * math.pi * k / seconds
        peak = 2.0 ** (share * depth / 1200.0) - 1.0  # the pitch ratio's peak deviation
        coarse += peak / w * np.sin(w * t + phi)
    grid = t * sr  # the samples the coarse delay values sit at
    out = np.empty_like(x)

    def chunk(lo: int) -> None:
        # elementwise, so chunks on two threads give the very samples of one pass
        hi = min(lo + _CHUNK, n)
        idx = np.arange(lo, hi, dtype=np.float64)
        pos = idx - np.interp(idx, grid, coarse) * sr
        i0 = np.floor(pos).astype(np.int64)
        frac = (pos - i0).astype(np.float32)
        i0 %= n
        i1 = i0 + 1
        i1[i1 == n] = 0
        a = x[:, i0]
        out[:, lo:hi] = a + (x[:, i1] - a) * frac

    with ThreadPoolExecutor(max_workers=max_threads()) as pool:
        list(pool.map(chunk, range(0, n, _CHUNK)))
    return out
