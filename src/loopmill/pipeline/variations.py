"""Variations of a model-made loop: same bars, same tempo, so a game can alternate them.

Each variation continues the loop's own last bars (the model hears how the loop ends
and goes on from there), and the loop engine cuts exactly as many bars at exactly the
same tempo out of the continuation.
"""

from __future__ import annotations

import dataclasses

from loopmill.engines.base import EngineOutput
from loopmill.engines.params import GenerationParams
from loopmill.errors import BadInputError
from loopmill.loops.types import Loop
from loopmill.prompts.spec import MusicSpec

__all__ = ["make_variations"]


def make_variations(
    loop: Loop, *, n: int, spec: MusicSpec, params: GenerationParams, engine: str = "musicgen",
    model: str | None = None, seed: int = 0,
) -> list[Loop]:
    """``n`` loops with ``loop``'s bars, tempo and meter, continuing its last two bars.

    Raises
    ------
    BadInputError
        ``n`` under 1, or an engine that cannot continue audio (the composer).
    """
    from loopmill.engines.registry import get_engine

    if n < 1:
        raise BadInputError(f"variations {n} must be at least 1", field="variations")
    eng = get_engine(engine, model=model)
    if not eng.capabilities.continuation:
        raise BadInputError(f"variations need an engine that continues audio; {engine!r} "
                            "does not (use musicgen)", field="variations")
    bar = loop.beats_per_bar * 60.0 / loop.bpm
    tail = loop.audio[:, -round(2 * bar * loop.sr):]
    seconds = loop.duration * 1.5 + 2 * bar
    out = []
    for i in range(n):
        audio = eng.generate_audio(spec, params, seconds=seconds, sr=loop.sr, seed=seed + 1 + i,
                                   prompt_audio=tail)
        raw = EngineOutput(audio=audio, sr=loop.sr, seamless=False, bpm=loop.bpm, bars=None,
                           beats_per_bar=loop.beats_per_bar, key=loop.key, seed=seed + 1 + i)
        var = _same_length(raw, loop, spec=spec, params=params, engine=engine)
        out.append(dataclasses.replace(var, extra={**var.extra, "variation_of": loop.extra.get(
            "seed"), "variation": i + 1}))
    return out


def _same_length(raw: EngineOutput, loop: Loop, *, spec: MusicSpec,
                 params: GenerationParams, engine: str) -> Loop:
    """Cut ``loop.bars`` bars at ``loop.bpm`` out of ``raw``.

    The loop engine counts bars at the tempo it hears: when the model drifted to half
    or double time, the same length is twice or half as many of its bars.
    """
    from loopmill.errors import NoLoopFoundError
    from loopmill.pipeline.finish import finish

    last: Exception | None = None
    for bars in (loop.bars, 2 * loop.bars, loop.bars // 2):
        if bars < 1:
            continue
        try:
            var = finish(raw, spec=spec, params=params, engine=engine, bars=bars)
        except NoLoopFoundError as exc:
            last = exc
            continue
        if var.length == loop.length:
            return var
    # Only the seed is the caller's to change: the last cut's own fields (its bars and
    # min_duration) are the variation's, not the request's, so they stay words.
    cause = f" ({last})" if last else ""
    raise NoLoopFoundError(
        f"no {loop.bars}-bar loop at {loop.bpm:g} BPM in the continuation{cause}; "
        "try another seed", field="seed")
