"""From an engine's output to a finished Loop: cut, tempo check, loudness.

A model's free-running audio goes through the loop engine; when its own tempo is off
the asked one it is generated again (the retries of a batch are batched too).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from loopmill import settings
from loopmill.engines.base import Engine, EngineOutput
from loopmill.engines.params import GenerationParams
from loopmill.errors import LoopmillError
from loopmill.loops.types import Loop
from loopmill.prompts.spec import MusicSpec

__all__ = ["DEFAULT_BATCH", "TEMPO_TOLERANCE", "batch_for", "finish", "finish_many",
           "render_many"]

#: a model's loop more than this far from the asked tempo is generated again
TEMPO_TOLERANCE = 0.06
#: loops an engine with ``generate_many`` (MusicGen) renders per call, unless told otherwise
DEFAULT_BATCH = settings.MODEL_BATCH


def batch_for(eng: Engine, asked: int | None, count: int | None = None) -> int:
    """Loops per render call: ``asked`` (default :data:`DEFAULT_BATCH`, at most ``count``)
    for an engine that renders batches, else 1 (so results come one by one)."""
    if not eng.capabilities.batch:
        return 1
    size = asked or DEFAULT_BATCH
    return size if count is None else max(1, min(count, size))


def finish(
    out: EngineOutput,
    *,
    spec: MusicSpec,
    params: GenerationParams,
    engine: str,
    target_lufs: float = settings.TARGET_LUFS,
    true_peak_db: float = settings.TRUE_PEAK_DB,
    bars: int | None = None,
) -> Loop:
    """Turn an engine's output into a measured, loudness-normalised Loop (a model's
    free-running audio is cut by the loop engine first, to ``bars`` bars if given)."""
    from loopmill.loops.post import finish_loop
    from loopmill.loops.seam import seam_score

    if not out.seamless:
        return _cut(out, spec=spec, params=params, engine=engine, target_lufs=target_lufs,
                    true_peak_db=true_peak_db, bars=bars)
    audio, report = finish_loop(
        out.audio, sr=out.sr, target_lufs=target_lufs, true_peak_db=true_peak_db
    )
    audio = np.asarray(audio, dtype=np.float32)
    return Loop(
        audio=audio,
        sr=out.sr,
        start=0,
        end=audio.shape[1],
        bars=out.bars or 0,
        beats_per_bar=out.beats_per_bar,
        bpm=out.bpm,
        source_bpm=out.bpm,
        key=out.key,
        seam_score=seam_score(audio, sr=out.sr, start=0, end=audio.shape[1]),
        # finish_loop measured the result already; measuring again would cost ~0.2 s.
        loudness_lufs=_num(report["loudness_lufs"]),
        true_peak_db=_num(report["true_peak_db"]),
        extra={
            "engine": engine,
            "seed": out.seed,
            "spec": spec.to_dict(),
            "params": params.to_dict(),
            **out.info,
        },
        midi_parts=out.midi_parts,
    )


def _cut(
    out: EngineOutput, *, spec: MusicSpec, params: GenerationParams, engine: str,
    target_lufs: float, true_peak_db: float, bars: int | None = None,
) -> Loop:
    """A model's free-running audio through the loop engine: the best bar-exact loop,
    stretched to exactly the asked tempo (half or double the detected one matched)."""
    import pedalboard

    from loopmill.loops.length import choose_bars
    from loopmill.loops.make import make_loop
    from loopmill.loops.post import finish_loop

    # Generated audio can carry a DC offset; it would eat the headroom of the limiter.
    y = out.audio - out.audio.mean(axis=1, keepdims=True)
    y = pedalboard.HighpassFilter(cutoff_frequency_hz=20.0)(y.astype(np.float32), out.sr)
    if bars is None:
        # The rule every engine follows (loops.length): the longest 2^k bars within the
        # durations, when the audio holds them with a bar to spare for the tail wrap.
        want = choose_bars(bpm=out.bpm, min_duration=spec.min_duration,
                           max_duration=spec.max_duration, beats_per_bar=out.beats_per_bar)
        bar_s = out.beats_per_bar * 60.0 / out.bpm
        if (want + 1) * bar_s <= y.shape[-1] / out.sr:
            bars = want
    if bars is None:
        loop = make_loop(y, sr=out.sr, bpm=out.bpm, beats_per_bar=out.beats_per_bar,
                         min_duration=spec.min_duration, max_duration=spec.max_duration)
    else:
        loop = make_loop(y, sr=out.sr, bpm=out.bpm, beats_per_bar=out.beats_per_bar, bars=bars)
    audio, report = finish_loop(loop.audio, sr=out.sr, target_lufs=target_lufs,
                                true_peak_db=true_peak_db)
    return dataclasses.replace(
        loop, audio=np.asarray(audio, dtype=np.float32), key=loop.key or out.key,
        loudness_lufs=_num(report["loudness_lufs"]), true_peak_db=_num(report["true_peak_db"]),
        extra={**loop.extra, "engine": engine, "seed": out.seed, "spec": spec.to_dict(),
               "params": params.to_dict(), **out.info},
    )


def _num(x: float | None) -> float:
    return float("nan") if x is None else float(x)


def tempo_error(detected: float, asked: float) -> float:
    """Relative distance of ``detected`` from ``asked`` at the nearest of half, same or
    double time."""
    if detected <= 0:
        return float("inf")
    return min(abs(detected * f / asked - 1.0) for f in (0.5, 1.0, 2.0))


def render_many(eng: Engine, specs: list[MusicSpec], params: GenerationParams, *,
                sr: int) -> list[EngineOutput]:
    """One output per spec: in one batched call when the engine renders batches
    (MusicGen), else one call each."""
    if eng.capabilities.batch and len(specs) > 1:
        return list(eng.generate_many(specs, params, sr=sr))
    return [eng.generate(s, params, sr=sr) for s in specs]


def finish_many(
    eng: Engine, outs: list[EngineOutput], *, specs: list[MusicSpec],
    params: GenerationParams, engine: str, sr: int,
    max_attempts: int = settings.MAX_ATTEMPTS, target_lufs: float = settings.TARGET_LUFS,
) -> list[Loop | LoopmillError]:
    """Finish every output; model audio whose own tempo is more than
    ``TEMPO_TOLERANCE`` off the asked one (half or double time allowed) is generated
    again with the next seed, all such items of a batch in one batched call, up to
    ``max_attempts`` in all. Every attempt is recorded in ``extra["attempts"]``; when
    none is close enough the closest is used (stretched to the exact tempo anyway).

    Returns
    -------
    list
        Per item, its Loop or the error that ended it (one item's failure does not
        stop the others).
    """
    n, specs = len(outs), list(specs)
    best: list[tuple[float, Loop] | None] = [None] * n
    errors: list[LoopmillError | None] = [None] * n
    attempts: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    done: list[Loop | None] = [None] * n
    todo = list(range(n))
    current = list(outs)
    for attempt in range(max(1, max_attempts)):
        if attempt:
            retry = [specs[i].with_overrides(seed=(int(current[i].seed) + 1) % 2**31)
                     for i in todo]
            try:
                fresh = render_many(eng, retry, params, sr=sr)
            except LoopmillError as exc:
                for i in todo:
                    errors[i] = errors[i] or exc
                break
            for i, spec, out in zip(todo, retry, fresh, strict=True):
                specs[i], current[i] = spec, out
        still = []
        for i in todo:
            out = current[i]
            try:
                loop = finish(out, spec=specs[i], params=params, engine=engine,
                              target_lufs=target_lufs)
            except LoopmillError as exc:
                errors[i] = exc
                still.append(i)
                continue
            if out.seamless:  # the composer: exact by construction, nothing to check
                done[i] = loop
                continue
            off = tempo_error(loop.source_bpm, out.bpm)
            attempts[i].append({"seed": out.seed, "detected_bpm": round(loop.source_bpm, 3),
                                "tempo_error": round(off, 4)})
            prev = best[i]
            if prev is None or off < prev[0]:
                best[i] = (off, loop)
            if off > TEMPO_TOLERANCE:
                still.append(i)
        todo = still
        if not todo:
            break
    results: list[Loop | LoopmillError] = []
    for i in range(n):
        got, found = done[i], best[i]
        if got is not None:
            results.append(got)
        elif found is not None:
            loop = found[1]
            results.append(dataclasses.replace(loop, extra={
                **loop.extra, "attempts": attempts[i], "tempo_ok": found[0] <= TEMPO_TOLERANCE}))
        else:
            err = errors[i]
            results.append(err if err is not None else LoopmillError("no audio was made"))
    return results
