"""Seam quality: how abrupt the wrap of a loop is, next to the loop's own changes.

A loop ``y[:, start:end]`` played over and over has one point that the music did
not write: the wrap from ``end - 1`` back to ``start``. The seam score measures how
abrupt the audio is at that point *relative to the most abrupt points the loop
contains anyway* (drum hits, chord changes), so a loud drum track and a soft pad are
judged on the same scale.

Abruptness at a boundary is measured at two time scales (one 46 ms frame and about
190 ms) as the mean absolute difference in dB of the log-mel spectra just before
and just after it, plus the waveform step across it (a click). The score is::

    seam_score = max(0, log2(abruptness_at_seam / max_abruptness_elsewhere))

so ``0`` means the seam is no more abrupt than the most abrupt point the loop itself
contains, ``1`` means twice as abrupt, ``2`` four times, and so on.
The same function scores loopmill's loops and any other tool's loop points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soxr

from loopmill.analysis.features import mel_filterbank
from loopmill.errors import BadInputError

_SR = 22050
_HOP = 256
_N_FFT = 1024
_N_MELS = 48
_SCALES = (1, 8)  # frames each side: ~46 ms and ~140 ms of context at hop 256
_CONTEXT_S = 4.5  # circular context each side: the longest rhythm period compared is 4 s


@dataclass(frozen=True)
class SeamReport:
    """The parts of a seam score.

    Attributes
    ----------
    score : float
        ``max(0, log2(seam / reference))`` over the worst of the measures below.
    spectral : float
        Spectral abruptness at the seam divided by the largest one elsewhere in the loop.
    rhythm : float
        Break of the loop's own periodicity across the seam (onsets compared with
        those one dominant period earlier) divided by the largest break elsewhere.
    step : float
        Waveform step across the seam divided by the largest step inside the loop.
    """

    score: float
    spectral: float
    step: float
    rhythm: float


def _log_mel_frames(x: np.ndarray) -> np.ndarray:
    """Log-mel frames ``[F, n_mels]`` in dB; frame ``f`` covers ``x[f*hop : f*hop+n_fft]``."""
    n_frames = 1 + (len(x) - _N_FFT) // _HOP
    frames = np.lib.stride_tricks.as_strided(
        x, shape=(n_frames, _N_FFT), strides=(x.strides[0] * _HOP, x.strides[0])
    )
    window = np.hanning(_N_FFT).astype(np.float32)
    fb = mel_filterbank(sr=_SR, n_fft=_N_FFT, n_mels=_N_MELS).T
    mel = np.empty((n_frames, _N_MELS), dtype=np.float32)
    for a in range(0, n_frames, 1024):  # chunks keep the spectrum's memory small
        spec = np.abs(np.fft.rfft(frames[a : a + 1024] * window, axis=1)).astype(np.float32)
        mel[a : a + 1024] = (spec * spec) @ fb
    db = 10.0 * np.log10(np.maximum(mel, 1e-12))
    # A floor 80 dB under the loudest band keeps near-silence from dominating.
    return np.maximum(db, db.max() - 80.0)


def _boundary_abruptness(mel_db: np.ndarray, k: int) -> np.ndarray:
    """Abruptness at every boundary ``m * hop`` for ``m`` in ``[k + 1, F - k]``.

    The ``k`` frames before the boundary are the last ones that end at or before
    sample ``m*hop`` (frame ``f`` ends at ``f*hop + n_fft``); the ``k`` frames after
    it start at or after it. Frames that straddle the boundary are left out.

    Returns
    -------
    np.ndarray
        ``[F]`` with NaN where the context does not fit.
    """
    overlap = _N_FFT // _HOP  # frames that straddle a boundary are left out
    csum = np.concatenate([np.zeros((1, mel_db.shape[1])), np.cumsum(mel_db, axis=0)])
    n = mel_db.shape[0]
    out = np.full(n, np.nan)
    m = np.arange(k + overlap, n - k + 1)
    # before: frames m-overlap-k+1 .. m-overlap, which end by sample m*hop
    before = (csum[m - overlap + 1] - csum[m - overlap + 1 - k]) / k
    after = (csum[m + k] - csum[m]) / k
    out[m] = np.mean(np.abs(after - before), axis=1)
    return out


def seam_report(y: np.ndarray, *, sr: int, start: int, end: int) -> SeamReport:
    """Score the wrap of the loop ``y[:, start:end]``; see :func:`seam_score`."""
    if y.ndim != 2:
        raise BadInputError(f"audio must be shaped [channels, samples], got shape {y.shape}")
    if not 0 <= start < end <= y.shape[1]:
        raise BadInputError(
            f"loop [{start}, {end}) does not fit in {y.shape[1]} samples; "
            "check the loop points"
        )
    loop = np.asarray(np.mean(y[:, start:end], axis=0, dtype=np.float32))
    if len(loop) < sr // 2:
        raise BadInputError(f"loop of {len(loop)} samples is under 0.5 s; too short to score")
    if not np.any(loop):
        raise BadInputError("loop is silent; a silent loop has no seam to score")

    # Waveform step across the wrap versus the loop's own steps, at the native rate.
    steps = np.abs(np.diff(loop))
    wrap_step = abs(float(loop[0]) - float(loop[-1]))
    step_ref = max(float(np.max(steps[1:-1])), 1e-9)
    step_ratio = wrap_step / step_ref

    # Spectral abruptness: play the loop with a few seconds of itself on each side
    # (not three whole copies: a 4-minute file would need gigabytes) and look at every
    # boundary of the middle copy. The wrap sits at its start.
    n = len(loop)
    ctx = min(n, round(_CONTEXT_S * sr))
    ext = np.concatenate([loop[n - ctx :], loop, loop[: ctx + round(0.1 * sr)]])
    x = soxr.resample(ext, sr, _SR, quality="LQ").astype(np.float32)
    period = n * _SR / sr
    head = ctx * _SR / sr
    # Trim so the wrap falls exactly on a frame boundary.
    x = np.ascontiguousarray(x[round(head) % _HOP :])
    seam_pos = round(head) - round(head) % _HOP
    mel_db = _log_mel_frames(x)
    ratios = []
    for k in _SCALES:
        curve = _boundary_abruptness(mel_db, k)
        m_seam = round(seam_pos / _HOP)
        lo, hi = m_seam, m_seam + round(period / _HOP)
        guard = k + _N_FFT // _HOP
        idx = np.arange(lo, hi)
        # Compare with every boundary of one period except those near the wrap itself.
        dist = np.minimum(np.abs(idx - m_seam), np.abs(idx - (m_seam + (hi - lo))))
        others = curve[idx[dist > guard]]
        others = others[np.isfinite(others)]
        if len(others) == 0 or not np.isfinite(curve[m_seam]):
            continue
        ref = max(float(np.max(others)), 1e-6)
        ratios.append(float(curve[m_seam]) / ref)
    spectral = max(ratios) if ratios else 0.0
    rhythm = _rhythm_ratio(mel_db, seam=round(seam_pos / _HOP), period=round(period / _HOP))
    worst = max(spectral, step_ratio, rhythm, 1e-12)
    return SeamReport(
        score=max(0.0, float(np.log2(worst))), spectral=spectral, step=step_ratio, rhythm=rhythm
    )


def _rhythm_ratio(mel_db: np.ndarray, *, seam: int, period: int) -> float:
    """How much more the seam breaks the loop's periodicity than any other point does.

    The onset envelope ``o`` (positive spectral flux) of the looped audio is compared
    with itself one dominant period ``P`` earlier (the strongest autocorrelation lag
    between 0.2 s and a third of the loop, at most 4 s): ``r(b) = mean |o[b:b+P] - o[b-P:b]|``.
    A splice that shifts the beat grid makes ``r`` jump at the seam; steady music
    keeps it flat.
    """
    flux = np.maximum(0.0, np.diff(mel_db, axis=0)).mean(axis=1)
    onset = np.concatenate([[0.0], flux])
    one = onset[seam : seam + period]
    if len(one) < 8 or not np.any(one):
        return 0.0
    centred = one - one.mean()
    spec = np.fft.rfft(centred)
    acf = np.fft.irfft(np.abs(spec) ** 2, len(centred))
    lo = max(1, round(0.2 * _SR / _HOP))
    hi = min(len(centred) // 3, round(4.0 * _SR / _HOP))
    if hi <= lo:
        return 0.0
    lag = lo + int(np.argmax(acf[lo:hi]))
    csum = np.concatenate([[0.0], np.cumsum(np.abs(onset[lag:] - onset[:-lag]))])
    # csum[i] sums |o[j + lag] - o[j]| for j < i, so r(b) = (csum[b] - csum[b - lag]) / lag
    # covers frames b-lag .. b-1 against the period before: the window ending at b.
    b = np.arange(seam, seam + period)
    r_all = (csum[b] - csum[b - lag]) / lag
    dist = np.minimum(b - seam, seam + period - b)
    others = r_all[dist > lag]
    if len(others) == 0:
        return 0.0
    return float(r_all[0] / max(float(others.max()), 1e-9))


def seam_score(y: np.ndarray, *, sr: int, start: int, end: int) -> float:
    """Seam score of the loop ``y[:, start:end]`` played over and over.

    Parameters
    ----------
    y : np.ndarray
        Audio ``[C, T]`` float32 holding the loop; only ``y[:, start:end]`` is
        scored, its channels averaged.
    sr : int
        Sample rate of ``y``.
    start, end : int
        Loop start (inclusive) and end (exclusive) in samples.

    Returns
    -------
    float
        ``0`` when the wrap is no more abrupt (in spectrum and in sample step) than
        any other point of the loop; each ``+1`` doubles the abruptness. See the
        module docstring.
    """
    return seam_report(y, sr=sr, start=start, end=end).score
