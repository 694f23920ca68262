"""Time-stretching a loop to an exact tempo and length without breaking its seam."""

from __future__ import annotations

import numpy as np
import soxr

from loopmill.errors import BadInputError, MissingDependencyError
from loopmill.loops.splice import best_lag, cut_loop


def loop_length_samples(*, bars: int, beats_per_bar: int, bpm: float, sr: int) -> int:
    """The length in samples of ``bars`` bars at exactly ``bpm`` (rounded to a sample)."""
    if not 0 < bpm <= 1000:
        raise BadInputError(f"tempo {bpm} BPM is out of range; use a value in (0, 1000]")
    return round(bars * beats_per_bar * 60.0 * sr / bpm)


def stretch_loop(loop: np.ndarray, *, sr: int, length: int) -> np.ndarray:
    """Time-stretch a seamless loop to exactly ``length`` samples, pitch unchanged.

    The loop is padded circularly (its own end before it, its start after it), so
    Rubber Band sees the music that really surrounds every point of the loop,
    stretched with pedalboard's high-quality Rubber Band, and the middle period is
    cut back out as a loop of exactly ``length`` samples with a short tail wrap.

    Parameters
    ----------
    loop : np.ndarray
        A seamless loop ``[C, T]`` float32.
    sr : int
        Sample rate.
    length : int
        Target length in samples.

    Returns
    -------
    np.ndarray
        The stretched loop ``[C, length]`` float32.
    """
    n = loop.shape[1]
    if length <= 0:
        raise BadInputError(f"target length {length} samples must be positive")
    if length == n:
        return loop.copy()
    try:
        from pedalboard import time_stretch
    except ImportError as exc:  # pragma: no cover - pedalboard is a base dependency
        raise MissingDependencyError(
            "time-stretching needs pedalboard; install it with: pip install pedalboard"
        ) from exc
    ratio = n / length
    if not 0.5 <= ratio <= 2.0:
        raise BadInputError(
            f"changing the loop's tempo by a factor {ratio:.2f} is beyond 0.5-2.0; "
            "pick a bpm closer to the track's own tempo (or half/double it)", field="bpm"
        )
    pad = min(n, sr)  # one second of context each side is plenty for Rubber Band
    padded = np.concatenate([loop[:, n - pad :], loop, loop, loop[:, :pad]], axis=1)
    out = time_stretch(
        np.ascontiguousarray(padded, dtype=np.float32),
        float(sr),
        stretch_factor=ratio,
        high_quality=True,
    )
    out = np.asarray(out, dtype=np.float32)
    start = round(pad / ratio)
    # Rubber Band's time map is not exact to the sample (seen here: a 470400-sample
    # target repeated every 471226 samples), so measure the period it really made
    # and resample that one period to the exact length (a change of a few cents).
    period = _measure_period(out, start=start, guess=length)
    xfade = min(round(0.02 * sr), length // 4)
    tail = xfade + 64
    if start + period + tail > out.shape[1]:
        raise BadInputError("time-stretch returned too little audio; try a bpm closer to "
                            "the track's own tempo", field="bpm")
    one = out[:, start : start + period + tail]
    if period != length:
        one = soxr.resample(one.T, period, length, quality="VHQ").T.astype(np.float32)
    return cut_loop(one, start=0, end=length, crossfade=xfade)


def _measure_period(x: np.ndarray, *, start: int, guess: int) -> int:
    """The lag near ``guess`` at which ``x`` repeats itself after ``start``.

    Normalised cross-correlation of a window at ``start`` with the audio one
    ``guess`` later, over lags within 3 % of the guess, computed by FFT.
    """
    mono = np.asarray(np.mean(x, axis=0, dtype=np.float32))
    w = min(16384, guess // 2)
    d = max(16, guess * 3 // 100)
    lo = start + guess - d
    seg = mono[lo : lo + 2 * d + w]
    ref = mono[start : start + w]
    if len(seg) < 2 * d + w or not np.any(ref):
        return guess
    return guess - d + best_lag(seg, ref)
