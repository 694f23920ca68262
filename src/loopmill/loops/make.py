"""``make_loop``: any audio in, a bar-exact seamless loop out."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from loopmill import settings
from loopmill.errors import BadInputError, NoLoopFoundError
from loopmill.loops.seam import seam_score
from loopmill.loops.search import (
    Candidate,
    check_durations,
    find_candidates,
    refine_end,
    search_features,
)
from loopmill.loops.splice import align_splice, cut_loop
from loopmill.loops.stretch import loop_length_samples, stretch_loop
from loopmill.loops.types import Loop

if TYPE_CHECKING:
    from loopmill.analysis import Analysis


def check_options(
    *, min_duration: float | None, max_duration: float, bpm: float | None, bars: int | None
) -> None:
    """Refuse inconsistent loop options before any audio is touched."""
    check_durations(min_duration=min_duration, max_duration=max_duration)
    _check_bpm(bpm)
    if bars is not None and bars < 1:
        raise BadInputError(f"bars {bars} must be at least 1", field="bars")


def _check_bpm(bpm: float | None) -> None:
    lo, hi = settings.TRACK_BPM_RANGE
    if bpm is not None and not lo <= bpm <= hi:
        raise BadInputError(
            f"bpm {bpm:g} is out of range; use {lo:g} to {hi:g}",
            field="bpm",
        )


@dataclass(frozen=True)
class LoopPlan:
    """Where to cut a loop, decided from the analysis alone (source samples)."""

    start: int
    end: int
    bars: int
    beats_per_bar: int
    source_bpm: float
    key: str | None
    distance: float

    #: Audio needed around ``[start, end)`` to align and cross-fade the splice.
    MARGIN_S = 0.25


def plan_loop(
    an: Analysis,
    *,
    sr: int,
    n_samples: int,
    bars: int | None = None,
    min_duration: float | None = None,
    max_duration: float = settings.TRACK_MAX_DURATION,
    preview: tuple[np.ndarray, int] | None = None,
    audition: int = 4,
) -> LoopPlan:
    """Choose the best whole-bar loop from an analysis of the track.

    The candidates are ranked by how alike the audio is on both sides of the wrap
    (see :mod:`loopmill.loops.search`). With ``preview`` audio, the best ones are
    then cut for real and the one whose seam *scores* best wins: the best-ranked
    candidate is cut first and kept at once when its seam scores 0, so usually this
    costs one seam measurement.

    Parameters
    ----------
    an : Analysis
        From :func:`loopmill.analysis.analyze` (of the track, at any rate).
    sr : int
        Sample rate the plan's positions are expressed in (the source's).
    n_samples : int
        Length of the source in samples at ``sr``.
    bars, min_duration, max_duration
        As in :func:`make_loop`.
    preview : tuple of (np.ndarray, int), optional
        The track ``[C, T]`` and its rate (any rate: the full-rate audio or the
        analysis mixdown) for auditioning candidate seams.
    audition : int
        How many of the best-ranked candidates may be auditioned.

    Returns
    -------
    LoopPlan
    """
    check_options(min_duration=min_duration, max_duration=max_duration, bpm=None, bars=bars)
    feats = an.features
    sfeats = search_features(
        mel_db=feats.mel_db,
        chroma=feats.chroma,
        rms=feats.rms,
        frames_per_second=feats.sr / feats.hop_length,
    )
    bpb = an.beats_per_bar
    bar_seconds = bpb * 60.0 / an.bpm
    if n_samples / sr < bar_seconds:
        raise BadInputError(
            f"audio is {n_samples / sr:.2f} s, shorter than one bar "
            f"({bar_seconds:.2f} s at {an.bpm:.1f} BPM); a loop needs at least one bar"
        )
    search = partial(
        find_candidates,
        sfeats,
        beats=an.beats,
        downbeats=an.downbeats,
        beats_per_bar=bpb,
        max_duration=max_duration,
        bars=bars,
        track_duration=n_samples / sr,
        beat_period=60.0 / an.bpm,
    )
    if min_duration is not None:
        candidates = search(min_duration=min_duration)
    else:
        try:
            # A clip barely longer than the default still loops whole.
            candidates = search(min_duration=min(settings.TRACK_MIN_DURATION, 0.9 * n_samples / sr))
        except NoLoopFoundError:
            candidates = search(min_duration=0.0)  # a short clip: take what fits

    def to_plan(c: Candidate) -> LoopPlan:
        t_end = refine_end(
            sfeats, start=c.start_time, end=c.end_time, beat=60.0 / an.bpm, bar=bar_seconds
        )
        return LoopPlan(
            start=round(c.start_time * sr),
            end=round(t_end * sr),
            bars=c.bars,
            beats_per_bar=bpb,
            source_bpm=float(an.bpm),
            key=str(an.key) if an.key is not None else None,
            distance=c.distance,
        )

    best = to_plan(candidates[0])
    if preview is None:
        return best
    best_score = _audition(best, preview=preview, sr=sr)
    for c in candidates[1:audition]:
        if best_score == 0.0 or c.cost > candidates[0].cost + _AUDITION_MARGIN:
            break
        plan = to_plan(c)
        score = _audition(plan, preview=preview, sr=sr)
        if score < best_score:
            best, best_score = plan, score
    return best


#: Candidates ranked worse than the best by more than this are not auditioned: a
#: cleaner seam does not make up for audio that matches much worse.
_AUDITION_MARGIN = 0.5


def _crossfade(*, start: int, end: int, bars: int, beats_per_bar: int, sr: int) -> int:
    """Crossfade length: an eighth of a beat, within 10-50 ms."""
    beat_seconds = (end - start) / sr / (bars * beats_per_bar)
    return round(min(max(beat_seconds / 8.0, 0.01), 0.05) * sr)


def _audition(plan: LoopPlan, *, preview: tuple[np.ndarray, int], sr: int) -> float:
    """Seam score of ``plan`` cut from the preview audio (inf when it cannot be cut)."""
    y, psr = preview
    scale = psr / sr
    try:
        start, end = align_splice(
            y, sr=psr, start=round(plan.start * scale), end=round(plan.end * scale)
        )
        xfade = _crossfade(
            start=start, end=end, bars=plan.bars, beats_per_bar=plan.beats_per_bar, sr=psr
        )
        loop = cut_loop(y, start=start, end=end, crossfade=xfade)
        return seam_score(loop, sr=psr, start=0, end=loop.shape[1])
    except BadInputError:
        return float("inf")


@dataclass(frozen=True)
class LoopCut:
    """A loop's audio, cut (and stretched, normalised) but not yet measured."""

    audio: np.ndarray
    start: int
    end: int
    bpm: float
    stretched: bool
    crossfade: int


def cut_planned(
    y: np.ndarray,
    *,
    sr: int,
    plan: LoopPlan,
    offset: int = 0,
    bpm: float | None = None,
    target_lufs: float | None = None,
    true_peak_db: float = settings.TRUE_PEAK_DB,
) -> LoopCut:
    """Cut, stretch and normalise the loop a :class:`LoopPlan` describes.

    Parameters
    ----------
    y : np.ndarray
        Audio ``[C, T]`` holding at least ``[plan.start, plan.end)`` plus
        ``LoopPlan.MARGIN_S`` either side where the track has it.
    sr : int
        Sample rate of ``y`` (the plan's rate).
    plan : LoopPlan
        From :func:`plan_loop`.
    offset : int
        Source position of ``y[:, 0]`` (when ``y`` is a region of the track).
    bpm, target_lufs, true_peak_db
        As in :func:`make_loop`.

    Returns
    -------
    LoopCut
    """
    from loopmill.audio.loudness import normalize_loudness

    _check_bpm(bpm)
    bpb = plan.beats_per_bar
    start, end = align_splice(y, sr=sr, start=plan.start - offset, end=plan.end - offset)
    beat_seconds = (end - start) / sr / (plan.bars * bpb)
    crossfade = _crossfade(start=start, end=end, bars=plan.bars, beats_per_bar=bpb, sr=sr)
    audio = cut_loop(y, start=start, end=end, crossfade=crossfade)
    loop_bpm = 60.0 / beat_seconds
    stretched = False
    if bpm is not None:
        # Match the nearest metrical level: asking 180 BPM of a 90 BPM loop doubles
        # the count, not the speed.
        length = loop_length_samples(bars=plan.bars, beats_per_bar=bpb, bpm=bpm, sr=sr)
        for factor in (2.0, 0.5):
            alt = loop_length_samples(bars=plan.bars, beats_per_bar=bpb, bpm=bpm / factor, sr=sr)
            if abs(np.log(alt / audio.shape[1])) < abs(np.log(length / audio.shape[1])):
                length = alt
        audio = stretch_loop(audio, sr=sr, length=length)
        loop_bpm = float(bpm)
        stretched = True
    if target_lufs is not None:
        audio, _gain = normalize_loudness(
            audio, sr=sr, target_lufs=target_lufs, true_peak_db=true_peak_db
        )
    return LoopCut(
        audio=audio,
        start=start + offset,
        end=end + offset,
        bpm=float(loop_bpm),
        stretched=stretched,
        crossfade=crossfade,
    )


def measure_loop(cut: LoopCut, *, sr: int, plan: LoopPlan) -> Loop:
    """Measure a cut loop (seam score, loudness, true peak) into a :class:`Loop`."""
    from loopmill.audio.loudness import integrated_loudness, true_peak

    audio = cut.audio
    bars = plan.bars
    if cut.stretched:  # matched at half or double time: count bars at the new tempo
        at_tempo = audio.shape[1] / sr * cut.bpm / 60.0 / plan.beats_per_bar
        if round(at_tempo) >= 1 and abs(at_tempo - round(at_tempo)) < 1e-3:
            bars = round(at_tempo)
    return Loop(
        audio=audio,
        sr=sr,
        start=cut.start,
        end=cut.end,
        bars=bars,
        beats_per_bar=plan.beats_per_bar,
        bpm=cut.bpm,
        source_bpm=plan.source_bpm,
        key=plan.key,
        seam_score=seam_score(audio, sr=sr, start=0, end=audio.shape[1]),
        loudness_lufs=integrated_loudness(audio, sr=sr),
        true_peak_db=true_peak(audio, sr=sr),
        stretched=cut.stretched,
        extra={"candidate_distance": round(plan.distance, 4), "crossfade": cut.crossfade},
    )


def make_loop(
    y: np.ndarray,
    *,
    sr: int,
    bars: int | None = None,
    min_duration: float | None = None,
    max_duration: float = settings.TRACK_MAX_DURATION,
    bpm: float | None = None,
    beats_per_bar: int | None = None,
    target_lufs: float | None = None,
    true_peak_db: float = settings.TRUE_PEAK_DB,
) -> Loop:
    """Find and cut the best bar-exact seamless loop in ``y``.

    Parameters
    ----------
    y : np.ndarray
        Audio ``[C, T]`` float32.
    sr : int
        Sample rate of ``y``.
    bars : int, optional
        Exact loop length in bars; otherwise any whole number of bars within
        ``min_duration``..``max_duration`` seconds, preferring 2^k-bar phrases.
    min_duration, max_duration : float
        Limits on the loop length in seconds (before any tempo change). With
        ``min_duration=None`` loops are at least ``settings.TRACK_MIN_DURATION`` (4 s, or
        90 % of a shorter track) long when the track allows, else as long as fits
        (one bar at least), so short clips still loop.
    bpm : float, optional
        Time-stretch the loop to exactly this tempo (pitch kept, Rubber Band). The
        loop then lasts exactly ``bars * beats_per_bar * 60 / bpm`` seconds, to the
        sample. Half or double the detected tempo is matched to the nearest level.
    beats_per_bar : int, optional
        Force the meter (3 or 4) instead of detecting it.
    target_lufs : float, optional
        Normalise the loop to this integrated loudness (true peak kept under
        ``true_peak_db``). By default the level is left as it is.
    true_peak_db : float
        True-peak ceiling for the normalisation, in dBTP.

    Returns
    -------
    Loop
        The loop with its measurements.

    Raises
    ------
    BadInputError
        Silent or too-short audio, or inconsistent options.
    NoLoopFoundError
        No whole-bar span fits the constraints.
    """
    from loopmill.analysis import analyze

    check_options(min_duration=min_duration, max_duration=max_duration, bpm=bpm, bars=bars)
    if y.ndim != 2 or y.shape[1] == 0:
        raise BadInputError(f"audio must be shaped [channels, samples], got {y.shape}")
    y = np.asarray(y, dtype=np.float32)
    an = analyze(y, sr=sr, beats_per_bar=beats_per_bar, loudness=False)
    plan = plan_loop(
        an,
        sr=sr,
        n_samples=y.shape[1],
        bars=bars,
        min_duration=min_duration,
        max_duration=max_duration,
        preview=(y, sr),
    )
    cut = cut_planned(
        y, sr=sr, plan=plan, bpm=bpm, target_lufs=target_lufs, true_peak_db=true_peak_db
    )
    return measure_loop(cut, sr=sr, plan=plan)
