"""``loopmill generate``: a text prompt in, seamless loop files out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loopmill import settings
from loopmill.cli import _options as opt
from loopmill.cli._common import err_console, guarded, print_table, progress_bar, say, spooled_exit
from loopmill.pipeline.generate import generate_files


def generate(
    prompt: Annotated[
        str, typer.Argument(help='What to make, e.g. "calm lofi hip hop, F major, 80 BPM".')
    ] = "",
    engine: Annotated[
        str,
        typer.Option(help="composer (built-in, offline), musicgen, samplernn or lstm "
                     "(the last three need --model)."),
    ] = settings.ENGINE,
    model: Annotated[
        str | None,
        typer.Option(help=f"musicgen: a hub id ({settings.MUSICGEN_MODEL}) or a folder; "
                     "samplernn/lstm: a checkpoint from `loopmill train`."),
    ] = None,
    bpm: Annotated[
        float | None,
        typer.Option(help=f"Tempo, {settings.span(settings.BPM_RANGE)} (wins over the text)."),
    ] = None,
    key: Annotated[str | None, typer.Option(help='Key, e.g. "D minor" or "F#".')] = None,
    genre: Annotated[str | None, typer.Option(help="Genre, e.g. synthwave, lofi, jazz.")] = None,
    min_duration: Annotated[
        float | None,
        typer.Option(help=f"Shortest loop, {settings.span(settings.DURATION_RANGE)} s "
                     f"(default {settings.MIN_DURATION:g})."),
    ] = None,
    max_duration: Annotated[
        float | None,
        typer.Option(help=f"Longest loop, {settings.span(settings.DURATION_RANGE)} s "
                     f"(default {settings.MAX_DURATION:g})."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same audio; -1 draws one.")] = -1,
    fmt: opt.Formats = settings.COMPOSED_FORMAT,
    dest: opt.Destination = "loops",
    s3_endpoint_url: opt.S3Endpoint = None,
    file_prefix: Annotated[
        str, typer.Option(help="Start of every file name.")
    ] = settings.FILE_PREFIX,
    keep_metadata: Annotated[
        bool, typer.Option("--keep-metadata",
                           help="Write a JSON sidecar with the spec, params and seed used.")
    ] = False,
    count: Annotated[
        int, typer.Option("--count", "-n", min=1, help="How many loops to make.")
    ] = 1,
    midi: Annotated[
        bool, typer.Option("--midi", help="Also write the arrangement as a MIDI file (<name>.mid).")
    ] = False,
    soundfont: Annotated[
        Path | None,
        typer.Option(help="Render every part through FluidSynth with this General MIDI "
                     ".sf2/.sf3; none: synthesise every part (by default brass and lead "
                     "guitar use a system SoundFont when one is installed)."),
    ] = None,
    controls: Annotated[
        Path | None,
        typer.Option(help="Composer controls: a JSON file (energy, density, brightness, ..., "
                     "form) or a loop's sidecar to make that loop again."),
    ] = None,
    sample_rate: opt.SampleRate = settings.SAMPLE_RATE,
    temperature: opt.Temperature = settings.TEMPERATURE,
    top_k: opt.TopK = settings.TOP_K,
    top_p: opt.TopP = settings.TOP_P,
    guidance: opt.Guidance = settings.GUIDANCE,
    batch_size: opt.BatchSize = None,
    continue_from: Annotated[
        Path | None,
        typer.Option("--continue", help="Model engines: continue this audio file."),
    ] = None,
    melody: Annotated[
        Path | None,
        typer.Option(help="Melody models (facebook/musicgen-melody): follow this tune."),
    ] = None,
    variations: Annotated[
        int, typer.Option(help="Model engines: also N variations of the same length (_v1...).")
    ] = 0,
    max_attempts: opt.MaxAttempts = settings.MAX_ATTEMPTS,
    catalog: opt.CatalogPath = None,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """Make seamless loops from a text prompt, in the asked key and tempo.

    Each file carries its loop points and is normalised to -14 LUFS with the true
    peak at or under -1 dBTP. Names are <prefix>_<date-time>_<seed>.<format>.

    Example: loopmill generate "mysterious synthwave, D minor, 90 BPM" --count 3
    """
    from loopmill.engines.params import GenerationParams
    from loopmill.pipeline.request import GenerateRequest

    if engine in ("samplernn", "lstm") and prompt.strip():
        from loopmill.engines.trained import PROMPT_NOTE

        err_console.print(f"note: {PROMPT_NOTE}")
    request = guarded(lambda: GenerateRequest(
        prompt=prompt, engine=engine, model=model, bpm=bpm, key=key, genre=genre,
        min_duration=min_duration, max_duration=max_duration, seed=seed,
        params=GenerationParams(temperature=temperature, top_k=top_k, top_p=top_p,
                                guidance=guidance),
        formats=tuple(fmt.split(",")), sample_rate=sample_rate, dest=dest,
        s3_endpoint_url=s3_endpoint_url, file_prefix=file_prefix,
        keep_metadata=keep_metadata, midi=midi, count=count, batch_size=batch_size,
        max_attempts=max_attempts, variations=variations,
        continue_from=None if continue_from is None else str(continue_from),
        melody=None if melody is None else str(melody),
        soundfont=None if soundfont is None else str(soundfont),
        controls=None if controls is None else str(controls),
        catalog=None if catalog is None else str(catalog)))
    with progress_bar() as progress:
        task = progress.add_task("generating", total=count)
        report = guarded(lambda: generate_files(
            request, on_item=lambda i, p: progress.advance(task)))
    if report.written:  # an empty table before the error says nothing
        print_table(
            f"loops in {dest}",
            ("file", "genre", "bpm", "key", "bars", "length s", "LUFS", "seam", "seed"),
            [[_name(path), str(loop.extra.get("genre", "-")), f"{loop.bpm:g}", str(loop.key),
              str(loop.bars), f"{loop.duration:.2f}", f"{loop.loudness_lufs:.1f}",
              f"{loop.seam_score:.2f}", str(loop.extra["seed"])]
             for path, loop in report.written],
        )
    for uri in report.spooled:
        say("kept in the local spool (destination down)", uri, style="yellow")
    for msg in report.failures:
        say("error", msg)
    if report.failures:
        raise typer.Exit(1)
    if report.spooled:
        spooled_exit()


def _name(path: Path | str) -> str:
    """A file's name: the last part of its path or URI."""
    return path.name if isinstance(path, Path) else path.rsplit("/", 1)[-1]
