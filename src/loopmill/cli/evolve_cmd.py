"""``loopmill evolve``: evolutionary search toward a target track or a listener's taste."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from loopmill import settings
from loopmill.cli import _options as opt
from loopmill.cli._common import (
    err_console,
    guarded,
    out_console,
    progress_bar,
    say,
    show_spooled,
    spooled_exit,
)

# evolve's own options that take more than a line
Config = Annotated[Path | None, opt.config(
    "Run file (YAML, sections as examples/evolve.yaml); flags win over it.")]
Genome = Annotated[str | None, typer.Option(
    help="composer (default), prompt or embedding (MusicGen).")]
Search = Annotated[str | None, typer.Option(
    help="cmaes (default for vectors), ga, snes, surrogate, random; grammar (default for "
    "prompts), llm-evolve, full-llm.")]
Fitness = Annotated[str | None, typer.Option(
    help="music (toward --target), user (a saved listener) or dynamic (learned from ratings).")]
Prompt = Annotated[str | None, typer.Option(
    help='Start prompt / genre, e.g. "dark synthwave".')]
Feedback = Annotated[str | None, typer.Option(
    help="none, synthetic (a simulated listener) or terminal (you rate each candidate 1-5).")]


def evolve(
    ctx: typer.Context,
    config: Config = None,
    genome: Genome = None,
    search: Search = None,
    fitness: Fitness = None,
    target: Annotated[
        list[Path] | None, typer.Option(help="Target audio file; repeat for several.")
    ] = None,
    prompt: Prompt = None,
    generations: Annotated[int | None, typer.Option(help="Generations to run.")] = None,
    population: Annotated[
        int | None, typer.Option(help="Candidates per generation (>= 2).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Same seed, same run.")] = None,
    feedback: Feedback = None,
    embedder: Annotated[
        str | None, typer.Option(help="features (default, offline) or clap:PATH.")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Render processes.")] = None,
    dest: Annotated[
        str | None, opt.dest("Where each generation's best loop goes: a folder or fsspec URL "
                             "(s3://bucket/prefix, ...); the run folder stays local.")
    ] = None,
    s3_endpoint_url: opt.S3Endpoint = None,
    runs: Annotated[Path | None, opt.runs_dir("--runs")] = None,
    name: Annotated[
        str | None, typer.Option(help="Run folder name (default evolve-<time>).")
    ] = None,
    catalog: Annotated[Path | None, typer.Option(help="SQLite catalog for the best loops.")] = None,
    resume: Annotated[
        Path | None, typer.Option(help="Continue this run folder where it stopped.")
    ] = None,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """Evolve loops toward a target track or a listener's taste (offline by default).

    Example: loopmill evolve --target my_theme.ogg --generations 10 --population 8
    """
    from loopmill.evolve.run import evolve as run

    # every other option, when given, wins over its key in the run file
    overrides = opt.as_text({k: v for k, v in ctx.params.items() if k not in ("config", "resume")})

    def ask(cand: Any) -> float | None:
        err_console.print(f"\n{cand.id}: {cand.path}  {cand.genome}")
        answer = typer.prompt("  stars 1-5 (enter: skip)", default="", show_default=False)
        try:
            stars = float(answer) if answer.strip() else None
        except ValueError:
            stars = None
        if stars is not None and not 1 <= stars <= 5:
            say("  skipped", "not 1-5", style="yellow")
            return None
        return stars

    with progress_bar() as progress:
        gens = progress.add_task("generations", total=generations)
        evals = progress.add_task("evaluations", total=None)

        def row(r: dict[str, Any]) -> None:
            progress.advance(gens)
            progress.update(gens, description=f"generations (best {r['best_so_far']:.3f})")

        report = guarded(lambda: run(
            config, overrides=overrides, resume=resume, ask_rating=ask,
            on_generation=row, on_evaluated=lambda n: progress.advance(evals, n)))
    for r in report.history:
        out_console.print(f"generation {r['generation']}: best {r['best']:.4f}  mean "
                          f"{r['mean']:.4f}  diversity {r['diversity']:.3f}"
                          + (f"  -> {r['best_file']}" if r.get("best_file") else ""))
    if report.fallbacks:
        say(f"{report.fallbacks} LLM answer(s) replaced by grammar operators",
            f"last: {report.fallback_reasons[-1]}", style="yellow")
    out_console.print(f"run: {report.run_dir}")
    show_spooled(report.spooled)
    for line in report.publish_errors:  # the run went on; say which loops are missing
        say("error", f"best loop not written, {line}")
    if report.publish_errors:
        raise typer.Exit(1)
    if report.spooled:
        spooled_exit()
