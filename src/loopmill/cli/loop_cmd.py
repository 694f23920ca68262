"""``loopmill loop``: existing tracks in, bar-exact seamless loop files out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loopmill import settings
from loopmill.cli import _options as opt
from loopmill.cli._common import (
    guarded,
    out_console,
    print_table,
    progress_bar,
    say,
    show_spooled,
    spooled_exit,
)
from loopmill.pipeline.loop_files import (
    BatchReport,
    ItemResult,
    LoopOptions,
    expand_inputs,
    loop_files,
)


def _table(report: BatchReport, dest: str) -> None:
    rows = []
    for it in report.items:
        if it.ok and it.loop is not None:
            lp = it.loop
            meter = "" if lp["beats_per_bar"] == 4 else f" ({lp['beats_per_bar']}/4)"
            rows.append([
                it.source.name,
                f"{lp['bars']}{meter}",
                f"{lp['bpm']:.2f}",
                str(lp["key"] or "-"),
                f"{lp['duration']:.2f}",
                f"{lp['seam_score']:.2f}" if lp["seam_score"] is not None else "-",
                f"{it.seconds:.2f}",
                _name(it.output) if it.output else "-",
            ])
        else:
            # The reason is printed in full, one line per file, under the table.
            rows.append([it.source.name, "", "", "", "", "", f"{it.seconds:.2f}", "failed"])
    if rows:
        print_table(f"loops in {dest}",
                    ("file", "bars", "bpm", "key", "length s", "seam", "time s", "output"), rows)


def loop(
    ctx: typer.Context,
    inputs: Annotated[
        list[Path], typer.Argument(help="Audio files or folders (searched recursively).")
    ],
    dest: opt.Destination = "loops",
    s3_endpoint_url: opt.S3Endpoint = None,
    bars: Annotated[
        int | None, typer.Option(min=1, help="Exact loop length in bars (default: best fit).")
    ] = None,
    min_duration: Annotated[
        float | None,
        typer.Option(
            help="Shortest loop in seconds (before --bpm). Default: "
            f"{settings.TRACK_MIN_DURATION:g}, or what fits in a shorter clip."
        ),
    ] = None,
    max_duration: Annotated[
        float, typer.Option(help="Longest loop in seconds (before --bpm).")
    ] = LoopOptions.max_duration,
    bpm: Annotated[
        float | None,
        typer.Option(help="Time-stretch each loop to exactly this tempo (pitch kept), "
                     f"{settings.span(settings.TRACK_BPM_RANGE)}."),
    ] = None,
    beats_per_bar: Annotated[
        int | None, typer.Option(help="Force the meter: 3 or 4 (default: detected).")
    ] = None,
    fmt: opt.Formats = LoopOptions.format,
    loudness: Annotated[
        float | None,
        typer.Option(
            help="Normalise to this loudness in LUFS, true peak <= -1 dBTP "
            "(default: keep the level)."
        ),
    ] = None,
    keep_metadata: Annotated[
        bool, opt.switch("--keep-metadata", "Write a JSON sidecar with the loop's measurements.")
    ] = False,
    tag_only: Annotated[
        bool, opt.switch("--tag-only", "Write the loop points into a copy of the original file "
                         "instead: no re-encoding, the intro kept, a hard (phase-aligned) wrap, "
                         "same format.")
    ] = False,
    max_input_duration: Annotated[float, opt.max_input("inputs")] = LoopOptions.max_input_duration,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """Cut the best bar-exact seamless loop out of each track.

    Every output carries its loop points (WAV smpl chunk, Vorbis LOOPSTART/LOOPLENGTH,
    ID3 TXXX) and is named <name>_loop.<format> in --dest. Failed files are listed
    at the end; the others are still written.

    Example: loopmill loop song.ogg --dest loops --bars 8 --bpm 90 --format ogg
    """
    opts = opt.build(LoopOptions, ctx.params, format=fmt.lower(), target_lufs=loudness)
    total = len(expand_inputs(inputs))
    with progress_bar() as progress:
        task = progress.add_task("looping", total=total)

        def step(item: ItemResult) -> None:
            progress.update(task, advance=1, description=f"looping {item.source.name}")

        report = guarded(lambda: loop_files(inputs, dest=dest, options=opts, on_item=step,
                                            s3_endpoint_url=s3_endpoint_url))
    _table(report, dest)
    failed = report.failures
    done = len(report.items) - len(failed)
    out_console.print(f"{done} loop(s) written to {dest}, {len(failed)} failed")
    show_spooled(report.spooled)
    from loopmill.cli._flags import failure_message

    for it in failed:
        if it.error is not None:
            say("error", failure_message(it.error))
    if failed:
        raise typer.Exit(1)
    if report.spooled:
        spooled_exit()


def _name(path: Path | str) -> str:
    """A file's name: the last part of its path or URI."""
    return path.name if isinstance(path, Path) else path.rsplit("/", 1)[-1]
