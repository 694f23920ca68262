"""Downbeats and meter from beat-synchronous accents.

Every beat gets three accent features, each z-scored over the track:

* onset: the onset-envelope peak at the beat;
* bass: low-band (< 160 Hz) mel power just after the beat (kick drums, bass notes);
* harmony: ``1 - cosine`` between the mean chroma of the ``m`` beats before and the
  ``m`` beats after the beat (chords change at bar lines), for meter ``m``.

For meter ``m`` and phase ``p`` the score is the mean combined accent of the beats
``p, p + m, p + 2m, ...`` minus the mean of the other beats.  The best phase is kept
per meter.  4/4 is the default: 3/4 wins only when its score is at least
``THREE_FOUR_RATIO`` (1.3) times the 4/4 score **and** higher by ``THREE_FOUR_MARGIN``
(0.3 z-units), because a 4/4 track's half-bar symmetry never favours 3, while noise in
a weakly accented track easily favours either.
"""

from __future__ import annotations

import numpy as np

from loopmill.analysis.features import Features, mel_band_centres
from loopmill.errors import BadInputError

__all__ = ["find_downbeats", "meter_scores"]

BASS_HZ = 160.0
WEIGHTS = {"onset": 1.0, "bass": 1.0, "harmony": 1.5}
THREE_FOUR_RATIO = 1.3
THREE_FOUR_MARGIN = 0.3


def _zscore(x: np.ndarray) -> np.ndarray:
    ok = np.isfinite(x)
    if ok.sum() < 2:
        return np.zeros_like(x)
    sd = float(x[ok].std())
    out = (x - float(x[ok].mean())) / sd if sd > 1e-9 else np.zeros_like(x)
    return np.where(ok, out, np.nan)


def _beat_frames(features: Features, beats: np.ndarray) -> np.ndarray:
    return features.time_to_frame(beats)


def _onset_accent(features: Features, frames: np.ndarray) -> np.ndarray:
    o = features.onset_env
    win = np.clip(frames[:, None] + np.arange(-1, 3)[None, :], 0, o.shape[0] - 1)
    return np.asarray(o[win].max(axis=1), dtype=np.float64)


def _bass_accent(features: Features, frames: np.ndarray) -> np.ndarray:
    sel = mel_band_centres(sr=features.sr, n_mels=features.mel_db.shape[0]) < BASS_HZ
    if not sel.any():
        sel[0] = True
    low = 10.0 ** (features.mel_db[sel].astype(np.float64) / 10.0)
    low_power = low.mean(axis=0)
    fps = features.sr / features.hop_length
    span = max(1, round(0.1 * fps))
    if frames.shape[0] > 1:
        span = max(1, min(span, int(np.median(np.diff(frames))) // 2))
    csum = np.concatenate([[0.0], np.cumsum(low_power)])
    lo = np.clip(frames, 0, low_power.shape[0])
    hi = np.clip(frames + span, 0, low_power.shape[0])
    mean = (csum[hi] - csum[lo]) / np.maximum(hi - lo, 1)
    return np.asarray(10.0 * np.log10(mean + 1e-10))


def _beat_chroma(features: Features, frames: np.ndarray) -> np.ndarray:
    """Mean chroma of each inter-beat interval, shape (N, 12) (last: to +1 period)."""
    c = features.chroma.astype(np.float64)
    csum = np.concatenate([np.zeros((12, 1)), np.cumsum(c, axis=1)], axis=1)
    step = int(np.median(np.diff(frames))) if frames.shape[0] > 1 else 1
    ends = np.append(frames[1:], frames[-1] + step)
    lo = np.clip(frames, 0, c.shape[1])
    hi = np.clip(np.maximum(ends, frames + 1), 0, c.shape[1])
    return ((csum[:, hi] - csum[:, lo]) / np.maximum(hi - lo, 1)).T


def _harmony_accent(seg: np.ndarray, m: int) -> np.ndarray:
    """``1 - cos`` between the chroma of the ``m`` beats before and after each beat."""
    n = seg.shape[0]
    csum = np.concatenate([np.zeros((1, 12)), np.cumsum(seg, axis=0)])
    idx = np.arange(n)
    before = csum[idx] - csum[np.maximum(idx - m, 0)]
    after = csum[np.minimum(idx + m, n)] - csum[idx]
    num = (before * after).sum(axis=1)
    den = np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1)
    out = np.where(den > 1e-12, 1.0 - num / np.where(den > 1e-12, den, 1.0), np.nan)
    out[(idx < m) | (idx + m > n)] = np.nan  # need a full bar on each side
    return out


def meter_scores(*, features: Features, beats: np.ndarray, meter: int) -> np.ndarray:
    """Accent score of every downbeat phase for one meter.

    Parameters
    ----------
    features : Features
        Output of :func:`~loopmill.analysis.compute_features`.
    beats : np.ndarray, shape (N,)
        Beat times in seconds.
    meter : int
        Beats per bar.

    Returns
    -------
    np.ndarray, shape (meter,)
        Mean combined z-scored accent on beats ``p::meter`` minus that on the other
        beats, for each phase ``p``.
    """
    frames = _beat_frames(features, beats)
    n = frames.shape[0]
    if n < 2 * meter:
        return np.zeros(meter)
    combined = WEIGHTS["onset"] * _zscore(_onset_accent(features, frames))
    combined = combined + WEIGHTS["bass"] * _zscore(_bass_accent(features, frames))
    harm = _zscore(_harmony_accent(_beat_chroma(features, frames), meter))
    combined = combined + WEIGHTS["harmony"] * np.nan_to_num(harm, nan=0.0)
    phase = np.arange(n) % meter
    scores = np.zeros(meter)
    for p in range(meter):
        on, off = combined[phase == p], combined[phase != p]
        scores[p] = float(on.mean() - off.mean()) if on.size and off.size else 0.0
    return scores


def find_downbeats(
    *, features: Features, beats: np.ndarray, beats_per_bar: int | None = None
) -> tuple[np.ndarray, int]:
    """Choose the meter (3 or 4 beats per bar) and the downbeat phase.

    Parameters
    ----------
    features : Features
        Output of :func:`~loopmill.analysis.compute_features` for the same audio.
    beats : np.ndarray, shape (N,)
        Beat times in seconds (e.g. ``track_beats(...).beats``).
    beats_per_bar : int, optional
        Known meter; when given only the phase is searched.

    Returns
    -------
    downbeats : np.ndarray, shape (B,)
        Downbeat times in seconds, a subset of ``beats``.
    beats_per_bar : int
        The meter used.

    Raises
    ------
    BadInputError
        If ``beats_per_bar`` is not a positive integer or ``beats`` is not 1-D.
    """
    beats = np.asarray(beats, dtype=np.float64)
    if beats.ndim != 1:
        raise BadInputError(f"beats has shape {beats.shape}; pass a 1-D array of beat times")
    if beats_per_bar is not None and (
        isinstance(beats_per_bar, bool)
        or not isinstance(beats_per_bar, (int, np.integer))
        or not 1 <= beats_per_bar <= 16
    ):
        raise BadInputError(
            f"beats_per_bar={beats_per_bar!r} is invalid; pass an integer from 1 to 16 or None"
        )
    if beats.size == 0:
        return beats.copy(), int(beats_per_bar or 4)
    if beats_per_bar is not None:
        m = int(beats_per_bar)
        phase = int(np.argmax(meter_scores(features=features, beats=beats, meter=m)))
        return beats[phase::m].copy(), m
    s3 = meter_scores(features=features, beats=beats, meter=3)
    s4 = meter_scores(features=features, beats=beats, meter=4)
    best3, best4 = float(s3.max()), float(s4.max())
    if best3 >= THREE_FOUR_RATIO * max(best4, 0.0) and best3 - best4 >= THREE_FOUR_MARGIN:
        return beats[int(np.argmax(s3)) :: 3].copy(), 3
    return beats[int(np.argmax(s4)) :: 4].copy(), 4
