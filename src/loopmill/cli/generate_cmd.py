"""``loopmill generate``: a text prompt in, seamless loop files out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from loopmill import settings
from loopmill.cli import _options as opt
from loopmill.cli._common import (
    err_console,
    guarded,
    print_table,
    progress_bar,
    say,
    show_spooled,
    spooled_exit,
)
from loopmill.pipeline.generate import generate_files

_TEMPI = settings.span(settings.BPM_RANGE)

# generate's own options that take more than a line
Engine = Annotated[str, typer.Option(
    help="composer (built-in, offline), musicgen, samplernn or lstm (the last three need "
    "--model).")]
Model = Annotated[str | None, typer.Option(
    help=f"musicgen: a hub id ({settings.MUSICGEN_MODEL}) or a folder; samplernn/lstm: a "
    "checkpoint from `loopmill train`.")]
Soundfont = Annotated[Path | None, typer.Option(
    help="Render every part through FluidSynth with this General MIDI .sf2/.sf3; none: "
    "synthesise every part (by default brass and lead guitar use a system SoundFont when one "
    "is installed).")]
Controls = Annotated[Path | None, typer.Option(
    help="Composer controls: a JSON file (energy, density, brightness, ..., form) or a loop's "
    "sidecar to make that loop again.")]
ContinueFrom = Annotated[
    Path | None, typer.Option("--continue", help="Model engines: continue this audio file.")]
Melody = Annotated[
    Path | None, typer.Option(help="Melody models (facebook/musicgen-melody): follow this tune.")]
Variations = Annotated[
    int, typer.Option(help="Model engines: also N variations of the same length (_v1...).")]


@opt.SAMPLING.after("sample_rate")
def generate(
    ctx: typer.Context,
    prompt: Annotated[
        str, typer.Argument(help='What to make, e.g. "calm lofi hip hop, F major, 80 BPM".')
    ] = "",
    engine: Engine = settings.ENGINE,
    model: Model = None,
    bpm: Annotated[
        float | None, typer.Option(help=f"Tempo, {_TEMPI} (wins over the text).")
    ] = None,
    key: Annotated[str | None, typer.Option(help='Key, e.g. "D minor" or "F#".')] = None,
    genre: Annotated[str | None, typer.Option(help="Genre, e.g. synthwave, lofi, jazz.")] = None,
    min_duration: Annotated[
        float | None, typer.Option(help=f"{opt.SHORTEST} (default {settings.MIN_DURATION:g}).")
    ] = None,
    max_duration: Annotated[
        float | None, typer.Option(help=f"{opt.LONGEST} (default {settings.MAX_DURATION:g}).")
    ] = None,
    seed: opt.SeedOrDraw = -1,
    fmt: opt.Formats = settings.COMPOSED_FORMAT,
    dest: opt.Destination = "loops",
    s3_endpoint_url: opt.S3Endpoint = None,
    file_prefix: opt.FilePrefix = settings.FILE_PREFIX,
    keep_metadata: Annotated[
        bool, opt.switch("--keep-metadata", "Write a JSON sidecar with the spec, params and "
                         "seed used.")
    ] = False,
    count: Annotated[int, opt.count("How many loops to make.", min=1)] = 1,
    midi: Annotated[
        bool, opt.switch("--midi", "Also write the arrangement as a MIDI file (<name>.mid).")
    ] = False,
    soundfont: Soundfont = None,
    controls: Controls = None,
    sample_rate: opt.SampleRate = settings.SAMPLE_RATE,
    batch_size: opt.BatchSize = None,
    continue_from: ContinueFrom = None,
    melody: Melody = None,
    variations: Variations = 0,
    max_attempts: opt.MaxAttempts = settings.MAX_ATTEMPTS,
    catalog: opt.CatalogPath = None,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
    **sampling: Any,  # opt.SAMPLING: --temperature, --top-k, --top-p, --guidance
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
    request = guarded(lambda: opt.build(GenerateRequest, ctx.params,
                                        params=GenerationParams(**sampling),
                                        formats=tuple(fmt.split(","))))
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
    show_spooled(report.spooled)
    from loopmill.cli._flags import failure_message

    for failure in report.failures:
        say("error", failure_message(failure))
    if report.failures:
        raise typer.Exit(1)
    if report.spooled:
        spooled_exit()


def _name(path: Path | str) -> str:
    """A file's name: the last part of its path or URI."""
    return path.name if isinstance(path, Path) else path.rsplit("/", 1)[-1]
