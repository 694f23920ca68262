"""Global tempo and beat tracking.

1. Tempo: unbiased autocorrelation of the onset envelope, weighted by a log-normal
   prior (one octave standard deviation) around ``start_bpm``; the peak lag is refined
   by parabolic interpolation.
2. Beats: Ellis (2007) dynamic programming on the Gaussian-smoothed onset envelope,
   transition cost ``tightness * log(interval / period) ** 2``; the whole track is
   tracked at one period, so the metrical level stays consistent.
   Octave check: autocorrelation favours the slower of two levels whenever the
   pattern repeats every two beats (kick/snare).  So the low-band (< 1 kHz) flux at
   the beats is compared with that at the midpoints between them; if the midpoints
   carry as much low-frequency attack (min/max ratio >= 0.5: kick and snare, or an
   isochronous pulse, rather than hi-hats) and the prior does not object much
   (weight ratio >= 0.7), the track is re-tracked at twice the tempo.  Conversely,
   if every other beat has little low-band attack (ratio < 0.35: the "beats" are
   kick/snare hits alternating with hi-hats), it is re-tracked at half the tempo
   under the same prior condition.
3. Refinement: each beat is moved to the parabolically interpolated onset-envelope
   peak, then snapped to the peak of the fine (5.8 ms) energy-flux envelope; beats with
   no clear transient get the median snap offset.  ``bpm`` comes from a robust
   (MAD-trimmed) least-squares line through beat time versus beat index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loopmill.analysis.features import Features, compute_features, mel_band_centres
from loopmill.errors import BadInputError

__all__ = ["BeatTrack", "check_duration", "track_beats"]

TIGHTNESS = 100.0
PRIOR_OCTAVES = 1.0
LEVEL_PRIOR_RATIO = 0.7
FASTER_LOW_RATIO = 0.5
SLOWER_LOW_RATIO = 0.35
LOW_BAND_HZ = 1000.0


@dataclass(frozen=True, eq=False)
class BeatTrack:
    """Result of :func:`track_beats`.

    Attributes
    ----------
    bpm : float
        Tempo from a robust line fit of beat time against beat index.
    beats : np.ndarray, shape (N,), float64
        Beat times in seconds, ascending.
    confidence : float
        Periodicity of the onset envelope at the beat period (normalised
        autocorrelation, 0 to 1); below ~0.2 the tempo is unreliable.
    """

    bpm: float
    beats: np.ndarray
    confidence: float


def check_duration(duration: float, *, start_bpm: float) -> None:
    """Raise if ``duration`` (seconds) cannot hold two beats at ``start_bpm``."""
    need = 2 * 60.0 / start_bpm
    if duration < need:
        raise BadInputError(
            f"audio is {duration:.2f} s long, too short to hold two beats at {start_bpm:g} BPM; "
            f"pass at least {need:.2f} s (several bars for a reliable tempo)"
        )


def _validate(start_bpm: float, bpm_range: tuple[float, float]) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in bpm_range)
    except (TypeError, ValueError):
        raise BadInputError(
            f"bpm_range={bpm_range!r} is invalid; pass two numbers like (40, 240)"
        ) from None
    if not (0 < lo < hi):
        raise BadInputError(
            f"bpm_range={bpm_range!r} is invalid; pass (low, high) with 0 < low < high"
        )
    if not (np.isfinite(start_bpm) and lo <= start_bpm <= hi):
        raise BadInputError(
            f"start_bpm={start_bpm!r} is outside bpm_range {bpm_range!r}; pass a tempo inside it"
        )
    return lo, hi


def _parabolic(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Sub-sample offset (-0.5..0.5) of the parabola through values[idx-1:idx+2]."""
    idx = np.clip(idx, 1, values.shape[0] - 2)
    a, b, c = values[idx - 1], values[idx], values[idx + 1]
    den = a - 2 * b + c
    safe = np.where(np.abs(den) > 1e-12, den, 1.0)
    return np.where(np.abs(den) > 1e-12, np.clip(0.5 * (a - c) / safe, -0.5, 0.5), 0.0)


def _autocorrelation(o: np.ndarray, max_lag: int) -> np.ndarray:
    n = o.shape[0]
    # onset peaks are ~1 frame wide; smooth so a period that is not a whole number
    # of frames still lines peaks up at the neighbouring integer lags
    x = np.convolve(o, np.array([0.135, 0.607, 1.0, 0.607, 0.135]), mode="same")
    x = x - x.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, size)
    ac = np.fft.irfft(spec.real**2 + spec.imag**2, size)[: max_lag + 1]
    return np.asarray(ac / np.maximum(n - np.arange(max_lag + 1), 1))  # unbiased


def _estimate_period(
    o: np.ndarray, *, fps: float, start_bpm: float, lo: float, hi: float
) -> tuple[float, np.ndarray]:
    """Beat period in frames (sub-frame) and the unbiased autocorrelation."""
    min_lag = max(1, int(np.floor(60.0 * fps / hi)))
    max_lag = min(o.shape[0] - 2, int(np.ceil(60.0 * fps / lo)) + 1)
    if max_lag <= min_lag + 1:
        raise BadInputError(
            f"audio is {o.shape[0] / fps:.2f} s long, too short to measure a tempo in "
            f"{lo:g}-{hi:g} BPM; pass a longer clip"
        )
    ac = _autocorrelation(o, max_lag + 1)
    lags = np.arange(ac.shape[0], dtype=np.float64)
    bpm = 60.0 * fps / np.maximum(lags, 1e-9)
    prior = np.exp(-0.5 * (np.log2(bpm / start_bpm) / PRIOR_OCTAVES) ** 2)
    is_peak = np.zeros(ac.shape[0], dtype=bool)
    is_peak[1:-1] = (ac[1:-1] >= ac[:-2]) & (ac[1:-1] > ac[2:])
    is_peak[:min_lag] = False
    is_peak[max_lag:] = False
    score = np.where(is_peak, np.maximum(ac, 0.0) * prior, -np.inf)
    if not np.isfinite(score).any() or score.max() <= 0:
        best = int(np.argmax(np.where(lags >= min_lag, ac * prior, -np.inf)[: max_lag + 1]))
    else:
        best = int(np.argmax(score))
    # A bar-level peak can beat the beat in triple metre (a waltz at 150 BPM has a
    # stronger 1.2 s than 0.4 s periodicity). The binary levels are settled later by
    # the half/double check; the ternary one is settled here: take a third of the lag
    # when that is a strong peak of its own and nearer the prior.
    third = best / 3.0
    if third >= min_lag:
        near = round(third)
        cand = near - 1 + int(np.argmax(ac[near - 1 : near + 2]))
        if is_peak[cand] and ac[cand] >= 0.35 * ac[best] and prior[cand] > prior[best]:
            best = cand
    return best + float(_parabolic(ac, np.array([best]))[0]), ac


def _prior(bpm: float, start_bpm: float) -> float:
    return float(np.exp(-0.5 * (np.log2(bpm / start_bpm) / PRIOR_OCTAVES) ** 2))


def _low_band_flux(features: Features) -> np.ndarray:
    """Positive log-mel flux averaged over the bands centred below ``LOW_BAND_HZ``."""
    sel = mel_band_centres(sr=features.sr, n_mels=features.mel_db.shape[0]) < LOW_BAND_HZ
    low = features.mel_db[sel].astype(np.float64)
    out = np.zeros(low.shape[1])
    if low.shape[1] > 1 and low.shape[0] > 0:
        out[1:] = np.maximum(0.0, np.diff(low, axis=1)).mean(axis=0)
    return out


def _midpoints_as_strong(frames: np.ndarray, low_flux: np.ndarray) -> bool:
    """True if the midpoints between beats carry as much low-band attack as the beats."""
    if frames.shape[0] < 4:
        return False
    mids = np.rint((frames[:-1] + frames[1:]) / 2).astype(np.int64)
    offs = np.arange(-2, 3)[None, :]
    n = low_flux.shape[0]
    on = float(low_flux[np.clip(frames[:, None] + offs, 0, n - 1)].max(axis=1).mean())
    mid = float(low_flux[np.clip(mids[:, None] + offs, 0, n - 1)].max(axis=1).mean())
    return max(on, mid) > 0 and min(on, mid) / max(on, mid) >= FASTER_LOW_RATIO


def _alternate_beats_weak(frames: np.ndarray, low_flux: np.ndarray) -> bool:
    """True if every other beat lacks low-band attack (the beats are a subdivision)."""
    if frames.shape[0] < 6:
        return False
    n = low_flux.shape[0]
    peaks = low_flux[np.clip(frames[:, None] + np.arange(-2, 3)[None, :], 0, n - 1)].max(axis=1)
    even, odd = float(peaks[0::2].mean()), float(peaks[1::2].mean())
    return max(even, odd) > 0 and min(even, odd) / max(even, odd) < SLOWER_LOW_RATIO


def _dp_beats(local: np.ndarray, period: float) -> np.ndarray:
    """Ellis dynamic programming; returns beat frame indices (ascending)."""
    n = local.shape[0]
    lo_off = round(2 * period)
    hi_off = max(1, round(period / 2))
    offsets = np.arange(-lo_off, -hi_off + 1)  # candidate previous-beat offsets
    txcost = -TIGHTNESS * np.log(-offsets / period) ** 2
    cumscore = np.zeros(n)
    backlink = np.full(n, -1, dtype=np.int64)
    started = local > 0.01 * local.max()
    first = int(np.argmax(started)) if started.any() else 0
    cumscore[:first] = local[:first]
    # frames i in [k, k + hi_off) only look back to frames < k: do them as one block
    for k in range(first, n, hi_off):
        idx = np.arange(k, min(n, k + hi_off))
        prev = idx[:, None] + offsets[None, :]
        valid = prev >= 0
        cand = np.where(valid, cumscore[np.maximum(prev, 0)] + txcost[None, :], -np.inf)
        j = np.argmax(cand, axis=1)
        best = cand[np.arange(idx.size), j]
        ok = np.isfinite(best) & (best > 0)  # else start a new chain here
        cumscore[idx] = local[idx] + np.where(ok, best, 0.0)
        backlink[idx] = np.where(ok, prev[np.arange(idx.size), j], -1)
    # last beat: best cumulative score within the final 1.5 periods
    tail = max(0, n - round(1.5 * period))
    beat = tail + int(np.argmax(cumscore[tail:]))
    beats = [beat]
    while backlink[beat] >= 0:
        beat = int(backlink[beat])
        beats.append(beat)
    out = np.array(beats[::-1], dtype=np.int64)
    # trim weak beats at both ends (silence before/after the music)
    strong = local[out] >= 0.3 * np.median(local[out])
    if strong.any():
        first_s = int(np.argmax(strong))
        last_s = len(out) - int(np.argmax(strong[::-1]))
        out = out[first_s:last_s]
    return out


def _local_score(o: np.ndarray, period: float) -> np.ndarray:
    """Onset envelope smoothed by a Gaussian of std ``period / 32`` (Ellis)."""
    sigma = period / 32.0
    half = int(np.ceil(period))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    return np.convolve(o / (o.std() + 1e-12), kernel, mode="same")


def _snap_fine(
    times: np.ndarray, fine: np.ndarray, *, fine_rate: float, radius: float
) -> tuple[np.ndarray, np.ndarray]:
    """Peak of the fine envelope within ``radius`` s of each time: (times, strengths)."""
    r = max(1, round(radius * fine_rate))
    centre = np.rint(times * fine_rate).astype(np.int64)
    win = centre[:, None] + np.arange(-r, r + 1)[None, :]
    inside = (win >= 0) & (win < fine.shape[0])
    vals = np.where(inside, fine[np.clip(win, 0, fine.shape[0] - 1)], -np.inf)
    # prefer peaks near the guess: a far peak must be clearly stronger to win
    j = np.argmax(vals * np.exp(-0.5 * (np.arange(-r, r + 1) / r) ** 2)[None, :], axis=1)
    peak = win[np.arange(win.shape[0]), j]
    frac = _parabolic(fine, peak)
    return (peak + frac + 0.5) / fine_rate, vals[np.arange(win.shape[0]), j]


def _refine(beat_frames: np.ndarray, features: Features, period_s: float) -> np.ndarray:
    o = features.onset_env.astype(np.float64)
    fps = features.sr / features.hop_length
    # coarse: best onset frame within +-2 frames, parabolic sub-frame position
    win = np.clip(beat_frames[:, None] + np.arange(-2, 3)[None, :], 0, o.shape[0] - 1)
    peak = win[np.arange(win.shape[0]), np.argmax(o[win], axis=1)]
    coarse = (peak + _parabolic(o, peak)) / fps
    fine = features.onset_fine.astype(np.float64)
    if fine.shape[0] < 8:
        return coarse
    fine_rate = features.sr / features.fine_hop
    floor = 4.0 * float(fine.mean()) + 1e-12
    # pass 1: wide search to learn the coarse-vs-fine offset
    snapped, strength = _snap_fine(
        coarse, fine, fine_rate=fine_rate, radius=min(0.07, 0.3 * period_s)
    )
    good = strength >= max(floor, 0.5 * float(np.median(strength)))
    if good.sum() < max(2, 0.25 * len(coarse)):
        return coarse
    offset = float(np.median(snapped[good] - coarse[good]))
    # pass 2: narrow search around the offset-corrected position
    guess = coarse + offset
    snapped, strength = _snap_fine(
        guess, fine, fine_rate=fine_rate, radius=min(0.025, 0.15 * period_s)
    )
    good = strength >= max(floor, 0.5 * float(np.median(strength)))
    refined = np.where(good, snapped, guess)
    return np.maximum.accumulate(np.maximum(refined, 0.0))


def _robust_period(times: np.ndarray, period_s: float) -> float:
    """Slope of a MAD-trimmed least-squares fit of beat time against beat index."""
    steps = np.maximum(1, np.rint(np.diff(times) / period_s))
    idx = np.concatenate([[0.0], np.cumsum(steps)])
    keep = np.ones(times.shape[0], dtype=bool)
    slope = period_s
    for _ in range(3):
        if keep.sum() < 2:
            break
        slope, icpt = np.polyfit(idx[keep], times[keep], 1)
        resid = times - (slope * idx + icpt)
        mad = float(np.median(np.abs(resid[keep] - np.median(resid[keep]))))
        keep = np.abs(resid) <= max(3.0 * 1.4826 * mad, 0.003)
    return float(slope)


def track_beats(
    y: np.ndarray | None = None,
    *,
    sr: int,
    features: Features | None = None,
    start_bpm: float = 120.0,
    bpm_range: tuple[float, float] = (40.0, 240.0),
) -> BeatTrack:
    """Estimate the tempo and the beat times of a track.

    Parameters
    ----------
    y : np.ndarray, shape (channels, samples), optional
        Audio; not needed when ``features`` is given.
    sr : int
        Sample rate of ``y`` in Hz.
    features : Features, optional
        Precomputed :func:`compute_features` output (saves recomputation).
    start_bpm : float
        Centre of the tempo prior; among equally periodic metrical levels the one
        nearest to it (on a log scale) wins.
    bpm_range : tuple of float
        Lowest and highest tempo considered.

    Returns
    -------
    BeatTrack

    Raises
    ------
    BadInputError
        If neither ``y`` nor ``features`` is given, the parameters are invalid, or
        the audio is too short to hold two beats.
    """
    lo, hi = _validate(start_bpm, bpm_range)
    if features is None:
        if y is None:
            raise BadInputError("track_beats needs audio: pass y=<[channels, samples] array>")
        features = compute_features(y, sr=sr)
    check_duration(features.duration, start_bpm=start_bpm)
    o = features.onset_env.astype(np.float64)
    fps = features.sr / features.hop_length
    if not np.any(o > 0):
        raise BadInputError("audio has no onsets (constant or silent); no beats to track")
    period, ac = _estimate_period(o, fps=fps, start_bpm=start_bpm, lo=lo, hi=hi)
    frames = _dp_beats(_local_score(o, period), period)
    bpm0 = 60.0 * fps / period
    low_flux = _low_band_flux(features)
    if (
        2 * bpm0 <= hi
        and _prior(2 * bpm0, start_bpm) >= LEVEL_PRIOR_RATIO * _prior(bpm0, start_bpm)
        and _midpoints_as_strong(frames, low_flux)
    ):
        period /= 2.0
        frames = _dp_beats(_local_score(o, period), period)
    elif (
        bpm0 / 2 >= lo
        and _prior(bpm0 / 2, start_bpm) >= LEVEL_PRIOR_RATIO * _prior(bpm0, start_bpm)
        and _alternate_beats_weak(frames, low_flux)
    ):
        period *= 2.0
        frames = _dp_beats(_local_score(o, period), period)
    if frames.shape[0] < 2:
        raise BadInputError(
            f"found fewer than two beats in {features.duration:.2f} s of audio; "
            "pass a longer clip with a clear pulse"
        )
    lag = min(round(period), ac.shape[0] - 1)
    strength = float(np.clip(ac[lag] / ac[0], 0.0, 1.0)) if ac[0] > 0 else 0.0
    period_s = period / fps
    beats = _refine(frames, features, period_s)
    beat_period = _robust_period(beats, period_s)
    return BeatTrack(bpm=float(60.0 / beat_period), beats=beats, confidence=strength)
