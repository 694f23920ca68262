"""``generate``: a text prompt in, a finished seamless loop (and files) out."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopmill import settings
from loopmill.engines.params import GenerationParams
from loopmill.engines.registry import engine_names, get_engine
from loopmill.errors import Failure, LoopmillError
from loopmill.loops.types import Loop
from loopmill.pipeline.finish import (
    TEMPO_TOLERANCE,
    batch_for,
    finish,
    finish_many,
    render_many,
)
from loopmill.pipeline.request import (
    GENERATE_DURATION_RANGE,
    SAMPLE_RATES,
    GenerateRequest,
    Prepared,
    prepare,
)
from loopmill.prompts.spec import MusicSpec

__all__ = ["DURATION_RANGE", "SAMPLE_RATES", "TEMPO_TOLERANCE", "GenerateReport",
           "GenerateRequest", "engine_names", "finish", "generate", "generate_files",
           "generate_loops", "get_engine", "make_spec"]

DURATION_RANGE = GENERATE_DURATION_RANGE  # settings.DURATION_RANGE


def make_spec(prompt: str, **fields: Any) -> MusicSpec:
    """Parse ``prompt`` and apply ``fields`` (any of :class:`GenerateRequest`'s, such as
    ``bpm`` or ``max_duration``; they win over the text), checked as a request checks
    them: the spec the request would make."""
    return GenerateRequest(prompt=prompt, **fields).spec


def generate(
    prompt: str = "",
    *,
    engine: str = settings.ENGINE,
    bpm: float | None = None,
    key: str | None = None,
    genre: str | None = None,
    min_duration: float | None = None,
    max_duration: float | None = None,
    seed: int | None = None,
    sample_rate: int = settings.SAMPLE_RATE,
    params: GenerationParams | None = None,
    soundfont: str | Path | None = None,
    model: str | None = None,
    max_attempts: int = settings.MAX_ATTEMPTS,
    controls: Any = None,
) -> Loop:
    """Make one seamless loop from a text prompt.

    A shortcut for :func:`generate_loops` with a :class:`GenerateRequest` of these
    fields.

    Parameters
    ----------
    prompt : str
        Free text, e.g. ``"calm lofi, F major, 80 BPM"``; words it does not know are kept.
    engine : str
        ``"composer"`` (built-in, offline); ``loopmill engines`` lists them all.
    bpm, key, genre, min_duration, max_duration : optional
        Fields that win over the text (``key`` like ``"D minor"``).
    seed : int, optional
        Same seed, same audio; None or -1 draws one (recorded in ``loop.extra["seed"]``).
    sample_rate : int
        44100 or 48000.
    params : GenerationParams, optional
        Sampling parameters for model engines.
    soundfont : str or Path, optional
        Render the composer's score through FluidSynth with this General MIDI
        SoundFont (.sf2/.sf3) instead of the built-in synthesizer.
    model : str, optional
        For ``engine="musicgen"``: a hub id (``facebook/musicgen-small``) or a folder.
    max_attempts : int
        Model engines: generate again (next seed) while the audio's own tempo is more
        than 6 % off the asked one (half/double time allowed); every attempt is
        recorded in ``loop.extra["attempts"]``, and the closest is used.
    controls : ComposerControls, dict or path, optional
        The composer's controls (see ``loopmill.engines.composer.controls``).

    Returns
    -------
    Loop
        At -14 LUFS integrated (true peak <= -1 dBTP), with ``extra`` holding the spec,
        the params, the engine and the seed used.
    """
    request = GenerateRequest(
        prompt=prompt, engine=engine, model=model, bpm=bpm, key=key, genre=genre,
        min_duration=min_duration, max_duration=max_duration, seed=seed,
        sample_rate=sample_rate, params=params or GenerationParams(),
        soundfont=None if soundfont is None else str(soundfont), max_attempts=max_attempts,
        controls=controls, catalog=False)
    ((_, result),) = generate_loops(request)
    if isinstance(result, LoopmillError):
        raise result
    return result


def generate_loops(request: GenerateRequest) -> Iterator[tuple[int, Loop | LoopmillError]]:
    """Make ``request.count`` loops; yield ``(index, Loop or its error)``.

    The i-th loop uses seed ``seed + i``. An engine that renders batches (MusicGen)
    renders up to ``batch_size`` of them in one call (default 8); the composer makes
    them one by one. A batched loop is reproduced by the same batch: the same prompt,
    seed, count and batch size.

    Raises
    ------
    BadInputError, MissingModelError, MissingDependencyError
        A model that cannot load, at the call, before any audio is made or any file
        written (the request checked everything else when it was made). One item's
        failure is yielded, not raised.
    """
    ready = prepare(request)
    # Checked above, at the call; the loops are made as they are asked for.
    return _loops(ready, size=batch_for(ready.engine, request.batch_size, request.count))


def _loops(ready: Prepared, *, size: int) -> Iterator[tuple[int, Loop | LoopmillError]]:
    req = ready.request
    for start in range(0, req.count, size):
        idx = list(range(start, min(req.count, start + size)))
        specs = [req.item_spec(i) for i in idx]
        try:
            outs = render_many(ready.engine, specs, ready.params, sr=req.sample_rate)
        except LoopmillError as exc:
            for i in idx:
                yield i, exc
            continue
        yield from zip(idx, finish_many(ready.engine, outs, specs=specs, params=ready.params,
                                        engine=req.engine, sr=req.sample_rate,
                                        max_attempts=req.max_attempts,
                                        target_lufs=req.target_lufs), strict=True)


@dataclass
class GenerateReport:
    """The files a ``generate`` run wrote, and the failures.

    ``written`` holds each loop with its first file: a Path in a local folder, the URI
    at a remote destination (``s3://…``; ``spool://…`` while the spool keeps it).
    ``failures`` holds each loop that failed (labelled ``loop <n>``) with the fields its
    message names. ``spooled`` lists the URIs the spool holds files for (the
    destination was down).
    """

    written: list[tuple[Path | str, Loop]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    spooled: list[str] = field(default_factory=list)


def generate_files(
    request: GenerateRequest,
    *,
    on_item: Callable[[int, Path | str | None], None] | None = None,
) -> GenerateReport:
    """Make ``request.count`` loops and write them with loop points (and sidecars).

    ``request.dest`` is a folder or an fsspec URL (``s3://bucket/prefix``, the endpoint
    from ``request.s3_endpoint_url`` or ``AWS_ENDPOINT_URL``); every loop goes through
    the one writer, :func:`loopmill.storage.writer.publish_loop`. With a fixed
    ``seed`` the i-th loop uses ``seed + i``. Names are
    ``<prefix>_<YYYYmmdd-HHMMSS>_<seed>.<format>``: unique, and sorted by time.
    Every loop is also recorded in the catalog (``request.catalog``: a path, None for
    the default — ``LOOPMILL_CATALOG`` or the user data folder — or False for none).
    ``on_item(index, path or None)`` is called after each loop.
    """
    from loopmill.pipeline.loop_files import loop_tags
    from loopmill.storage.sink import open_sink
    from loopmill.storage.writer import publish_loop

    req = request
    # a model that cannot load fails here, before anything is written
    loops = generate_loops(req)
    sink = open_sink(req.dest, s3_endpoint_url=req.s3_endpoint_url)  # delivers the spool
    sink.check()
    cat = None
    if req.catalog is not False:
        from loopmill.storage.catalog import Catalog

        cat = Catalog(None if req.catalog is None or req.catalog is True else Path(req.catalog))
        if sink.delivered:  # rows of files that waited in the spool: where they are now
            from loopmill.storage.spool import relink

            relink(cat, sink.delivered)
    report = GenerateReport()
    for i, made in loops:
        try:
            if isinstance(made, LoopmillError):
                raise made
            loop = made
            stamp = time.strftime("%Y%m%d-%H%M%S")
            midi_data = None
            if req.midi and loop.midi_parts:
                from loopmill.engines.composer.midi import midi_bytes

                midi_data = midi_bytes(list(loop.midi_parts), bpm=loop.bpm,
                                       beats_per_bar=loop.beats_per_bar)
            pub = publish_loop(
                sink, loop, stem=f"{req.file_prefix}_{stamp}_{loop.extra['seed']}",
                formats=req.formats, tags=loop_tags(loop), midi=midi_data,
                sidecar={"tool": "loopmill", "prompt": req.prompt, **loop.to_dict()}
                if req.keep_metadata else None)
            report.spooled.extend(pub.spooled)
            if req.variations:
                from loopmill.pipeline.variations import make_variations

                spec = req.spec.with_overrides(seed=int(loop.extra["seed"]))
                for v, var in enumerate(make_variations(
                        loop, n=req.variations, spec=spec, params=req.params,
                        engine=req.engine, model=req.model, seed=int(loop.extra["seed"])),
                        start=1):
                    report.spooled.extend(publish_loop(
                        sink, var, stem=f"{pub.stem}_v{v}", formats=req.formats,
                        tags=loop_tags(var), exclusive=False).spooled)
            if cat is not None:
                from loopmill.storage.catalog import record_from_loop

                uris = pub.files if sink.remote else [str(Path(u).resolve()) for u in pub.files]
                cat.add(record_from_loop(loop, prompt=req.prompt, uris=uris)
                        | {"name": pub.stem})
            path: Path | str = pub.files[0] if sink.remote else Path(pub.files[0])
            report.written.append((path, loop))
            if on_item:
                on_item(i, path)
        except LoopmillError as exc:
            report.failures.append(Failure.of(exc, label=f"loop {i + 1}"))
            if on_item:
                on_item(i, None)
    if cat is not None:
        cat.close()
    return report
