"""Cutting a loop out of a track so that its wrap is inaudible.

The loop ``y[:, start:end]`` is cut with a *tail wrap*: the audio just past the loop
end (what the track would have played next) is laid under the loop start and faded
out while the loop start fades in. When playback wraps from the last sample of the
loop (``y[end - 1]``) to its first (``y[end]`` at full weight), the waveform simply
continues; the change-over to the loop's own material happens gradually, over the
crossfade, where the two are phase-aligned.

The crossfade law keeps the *power* constant for the measured correlation ``r``
of the two signals: gains ``a, b`` with ``a^2 + b^2 + 2 r a b = 1``. For
uncorrelated material that is the equal-power law; for identical material it is
the equal-gain law. Either way there is no level dip or bump at the wrap (unlike a
volume dip that hides the seam).
"""

from __future__ import annotations

import numpy as np

from loopmill.errors import BadInputError


def align_splice(
    y: np.ndarray, *, sr: int, start: int, end: int, max_shift: float = 0.012
) -> tuple[int, int]:
    """Nudge a splice so that the waveforms at ``end`` and ``start`` are in phase.

    The start is moved by the lag (within ``max_shift`` seconds) that maximises the
    normalised cross-correlation between ``y[start:]`` and ``y[end:]`` over a short
    window; then both points move together (length kept) to the nearest rising
    zero crossing of ``y[end:]`` within 2 ms, so the file's first sample is near zero.

    Parameters
    ----------
    y : np.ndarray
        Audio ``[C, T]``.
    sr : int
        Sample rate.
    start, end : int
        Proposed loop start and end in samples.
    max_shift : float
        Largest phase correction in seconds.

    Returns
    -------
    tuple[int, int]
        The adjusted ``(start, end)``.
    """
    mono = np.asarray(np.mean(y, axis=0, dtype=np.float32))
    n = mono.shape[0]
    d = int(max_shift * sr)
    w = int(0.04 * sr)  # 40 ms window: a few periods of the lowest notes that matter
    if start - d < 0 or end + w > n or start + d + w > n:
        return start, end
    start += best_lag(mono[start - d : start + d + w], mono[end : end + w]) - d

    z = int(0.002 * sr)
    if end - z >= 1 and end + z + 1 < n and start - z >= 1:
        window = mono[end - z - 1 : end + z + 1]
        rising = np.nonzero((window[:-1] <= 0.0) & (window[1:] > 0.0))[0]
        if len(rising):
            shift = int(rising[np.argmin(np.abs(rising - z))]) + 1 - (z + 1)
            start, end = start + shift, end + shift
    return start, end


def best_lag(seg: np.ndarray, ref: np.ndarray) -> int:
    """The offset in ``seg`` where ``ref`` fits best (normalised cross-correlation).

    Parameters
    ----------
    seg : np.ndarray
        Search signal ``[len(ref) + n_lags - 1]``.
    ref : np.ndarray
        Reference window ``[W]``.

    Returns
    -------
    int
        Lag in ``[0, len(seg) - len(ref)]`` with the highest correlation, computed
        for all lags at once by FFT and normalised by the local energy of ``seg``.
    """
    w = len(ref)
    n_lags = len(seg) - w + 1
    size = 1 << int(np.ceil(np.log2(len(seg) + w)))
    corr = np.fft.irfft(np.fft.rfft(seg, size) * np.conj(np.fft.rfft(ref, size)), size)
    energy = np.convolve(seg**2, np.ones(w, dtype=np.float32), mode="valid")
    score = corr[:n_lags] / np.sqrt(np.maximum(energy[:n_lags], 1e-20))
    return int(np.argmax(score))


def crossfade_gains(n: int, *, correlation: float) -> tuple[np.ndarray, np.ndarray]:
    """Fade-in and fade-out gains of length ``n`` with constant power.

    Parameters
    ----------
    n : int
        Crossfade length in samples.
    correlation : float
        Correlation of the two signals in ``[-1, 1]``; it sets the law between
        equal-power (0) and equal-gain (1).

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        ``(fade_in, fade_out)``, each ``[n]`` float32.
    """
    t = (np.arange(n, dtype=np.float64) + 0.5) / n
    a = np.sin(0.5 * np.pi * t)
    b = np.cos(0.5 * np.pi * t)
    r = float(np.clip(correlation, 0.0, 1.0))
    norm = np.sqrt(a * a + b * b + 2.0 * r * a * b)
    return (a / norm).astype(np.float32), (b / norm).astype(np.float32)


def cut_loop(y: np.ndarray, *, start: int, end: int, crossfade: int) -> np.ndarray:
    """Cut ``y[:, start:end]`` as a seamless loop with a tail-wrap crossfade.

    Parameters
    ----------
    y : np.ndarray
        Audio ``[C, T]`` float32.
    start, end : int
        Loop start (inclusive) and end (exclusive) in samples.
    crossfade : int
        Crossfade length in samples. The tail ``y[:, end:end + crossfade]`` must
        exist; when it does not, the material before ``start`` is laid under the loop
        end instead (head wrap), and with neither the loop is returned as cut.

    Returns
    -------
    np.ndarray
        The loop ``[C, end - start]`` float32.
    """
    if not 0 <= start < end <= y.shape[1]:
        raise BadInputError(f"loop [{start}, {end}) does not fit in {y.shape[1]} samples")
    loop = np.array(y[:, start:end], dtype=np.float32, copy=True)
    n = min(crossfade, loop.shape[1] // 2)
    if n <= 0:
        return loop
    if end + n <= y.shape[1]:
        head, tail = loop[:, :n], y[:, end : end + n]
        fade_in, fade_out = crossfade_gains(n, correlation=_correlation(head, tail))
        loop[:, :n] = head * fade_in + tail * fade_out
    elif start - n >= 0:
        last, before = loop[:, -n:], y[:, start - n : start]
        fade_in, fade_out = crossfade_gains(n, correlation=_correlation(last, before))
        loop[:, -n:] = last * fade_out + before * fade_in
    return loop


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson-like correlation of two equally shaped signals (0 for silence)."""
    den = float(np.sqrt(np.sum(a * a, dtype=np.float64) * np.sum(b * b, dtype=np.float64)))
    return float(np.sum(a * b, dtype=np.float64)) / den if den > 0 else 0.0
