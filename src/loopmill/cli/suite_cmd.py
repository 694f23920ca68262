"""``loopmill suite``: game-music phases that share key, tempo and bar count."""

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

_SUITE_FORMATS = ",".join(settings.SUITE_FORMATS)

# suite's own options that take more than a line
Dest = Annotated[
    str, opt.dest("Parent folder or fsspec URL (s3://bucket/prefix) of the suite's folder.")]
Engine = Annotated[str, typer.Option(
    help="composer (built-in, offline) or any engine `loopmill engines` lists; a model "
    "engine's phases are cut to the same bars.")]
Model = Annotated[
    str | None, typer.Option(help="A model engine's hub id, folder or checkpoint.")]


def suite(
    ctx: typer.Context,
    use_case: Annotated[
        str, typer.Option(help='What the music is for, e.g. "space shooter".')
    ] = "game",
    phases: Annotated[
        str, typer.Option(help="Comma-separated phases (calm, explore, tension, combat, boss, "
                          "menu, stealth, victory, defeat, or your own words).")
    ] = "calm,explore,tension,combat,boss",
    phases_file: Annotated[
        Path | None, typer.Option(help="YAML with phases: [{name, prompt, energy}] and more.")
    ] = None,
    bpm: Annotated[float | None, typer.Option(help="Shared tempo (default: chosen).")] = None,
    key: Annotated[str | None, typer.Option(help='Shared key, e.g. "D minor".')] = None,
    genre: Annotated[str | None, typer.Option(help="Shared genre (default: from the use case).")
                     ] = None,
    min_duration: Annotated[float | None, typer.Option(help=f"{opt.SHORTEST}.")] = None,
    max_duration: Annotated[float | None, typer.Option(help=f"{opt.LONGEST}.")] = None,
    seed: Annotated[int | None, typer.Option(help="Phase i uses seed + i (recorded).")] = None,
    fmt: opt.Formats = _SUITE_FORMATS,
    dest: Dest = "suites",
    s3_endpoint_url: opt.S3Endpoint = None,
    sample_rate: opt.SampleRate = settings.SAMPLE_RATE,
    engine: Engine = settings.ENGINE,
    model: Model = None,
    catalog: opt.CatalogPath = None,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """Make one loop per game phase, all in one key, tempo and length.

    Writes the files, a manifest.json and a verification report (report.md); exits 1
    if any check fails.

    Example: loopmill suite --use-case "space shooter" --phases calm,explore,combat,boss
    """
    # lazy: keeps every command's start fast
    from loopmill.pipeline.request import GenerateRequest
    from loopmill.pipeline.suite import make_suite

    names = [p.strip() for p in phases.split(",") if p.strip()]
    request = guarded(lambda: opt.build(GenerateRequest, ctx.params,
                                        formats=tuple(fmt.split(","))))
    with progress_bar() as progress:
        task = progress.add_task("suite", total=len(names))
        result = guarded(lambda: make_suite(
            request, use_case=use_case, phases=names, phases_file=phases_file,
            on_phase=lambda _: progress.advance(task)))
    s = result.manifest["suite"]
    by_phase: dict[str, list[bool]] = {}
    for f in result.report["files"]:
        by_phase.setdefault(f["phase"], []).append(f["ok"])
    rows = [[p["phase"], ", ".join(p["files"].values()), f"{p['loudness_lufs']:.1f}",
             f"{p['seam_score']:.2f}", "PASS" if all(by_phase.get(p["phase"], [False])) else "FAIL"]
            for p in result.manifest["phases"]]
    print_table(f"{result.directory}: {s['genre']}, {s['bpm']:g} BPM, {s['key']}, "
                f"{s['bars']} bars", ("phase", "files", "LUFS", "seam", "checks"), rows)
    out_console.print(f"manifest: {result.directory}/manifest.json; report: "
                      f"{result.directory}/report.md")
    show_spooled(result.spooled)
    if not result.ok:
        say("error", "some checks failed; see report.md")
        raise typer.Exit(1)
    if result.spooled:
        spooled_exit()
