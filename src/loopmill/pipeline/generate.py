"""``generate``: a text prompt in, a finished seamless loop (and files) out."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from loopmill.engines.base import Engine, EngineOutput
from loopmill.engines.params import GenerationParams
from loopmill.errors import BadInputError, LoopmillError, UnsupportedFormatError
from loopmill.loops.types import Loop
from loopmill.prompts.spec import MusicSpec

ENGINES = ("composer", "musicgen")
#: a model's loop more than this far from the asked tempo is generated again
TEMPO_TOLERANCE = 0.06
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


def finish(
    out: EngineOutput,
    *,
    spec: MusicSpec,
    params: GenerationParams,
    engine: str,
    target_lufs: float = -14.0,
    true_peak_db: float = -1.0,
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
    import dataclasses

    import pedalboard

    from loopmill.loops.make import make_loop
    from loopmill.loops.post import finish_loop

    # Generated audio can carry a DC offset; it would eat the headroom of the limiter.
    y = out.audio - out.audio.mean(axis=1, keepdims=True)
    y = pedalboard.HighpassFilter(cutoff_frequency_hz=20.0)(y.astype(np.float32), out.sr)
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
    params = params or GenerationParams()
    if soundfont is not None:
        from loopmill.engines.composer.soundfont import check_soundfont, find_fluidsynth

        check_soundfont(Path(soundfont))
        find_fluidsynth()
        params = GenerationParams(
            temperature=params.temperature,
            top_k=params.top_k,
            top_p=params.top_p,
            guidance=params.guidance,
            extra={**params.extra, "soundfont": str(soundfont)},
        )
    return eng, spec, params


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
    if max_attempts < 1:
        raise BadInputError(f"--max-attempts {max_attempts} must be at least 1")
    eng, spec, params = _prepare(
        prompt,
        engine=engine,
        bpm=bpm,
        key=key,
        genre=genre,
        min_duration=min_duration,
        max_duration=max_duration,
        seed=seed,
        sample_rate=sample_rate,
        params=params,
        soundfont=soundfont,
        model=model,
    )
    out = eng.generate(spec, params, sr=sample_rate)
    if out.seamless:
        return finish(out, spec=spec, params=params, engine=engine)
    return _with_tempo_check(eng, out, spec=spec, params=params, engine=engine,
                             sample_rate=sample_rate, max_attempts=max_attempts)


def _with_tempo_check(
    eng: Engine, out: EngineOutput, *, spec: MusicSpec, params: GenerationParams,
    engine: str, sample_rate: int, max_attempts: int,
) -> Loop:
    """Cut a model's audio into a loop; if its own tempo is more than
    ``TEMPO_TOLERANCE`` off the asked one (half or double time allowed), generate again
    with the next seed, up to ``max_attempts`` in all. Each attempt is recorded; when
    none is close enough, the closest is stretched to the exact tempo anyway."""
    import dataclasses

    attempts: list[dict[str, Any]] = []
    best: tuple[float, Loop] | None = None
    first_seed = out.seed
    for attempt in range(max_attempts):
        if attempt:
            spec = spec.with_overrides(seed=(first_seed + attempt) % 2**31)
            out = eng.generate(spec, params, sr=sample_rate)
        loop = finish(out, spec=spec, params=params, engine=engine)
        off = _tempo_error(loop.source_bpm, out.bpm)
        attempts.append({"seed": out.seed, "detected_bpm": round(loop.source_bpm, 3),
                         "tempo_error": round(off, 4)})
        if best is None or off < best[0]:
            best = (off, loop)
        if off <= TEMPO_TOLERANCE:
            break
    assert best is not None  # max_attempts >= 1
    loop = best[1]
    return dataclasses.replace(loop, extra={**loop.extra, "attempts": attempts,
                                            "tempo_ok": best[0] <= TEMPO_TOLERANCE})


def _tempo_error(detected: float, asked: float) -> float:
    """Relative distance of ``detected`` from ``asked`` at the nearest of half, same or
    double time."""
    if detected <= 0:
        return float("inf")
    return min(abs(detected * f / asked - 1.0) for f in (0.5, 1.0, 2.0))


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
    **options: Any,
) -> GenerateReport:
    """Generate ``count`` loops and write them with loop points (and sidecars).

    With a fixed ``seed`` the i-th loop uses ``seed + i``. Names are
    ``<prefix>_<YYYYmmdd-HHMMSS>_<seed>.<format>``: unique, and sorted by time.
    Every loop is also recorded in the catalog: ``catalog`` is its path, None the
    default (``LOOPMILL_CATALOG`` or the user data folder), False none.
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
    if count < 1:
        raise BadInputError(f"--count {count} must be at least 1")
    if variations < 0 or (variations and options.get("engine", "composer") == "composer"):
        raise BadInputError(f"--variations {variations}: give 1 or more, with a model engine "
                            "such as --engine musicgen (the composer makes new loops instead)")
    if not file_prefix or "/" in file_prefix:
        raise BadInputError(f"--file-prefix {file_prefix!r} must be a plain, non-empty name")
    # refuse a bad request before writing anything
    _prepare(prompt, seed=seed, **{k: v for k, v in options.items() if k != "max_attempts"})
    dest_dir = ensure_writable_dir(dest)
    cat = None
    if catalog is not False:
        from loopmill.storage.catalog import Catalog

        cat = Catalog(None if catalog is None or catalog is True else Path(catalog))
    report = GenerateReport()
    for i in range(count):
        item_seed = None if seed is None or seed < 0 else seed + i
        try:
            loop = generate(prompt, seed=item_seed, **options)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            base = dest_dir / f"{file_prefix}_{stamp}_{loop.extra['seed']}"
            n = 2
            while any(base.with_name(f"{base.name}.{f}").exists() for f in formats):
                base = dest_dir / f"{file_prefix}_{stamp}_{loop.extra['seed']}_{n}"
                n += 1
            paths = [base.with_name(f"{base.name}.{f}") for f in formats]
            _encode_all(paths, loop, tags=loop_tags(loop))
            path = paths[0]
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
