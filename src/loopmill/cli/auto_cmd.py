"""``loopmill auto``: bulk generation with prompts from a provider."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from loopmill import settings
from loopmill.cli import _options as opt
from loopmill.cli._common import err_console, fail, guarded, out_console, say, show_spooled

# auto's own options that take more than a line
Engine = Annotated[str, typer.Option(help="composer (offline), musicgen, samplernn or lstm.")]
Model = Annotated[
    str | None, typer.Option(help="musicgen: a hub id or folder; samplernn/lstm: a checkpoint.")]
Scheduler = Annotated[
    str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786.")]
Dest = Annotated[str | None, opt.dest(
    "Folder or fsspec URL (s3://bucket/prefix, memory://...); default: loops, with --resume: "
    "the run's own.")]
LlmBaseUrl = Annotated[
    str | None, typer.Option(help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1.")]
LlmApiKeyEnv = Annotated[str | None, typer.Option(
    metavar="NAME", help="Environment variable with the API key for --llm-base-url "
    "(OPENAI_API_KEY goes only to api.openai.com).")]
PromptFile = Annotated[
    Path | None, typer.Option(help="Prompts for --prompt-provider file (.txt or .jsonl).")]


def _resources(text: str | None) -> dict[str, float]:
    """``"GPU=1,MEM=4e9"`` -> ``{"GPU": 1.0, "MEM": 4e9}``."""
    out: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise fail(f"--resources {text!r}: write NAME=NUMBER pairs, e.g. GPU=1") from None
    return out


@opt.SAMPLING.after("sample_rate")
def auto(
    ctx: typer.Context,
    count: Annotated[
        int | None, opt.count("How many loops to make; leave out to run until Ctrl-C.")
    ] = None,
    prompt_provider: Annotated[
        str, typer.Option(help="template (offline), openai, ollama, file or manual.")
    ] = settings.PROMPT_PROVIDER,
    use_case: Annotated[
        str | None, typer.Option(help='Steers the prompts, e.g. "space shooter".')
    ] = None,
    engine: Engine = settings.ENGINE,
    model: Model = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: one per core).")
    ] = None,
    backend: Annotated[str, typer.Option(help="local (processes) or dask.")] = "local",
    scheduler: Scheduler = None,
    resources: Annotated[
        str | None, typer.Option(help="Dask resources each item holds, e.g. GPU=1.")
    ] = None,
    dest: Dest = None,
    fmt: opt.Formats = settings.COMPOSED_FORMAT,
    keep_metadata: Annotated[
        bool, opt.switch("--keep-metadata", "Write a JSON sidecar (spec, params, seed) per loop.")
    ] = False,
    file_prefix: opt.FilePrefix = settings.FILE_PREFIX,
    min_duration: Annotated[float, typer.Option(help=f"{opt.SHORTEST}.")] = settings.MIN_DURATION,
    max_duration: Annotated[float, typer.Option(help=f"{opt.LONGEST}.")] = settings.MAX_DURATION,
    seed: Annotated[
        int | None, typer.Option(help="Run seed; item i uses seed + i (recorded).")
    ] = None,
    retries: Annotated[int, typer.Option(help="Attempts after a failed item.")] = 2,
    llm_model: Annotated[str | None, typer.Option(help="Model name for openai/ollama.")] = None,
    llm_base_url: LlmBaseUrl = None,
    llm_api_key_env: LlmApiKeyEnv = None,
    prompt_file: PromptFile = None,
    s3_endpoint_url: opt.S3Endpoint = None,
    catalog: opt.CatalogPath = None,
    resume: Annotated[
        Path | None, typer.Option(help="Continue the run in this run folder.")
    ] = None,
    runs_dir: opt.RunsDir = None,
    sample_rate: opt.SampleRate = settings.SAMPLE_RATE,
    max_attempts: opt.MaxAttempts = settings.MAX_ATTEMPTS,
    batch_size: opt.BatchSize = None,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
    **sampling: Any,  # opt.SAMPLING: --temperature, --top-k, --top-p, --guidance
) -> None:
    """Make loops in bulk from generated prompts; resumable, Ctrl-C safe.

    Prompts are written while workers render, every loop lands in DEST and in the
    catalog, failures are retried and reported, and a run can be resumed. Ctrl-C
    finishes the loops in hand and stops.

    Example: loopmill auto --count 20 --use-case "space shooter" --format ogg,mp3
    """
    from loopmill.pipeline.auto import (  # lazy: fast start
        AutoAbortedError,
        AutoOptions,
        AutoProgress,
        AutoReport,
        run_auto,
    )

    opts = opt.build(
        AutoOptions, ctx.params, workers=workers or os.cpu_count() or 1,
        resources=_resources(resources),
        formats=tuple(f.strip().lower() for f in fmt.split(",") if f.strip()), params=sampling,
    )
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        refresh_per_second=2,  # the workers need the cores more than the bar does
    )

    def show(p: AutoProgress) -> None:
        rate = p.done / p.elapsed * 60 if p.elapsed > 0 else 0.0
        progress.update(task, completed=p.done, rate=f"{rate:.1f} loops/min")

    def go() -> AutoReport:
        try:
            return run_auto(
                opts, resume=resume, runs_dir=runs_dir, on_progress=show, handle_sigint=True,
                on_warning=lambda text: say("warning", text, style="yellow"),
            )
        except AutoAbortedError as exc:  # the command that goes on, in this command's words
            raise fail("stopped at once (a second Ctrl-C); the items in hand are made again "
                       f"by: loopmill auto --resume {exc.run_dir}", exc.exit_code) from None

    with progress:
        task = progress.add_task("auto", total=count, rate="")
        report = guarded(go)
    minutes = report.elapsed / 60
    rate = len(report.made) / minutes if minutes > 0 else 0.0
    out_console.print(
        f"made {len(report.made)} loops ({report.audio_seconds / 60:.1f} min of audio) in "
        f"{report.elapsed:.1f} s = {rate:.1f} loops/min -> {report.dest}"
        + (f" (+{report.resumed} from before)" if report.resumed else "")
    )
    out_console.print(f"run folder: {report.run_dir}")
    show_spooled(report.spooled)
    if report.delivered:
        out_console.print(f"delivered {len(report.delivered)} files from the local spool to "
                          f"{report.dest} (catalog updated)")
    from loopmill.cli._flags import failure_message

    for failure in report.failures:
        say("failed", failure_message(failure))
    if report.provider_error:
        say("error", failure_message(report.provider_error))
    if report.interrupted:
        err_console.print(f"stopped; continue with: loopmill auto --resume {report.run_dir}")
        raise typer.Exit(130)
    if not report.ok:
        raise typer.Exit(1)
    if report.still_spooled:
        from loopmill.pipeline.auto import SPOOLED_EXIT

        err_console.print(f"{len(report.still_spooled)} files are still in the local spool; "
                          f"send them with: loopmill spool deliver")
        raise typer.Exit(SPOOLED_EXIT)
