"""Finding the best loop of a whole number of bars in a track.

Every tracked beat is a candidate start; every whole number of bars that fits the
duration limits gives the matching end beat (the tracked one, so tempo drift is
followed). A candidate is scored by how alike the music is

* just past the loop end and at the loop start (what is heard after the wrap is
  what the track would have played next), over one bar on a sixteenth-note grid,
  weighting the first beat most, in spectral envelope (log-mel), harmony (chroma)
  and loudness; and
* just before the loop end and just before the loop start (the lead-in), at half
  weight,

then adjusted for musical sense: spans of 2^k bars (phrases) are preferred, starts
on a detected downbeat are preferred, and longer loops win ties. All distances are
divided by the median candidate distance so the penalties mean the same thing on
every track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loopmill.errors import BadInputError, NoLoopFoundError

_GRID = 4  # grid points per beat (sixteenth notes in 4/4)
_PHRASE_PENALTY = 0.15
_OFF_DOWNBEAT_PENALTY = 0.25
_LENGTH_BONUS = 0.04
_NO_TAIL_PENALTY = 0.3  # the end has no bar after it to compare: trust the lead-in less
_TEMPO_SLACK = 0.01  # a span may differ this much from bars at the global tempo for free
_TEMPO_PENALTY = 4.0  # per further 1 %: a missed or doubled beat (~3 %) rules a span out


@dataclass(frozen=True)
class Candidate:
    """One scored loop candidate.

    Attributes
    ----------
    start_beat, end_beat : int
        Indices into the beat array (extended to the track's end, see
        ``_extend_to_end``).
    start_time, end_time : float
        The same positions in seconds.
    bars : int
        Whole bars between them.
    distance : float
        Normalised feature distance (lower is more alike; ~1 is a typical candidate).
    cost : float
        ``distance`` plus the musical penalties; the search minimises it.
    """

    start_beat: int
    end_beat: int
    start_time: float
    end_time: float
    bars: int
    distance: float
    cost: float


@dataclass(frozen=True)
class SearchFeatures:
    """Per-frame features the search compares, ``[F, D]`` with their frame rate."""

    frames: np.ndarray
    frames_per_second: float


def search_features(
    *, mel_db: np.ndarray, chroma: np.ndarray, rms: np.ndarray, frames_per_second: float
) -> SearchFeatures:
    """Stack and normalise the analysis features for distance computations.

    Parameters
    ----------
    mel_db : np.ndarray
        Log-mel spectrogram ``[n_mels, F]`` in dB.
    chroma : np.ndarray
        Chroma ``[12, F]``.
    rms : np.ndarray
        Frame RMS ``[F]``.
    frames_per_second : float
        Frame rate of the features.

    Returns
    -------
    SearchFeatures
        Frames ``[F, n_mels + 12 + 1]``: mel in units of its global spread, chroma
        scaled to unit length (times 2, so harmony weighs about as much as timbre),
        loudness in units of 6 dB.
    """
    mel = np.asarray(mel_db, dtype=np.float32).T
    mel = (mel - mel.mean()) / max(float(mel.std()), 1e-6)
    chr_ = np.asarray(chroma, dtype=np.float32).T
    chr_ = 2.0 * chr_ / np.maximum(np.linalg.norm(chr_, axis=1, keepdims=True), 1e-6)
    loud = 20.0 * np.log10(np.maximum(np.asarray(rms, dtype=np.float32), 1e-5)) / 6.0
    frames = np.concatenate([mel, chr_ * np.sqrt(mel.shape[1] / 12.0), loud[:, None]], axis=1)
    return SearchFeatures(frames=frames.astype(np.float32), frames_per_second=frames_per_second)


def _grid_descriptors(
    feats: SearchFeatures, beat_times: np.ndarray, *, beats_per_window: int, before: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Features on a sixteenth grid over ``beats_per_window`` beats after (or before) each beat.

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        Descriptors ``[K, G, D]`` and a validity mask ``[K]`` (window inside the track).
    """
    n_frames = feats.frames.shape[0]
    periods = np.diff(beat_times)
    period = np.concatenate([periods, periods[-1:]]) if len(periods) else np.ones(1)
    steps = np.arange(beats_per_window * _GRID) / _GRID  # in beats
    if before:
        steps = -steps[::-1] - 1.0 / _GRID
    times = beat_times[:, None] + steps[None, :] * period[:, None]
    idx = np.rint(times * feats.frames_per_second).astype(np.int64)
    valid = (idx.min(axis=1) >= 0) & (idx.max(axis=1) < n_frames)
    return feats.frames[np.clip(idx, 0, n_frames - 1)], valid


def check_durations(*, min_duration: float | None, max_duration: float) -> None:
    """Refuse loop-length limits that are negative, zero or the wrong way round.

    Raises
    ------
    BadInputError
        Naming both fields (``min_duration``, ``max_duration``) and the fix.
    """
    lo = 0.0 if min_duration is None else min_duration
    both = ("min_duration", "max_duration")
    if lo < 0 or max_duration <= 0:
        raise BadInputError(
            f"durations must be positive (got min_duration {lo:g}, "
            f"max_duration {max_duration:g})", field=both
        )
    if lo > max_duration:
        raise BadInputError(
            f"min_duration {lo:g} s is greater than max_duration "
            f"{max_duration:g} s; make the minimum smaller than the maximum", field=both
        )


def _extend_to_end(beats: np.ndarray, track_duration: float) -> np.ndarray:
    """Add the beat positions the tracker cannot see before the first onset or after
    the last one.

    A clip that is exactly N bars long starts and ends on bar lines with no onset
    before or after them; extrapolating the beat period to both ends of the track
    makes those bar lines candidate loop points.
    """
    if len(beats) < 2:
        return beats
    if 0.0 < beats[0] < 0.06:
        # An onset at the very first sample is located late (the onset envelope has
        # no frame before it); music that starts on a beat starts at 0.
        beats = np.concatenate([[0.0], beats[1:]])
    head_period = float(np.median(np.diff(beats[:9])))
    tail_period = float(np.median(np.diff(beats[-9:])))
    head, tail = [], []
    t = beats[0] - head_period
    while t >= -0.02:
        head.append(max(t, 0.0))
        t -= head_period
    t = beats[-1] + tail_period
    while t <= track_duration + 0.02:
        tail.append(min(t, track_duration))
        t += tail_period
    return np.concatenate([head[::-1], beats, tail])


def _grid_weights(beats_per_window: int, *, before: bool) -> np.ndarray:
    """Weights over the grid: the first beat past the seam counts most."""
    beat_of_point = np.arange(beats_per_window * _GRID) // _GRID
    w = 1.0 / (1.0 + beat_of_point)
    if before:
        w = w[::-1]
    return (w / w.sum()).astype(np.float32)


def find_candidates(
    feats: SearchFeatures,
    *,
    beats: np.ndarray,
    downbeats: np.ndarray,
    beats_per_bar: int,
    min_duration: float,
    max_duration: float,
    bars: int | None = None,
    track_duration: float,
    beat_period: float | None = None,
) -> list[Candidate]:
    """Score every whole-bar loop candidate; best first.

    Parameters
    ----------
    feats : SearchFeatures
        From :func:`search_features`.
    beats : np.ndarray
        Beat times in seconds ``[K]``.
    downbeats : np.ndarray
        Downbeat times in seconds (a subset of ``beats``).
    beats_per_bar : int
        3 or 4.
    min_duration, max_duration : float
        Loop length limits in seconds (ignored for the span when ``bars`` is given,
        except that the loop must fit in the track).
    bars : int, optional
        Exact loop length in bars.
    track_duration : float
        Length of the track in seconds.
    beat_period : float, optional
        The global beat period in seconds. Spans whose length differs from their
        bars at this tempo by more than 1 % are penalised steeply: on real
        recordings the tracker sometimes inserts or drops a beat, and such a span
        breaks the groove at the wrap.

    Returns
    -------
    list[Candidate]
        All valid candidates sorted by cost.

    Raises
    ------
    NoLoopFoundError
        When no whole-bar span fits the limits and the track.
    """
    check_durations(min_duration=min_duration, max_duration=max_duration)
    beats = _extend_to_end(np.asarray(beats, dtype=np.float64), track_duration)
    k = len(beats)
    if k < beats_per_bar + 1:
        raise NoLoopFoundError(
            f"only {k} beats found ({track_duration:.1f} s); a loop needs at least one "
            "whole bar plus the bar after it"
        )
    after, ok_after = _grid_descriptors(feats, beats, beats_per_window=beats_per_bar, before=False)
    lead, ok_lead = _grid_descriptors(feats, beats, beats_per_window=1, before=True)
    w_after = _grid_weights(beats_per_bar, before=False)
    w_lead = _grid_weights(1, before=True)

    bar_counts = [bars] if bars else list(range(1, k // beats_per_bar + 1))
    # Downbeats come every beats_per_bar beats (the analysis counts bars by beat
    # index), which also labels the beats extrapolated at the track's ends.
    first = np.nonzero(np.isin(np.round(beats, 4), np.round(np.asarray(downbeats), 4)))[0]
    on_downbeat = (
        (np.arange(k) - first[0]) % beats_per_bar == 0 if len(first) else np.zeros(k, bool)
    )

    starts_all, ends_all, nbars_all = [], [], []
    for n in bar_counts:
        span = n * beats_per_bar
        s = np.arange(0, k - span)
        e = s + span
        dur = beats[e] - beats[s]
        # The end needs the bar after it only for comparing; without it the lead-in
        # alone decides (with a penalty), so a clip that is already one loop works.
        keep = ok_after[s] & (ok_after[e] | ok_lead[e])
        if not bars:
            keep &= (dur >= min_duration) & (dur <= max_duration)
        starts_all.append(s[keep])
        ends_all.append(e[keep])
        nbars_all.append(np.full(int(keep.sum()), n))
    starts = np.concatenate(starts_all) if starts_all else np.zeros(0, np.int64)
    ends = np.concatenate(ends_all) if ends_all else np.zeros(0, np.int64)
    nbars = np.concatenate(nbars_all) if nbars_all else np.zeros(0, np.int64)
    if len(starts) == 0:
        # "4-bar", not "4 bars": the fix below is where the message names the field
        limits = f"{min_duration:g}-{max_duration:g} s"
        what = f"{bars}-bar loop" if bars else f"whole-bar loop of {limits}"
        raise NoLoopFoundError(
            f"no {what} fits in {track_duration:.1f} s at "
            f"{len(beats)} beats; lower min_duration, change bars, or use a longer track",
            field=("min_duration", "bars"),
        )

    # Mean absolute feature difference on the grid, weighted towards the seam; in
    # slices, since all pairs at once would take [pairs, grid, dims] floats (~65 MB
    # for a 4-minute track).
    d = np.empty(len(starts), dtype=np.float64)
    lead_ok = ok_lead[starts] & ok_lead[ends]
    for a in range(0, len(starts), 1024):
        s_, e_ = starts[a : a + 1024], ends[a : a + 1024]
        d_after = np.einsum("ngd,g->n", np.abs(after[e_] - after[s_]), w_after)
        d_lead = np.einsum("ngd,g->n", np.abs(lead[e_] - lead[s_]), w_lead)
        d_lead = np.where(lead_ok[a : a + 1024], d_lead, d_after)
        d_after = np.where(ok_after[e_], d_after, d_lead)
        d[a : a + 1024] = (d_after + 0.5 * d_lead) / (1.5 * after.shape[2])
    scale = max(float(np.median(d)), 1e-9)
    dist = d / scale
    is_phrase = (nbars & (nbars - 1)) == 0
    tempo_cost = np.zeros(len(starts))
    if beat_period:
        expected = nbars * beats_per_bar * beat_period
        deviation = np.abs((beats[ends] - beats[starts]) / expected - 1.0)
        tempo_cost = _TEMPO_PENALTY * np.maximum(0.0, deviation - _TEMPO_SLACK) / 0.01
    cost = (
        dist
        + tempo_cost
        + _NO_TAIL_PENALTY * (~ok_after[ends])
        + _PHRASE_PENALTY * (~is_phrase)
        + _OFF_DOWNBEAT_PENALTY * (~on_downbeat[starts])
        - _LENGTH_BONUS * np.log2(nbars)
    )
    order = np.argsort(cost, kind="stable")
    return [
        Candidate(
            start_beat=int(starts[i]),
            end_beat=int(ends[i]),
            start_time=float(beats[starts[i]]),
            end_time=float(beats[ends[i]]),
            bars=int(nbars[i]),
            distance=float(dist[i]),
            cost=float(cost[i]),
        )
        for i in order
    ]


def refine_end(
    feats: SearchFeatures, *, start: float, end: float, beat: float, bar: float
) -> float:
    """Move a loop end (seconds) to where the bar after it best matches the loop start.

    Beat trackers drift on real recordings, so the tracked beat that ends a span can
    be tens of milliseconds off the true period; this searches a quarter beat either
    side on the feature frames for the lag where the bar after ``end`` is most like
    the bar after ``start``. Sample-level phase alignment happens later, at the
    splice.

    Parameters
    ----------
    feats : SearchFeatures
        From :func:`search_features`.
    start, end : float
        Loop start and proposed end in seconds.
    beat, bar : float
        Beat and bar length in seconds.

    Returns
    -------
    float
        The refined end in seconds (``end`` when the window does not fit).
    """
    fps = feats.frames_per_second
    frames = feats.frames
    w = max(4, round(bar * fps))
    reach = max(1, round(0.25 * beat * fps))
    s0, e0 = round(start * fps), round(end * fps)
    if s0 < 0 or s0 + w > len(frames) or e0 - reach < 0 or e0 + reach + w > len(frames):
        return end
    ref = frames[s0 : s0 + w]
    lags = np.arange(-reach, reach + 1)
    dist = np.array([np.mean(np.abs(frames[e0 + k : e0 + k + w] - ref)) for k in lags])
    best = int(np.argmin(dist))
    if dist[best] > 0.97 * dist[reach]:
        return end  # no lag is clearly better: the features are noisy
    frac = 0.0
    if 0 < best < len(dist) - 1:  # sub-frame minimum by a parabola through 3 points
        a, b, c = dist[best - 1], dist[best], dist[best + 1]
        den = a - 2.0 * b + c
        frac = float(np.clip(0.5 * (a - c) / den, -0.5, 0.5)) if den > 0 else 0.0
    # The frames matched say the loop's period is (e0 + lag - s0) frames; positions
    # are only known to half a frame, so move the end only when the period it implies
    # is clearly off (the splice aligns the waveforms to the sample afterwards).
    period = (e0 + int(lags[best]) + frac - s0) / fps
    if abs(period - (end - start)) < 0.4 / fps:
        return end
    return start + period
