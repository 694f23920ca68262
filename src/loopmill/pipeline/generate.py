"""``generate``: a text prompt in, a finished seamless loop (and files) out."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopmill.engines.base import Engine
from loopmill.engines.params import GenerationParams
from loopmill.errors import BadInputError, LoopmillError, UnsupportedFormatError
from loopmill.loops.types import Loop
from loopmill.pipeline.finish import (
    TEMPO_TOLERANCE,
    batch_for,
    finish,
    finish_many,
    render_many,
)
from loopmill.prompts.spec import MusicSpec

__all__ = ["ENGINES", "TEMPO_TOLERANCE", "GenerateReport", "finish", "generate",
           "generate_files", "generate_loops", "get_engine", "make_spec"]

ENGINES = ("composer", "musicgen", "samplernn", "lstm")
_MODEL_ENGINES: dict[tuple[str, str], Engine] = {}
SAMPLE_RATES = (44100, 48000)
DURATION_RANGE = (8.0, 128.0)


def get_engine(name: str, *, model: str | None = None) -> Engine:
    """The engine called ``name``; ``model`` is a hub id or folder for model engines."""
    if name == "composer":
        from loopmill.engines.composer.engine import ComposerEngine

        return ComposerEngine()
    if name == "musicgen":
        from loopmill.engines.musicgen import MusicGenEngine

        # One loaded model per process: a --count run or a worker reuses it.
        key = (name, model or "facebook/musicgen-small")
        if key not in _MODEL_ENGINES:
            _MODEL_ENGINES[key] = MusicGenEngine(key[1])
        return _MODEL_ENGINES[key]
    if name in ("samplernn", "lstm"):
        from loopmill.engines.trained import TrainedEngine

        key = (name, model or "")
        if key not in _MODEL_ENGINES:
            _MODEL_ENGINES[key] = TrainedEngine(name, model)
        return _MODEL_ENGINES[key]
    raise BadInputError(f"unknown --engine {name!r}; choose one of {', '.join(ENGINES)}")


def make_spec(
    prompt: str,
    *,
    bpm: float | None = None,
    key: str | None = None,
    genre: str | None = None,
    min_duration: float | None = None,
    max_duration: float | None = None,
    seed: int | None = None,
) -> MusicSpec:
    """Parse ``prompt`` and apply the flags (they win over the text)."""
    from loopmill.prompts import parse_prompt

    for name, value in (("--min-duration", min_duration), ("--max-duration", max_duration)):
        if value is not None and not DURATION_RANGE[0] <= value <= DURATION_RANGE[1]:
            raise BadInputError(
                f"{name} {value:g} is out of range; use {DURATION_RANGE[0]:g} to "
                f"{DURATION_RANGE[1]:g} seconds"
            )
    if seed is not None and seed < 0:
        seed = None  # -1: a fresh random seed, recorded in the output
    return parse_prompt(
        prompt,
        bpm=bpm,
        key=key,
        genre=genre,
        min_duration=min_duration,
        max_duration=max_duration,
        seed=seed,
    )


def _prepare(
    prompt: str,
    *,
    engine: str = "composer",
    bpm: float | None = None,
    key: str | None = None,
    genre: str | None = None,
    min_duration: float | None = None,
    max_duration: float | None = None,
    seed: int | None = None,
    sample_rate: int = 44100,
    params: GenerationParams | None = None,
    soundfont: str | Path | None = None,
    model: str | None = None,
    controls: Any = None,
) -> tuple[Engine, MusicSpec, GenerationParams]:
    """Check a whole request and turn it into an engine, a spec and the params.

    Every check a request can fail runs here, before any audio is made or any file
    written: :func:`generate` and :func:`generate_files` both start with it.
    """
    if sample_rate not in SAMPLE_RATES:
        raise BadInputError(
            f"--sample-rate {sample_rate} is not supported; use "
            f"{' or '.join(str(r) for r in SAMPLE_RATES)}"
        )
    # Bad controls (or controls for a model engine) fail before any model loads.
    controls_dict = None if controls is None else _controls_dict(controls, engine=engine)
    eng = get_engine(engine, model=model)
    load = getattr(eng, "load", None)
    if callable(load):  # a model engine: a missing model fails here, before any work
        load()
    spec = make_spec(
        prompt,
        bpm=bpm,
        key=key,
        genre=genre,
        min_duration=min_duration,
        max_duration=max_duration,
        seed=seed,
    )
    check_spec = getattr(eng, "check_spec", None)
    if callable(check_spec):  # a genre the engine cannot make fails here, not silently later
        check_spec(spec)
    params = params or GenerationParams()
    if controls_dict is not None:
        params = _with_extra(params, controls=controls_dict)
    if soundfont is not None:
        from loopmill.engines.composer.soundfont import check_soundfont, find_fluidsynth

        check_soundfont(Path(soundfont))
        find_fluidsynth()
        params = _with_extra(params, soundfont=str(soundfont))
    return eng, spec, params


def _with_extra(params: GenerationParams, **extra: Any) -> GenerationParams:
    return GenerationParams(
        temperature=params.temperature,
        top_k=params.top_k,
        top_p=params.top_p,
        guidance=params.guidance,
        extra={**params.extra, **extra},
    )


def _controls_dict(controls: Any, *, engine: str) -> dict[str, Any]:
    """The composer controls as a validated, JSON-able dict.

    ``controls`` is a :class:`ComposerControls`, a mapping, or the path of a JSON file
    (the controls themselves or a loopmill sidecar holding them).
    """
    from collections.abc import Mapping

    from loopmill.engines.composer.controls import ComposerControls, load_controls

    if engine != "composer":
        raise BadInputError(f"controls work with the composer engine, not {engine!r}; "
                            "leave the controls out or use engine 'composer'")
    if isinstance(controls, ComposerControls):
        return controls.to_dict(explicit=True)
    if isinstance(controls, Mapping):
        return ComposerControls.from_dict(controls).to_dict(explicit=True)
    if isinstance(controls, str | Path):
        return load_controls(controls).to_dict(explicit=True)
    raise BadInputError(f"controls {controls!r} is not a ComposerControls, a dict or a JSON "
                        "file path")


def generate(
    prompt: str = "",
    *,
    engine: str = "composer",
    bpm: float | None = None,
    key: str | None = None,
    genre: str | None = None,
    min_duration: float | None = None,
    max_duration: float | None = None,
    seed: int | None = None,
    sample_rate: int = 44100,
    params: GenerationParams | None = None,
    soundfont: str | Path | None = None,
    model: str | None = None,
    max_attempts: int = 3,
    controls: Any = None,
) -> Loop:
    """Make one seamless loop from a text prompt.

    Parameters
    ----------
    prompt : str
        Free text, e.g. ``"calm lofi, F major, 80 BPM"``; words it does not know are kept.
    engine : str
        ``"composer"`` (built-in, offline).
    bpm, key, genre, min_duration, max_duration : optional
        Flags that win over the text (``key`` like ``"D minor"``).
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

    Returns
    -------
    Loop
        At -14 LUFS integrated (true peak <= -1 dBTP), with ``extra`` holding the spec,
        the params, the engine and the seed used.
    """
    ((_, result),) = generate_loops(
        prompt,
        count=1,
        seed=seed,
        max_attempts=max_attempts,
        engine=engine,
        bpm=bpm,
        key=key,
        genre=genre,
        min_duration=min_duration,
        max_duration=max_duration,
        sample_rate=sample_rate,
        params=params,
        soundfont=soundfont,
        model=model,
        controls=controls,
    )
    if isinstance(result, LoopmillError):
        raise result
    return result


def generate_loops(
    prompt: str = "",
    *,
    count: int = 1,
    seed: int | None = None,
    batch_size: int | None = None,
    max_attempts: int = 3,
    **options: Any,
) -> Iterator[tuple[int, Loop | LoopmillError]]:
    """Make ``count`` loops of one prompt; yield ``(index, Loop or its error)``.

    The i-th loop uses seed ``seed + i``. A model engine (MusicGen) renders up to
    ``batch_size`` of them in one batched call (default 8); the composer makes them one
    by one. A batched loop is reproduced by the same batch: the same prompt, seed,
    count and batch size.

    Raises
    ------
    BadInputError, MissingModelError, MissingDependencyError
        A bad request, at the call, before any audio is made or any file written. One
        item's failure is yielded, not raised.
    """
    if count < 1:
        raise BadInputError(f"--count {count} must be at least 1")
    if batch_size is not None and batch_size < 1:
        raise BadInputError(f"--batch-size {batch_size} must be at least 1")
    if max_attempts < 1:
        raise BadInputError(f"--max-attempts {max_attempts} must be at least 1")
    eng, spec, params = _prepare(prompt, seed=seed, **options)
    # Checked above, at the call; the loops are made as they are asked for.
    return _loops(eng, spec, params, count=count, size=batch_for(eng, batch_size, count),
                  engine=options.get("engine", "composer"),
                  sr=int(options.get("sample_rate", 44100)), max_attempts=max_attempts)


def _loops(eng: Engine, spec: MusicSpec, params: GenerationParams, *, count: int, size: int,
           engine: str, sr: int, max_attempts: int) -> Iterator[tuple[int, Loop | LoopmillError]]:
    for start in range(0, count, size):
        idx = list(range(start, min(count, start + size)))
        specs = [spec if spec.seed is None else spec.with_overrides(
            seed=(spec.seed + i) % 2**31) for i in idx]
        try:
            outs = render_many(eng, specs, params, sr=sr)
        except LoopmillError as exc:
            for i in idx:
                yield i, exc
            continue
        yield from zip(idx, finish_many(eng, outs, specs=specs, params=params, engine=engine,
                                        sr=sr, max_attempts=max_attempts), strict=True)


def _encode_all(paths: list[Path], loop: Loop, *, tags: dict[str, str]) -> None:
    """Write ``loop`` to every path (format from the suffix), the encoders in parallel.

    libvorbis, LAME and FLAC run in C and release the GIL, so OGG and MP3 of one loop
    encode at once on two cores.
    """
    from concurrent.futures import ThreadPoolExecutor

    from loopmill._threads import max_threads
    from loopmill.audio import LoopPoints, save

    def one(path: Path) -> Path:
        return save(
            path,
            loop.audio,
            sr=loop.sr,
            format=path.suffix[1:],
            loop=LoopPoints(start=0, length=loop.length),
            tags=tags,
        )

    with ThreadPoolExecutor(max_workers=max_threads()) as pool:
        list(pool.map(one, paths))


def _publish(loop: Loop, dest_dir: Path, stem: str, formats: list[str]) -> list[Path]:
    """Encode every format under hidden names, then claim ``stem`` (or the next free
    ``stem_N``) for all of them at once: a concurrent run never overwrites them."""
    from loopmill.pipeline.loop_files import loop_tags
    from loopmill.storage.claim import candidates, claim_names, staging_name

    suffixes = [f".{f}" for f in formats]
    staged = [staging_name(dest_dir, stem, s) for s in suffixes]
    try:
        _encode_all(staged, loop, tags=loop_tags(loop))
        return claim_names(staged, dest_dir=dest_dir, stems=candidates(stem),
                           suffixes=suffixes)[1]
    finally:
        for p in staged:
            p.unlink(missing_ok=True)


@dataclass
class GenerateReport:
    """The files a ``generate`` run wrote, and the failures."""

    written: list[tuple[Path, Loop]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def generate_files(
    prompt: str = "",
    *,
    dest: str | Path = "loops",
    format: str = "ogg",
    count: int = 1,
    file_prefix: str = "loop",
    keep_metadata: bool = False,
    midi: bool = False,
    seed: int | None = None,
    on_item: Callable[[int, Path | None], None] | None = None,
    catalog: str | Path | bool | None = None,
    variations: int = 0,
    batch_size: int | None = None,
    **options: Any,
) -> GenerateReport:
    """Generate ``count`` loops and write them with loop points (and sidecars).

    With a fixed ``seed`` the i-th loop uses ``seed + i``. Names are
    ``<prefix>_<YYYYmmdd-HHMMSS>_<seed>.<format>``: unique, and sorted by time.
    Every loop is also recorded in the catalog: ``catalog`` is its path, None the
    default (``LOOPMILL_CATALOG`` or the user data folder), False none. A model engine
    renders ``batch_size`` loops per call (see :func:`generate_loops`).
    """
    from loopmill.audio import WRITE_FORMATS
    from loopmill.pipeline.loop_files import loop_tags
    from loopmill.storage.sidecar import ensure_writable_dir, sidecar_path, write_json_atomic

    formats = [f.strip() for f in format.split(",") if f.strip()]
    for fmt in formats or [format]:
        if fmt not in WRITE_FORMATS:
            raise UnsupportedFormatError(
                f"unknown --format {fmt!r}; choose one of {', '.join(WRITE_FORMATS)} "
                "(or several, comma-separated)"
            )
    if variations < 0 or (variations and options.get("engine", "composer") == "composer"):
        raise BadInputError(f"--variations {variations}: give 1 or more, with a model engine "
                            "such as --engine musicgen (the composer makes new loops instead)")
    from loopmill.storage.claim import check_file_prefix

    check_file_prefix(file_prefix)
    # a bad request fails here, before anything is written
    loops = generate_loops(prompt, count=count, seed=seed, batch_size=batch_size, **options)
    dest_dir = ensure_writable_dir(dest)
    cat = None
    if catalog is not False:
        from loopmill.storage.catalog import Catalog

        cat = Catalog(None if catalog is None or catalog is True else Path(catalog))
    report = GenerateReport()
    for i, made in loops:
        try:
            if isinstance(made, LoopmillError):
                raise made
            loop = made
            stamp = time.strftime("%Y%m%d-%H%M%S")
            paths = _publish(loop, dest_dir, f"{file_prefix}_{stamp}_{loop.extra['seed']}",
                             formats)
            base, path = paths[0].with_suffix(""), paths[0]
            if midi and loop.midi_parts:
                from loopmill.engines.composer.midi import write_midi

                write_midi(
                    path.with_suffix(".mid"),
                    list(loop.midi_parts),
                    bpm=loop.bpm,
                    beats_per_bar=loop.beats_per_bar,
                )
            if keep_metadata:
                write_json_atomic(
                    sidecar_path(path),
                    {"output": str(path), "tool": "loopmill", "prompt": prompt, **loop.to_dict()},
                )
            if variations:
                from loopmill.pipeline.variations import make_variations

                spec = make_spec(prompt, seed=loop.extra["seed"], **{
                    k: options[k] for k in ("bpm", "key", "genre", "min_duration",
                                            "max_duration") if k in options})
                for v, var in enumerate(make_variations(
                        loop, n=variations, spec=spec, params=options.get("params")
                        or GenerationParams(), engine=options.get("engine", "composer"),
                        model=options.get("model"), seed=int(loop.extra["seed"])), start=1):
                    _encode_all([base.with_name(f"{base.name}_v{v}.{f}") for f in formats],
                                var, tags=loop_tags(var))
            if cat is not None:
                from loopmill.storage.catalog import record_from_loop

                uris = [str(p.resolve()) for p in paths]
                cat.add(record_from_loop(loop, prompt=prompt, uris=uris) | {"name": base.name})
            report.written.append((path, loop))
            if on_item:
                on_item(i, path)
        except LoopmillError as exc:
            report.failures.append(f"loop {i + 1}: {exc}")
            if on_item:
                on_item(i, None)
    if cat is not None:
        cat.close()
    return report
