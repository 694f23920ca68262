"""``loopmill dataset prepare``, ``loopmill train samplernn|lstm`` and ``loopmill sample``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from loopmill import settings
from loopmill.cli import _options as opt
from loopmill.cli._common import (
    err_console,
    fail,
    guarded,
    out_console,
    progress_bar,
    say,
    show_spooled,
    spooled_exit,
)
from loopmill.training.train import TrainOptions

#: The flags' defaults: TrainOptions is the one declaration of the training settings.
_TRAIN = TrainOptions()

dataset_app = typer.Typer(help="Prepare your recordings for training.", no_args_is_help=True)
train_app = typer.Typer(help="Train a raw-audio model on a prepared dataset.",
                        no_args_is_help=True)

Dataset = Annotated[Path, typer.Option(help="A folder made by `loopmill dataset prepare`.")]
Run = Annotated[Path, typer.Option(help="Run folder: best.pt, last.pt, TensorBoard logs (tb/).")]
Device = Annotated[str, typer.Option(help="auto (cuda when present), cpu or cuda.")]

#: The options every ``train`` model takes after its own, in --help order.
_TRAINING = opt.OptionGroup.of(
    batch_size=(Annotated[int, typer.Option(help="Chunks per batch.")], _TRAIN.batch_size),
    lr=(Annotated[float, typer.Option(help="Adam learning rate.")], _TRAIN.lr),
    epochs=(Annotated[int, typer.Option(help="Passes over the training chunks.")],
            _TRAIN.epochs),
    max_steps=(Annotated[int | None, typer.Option(help="Stop after this many optimizer steps.")],
               _TRAIN.max_steps),
    resume=(Annotated[bool, opt.switch("--resume", "Continue run/last.pt exactly where it "
                                                   "stopped.")], False),
    seed=(Annotated[int, typer.Option(help="Initial weights and data order.")], _TRAIN.seed),
    device=(Device, _TRAIN.device),
    config=(Annotated[Path | None, opt.config("Run file (YAML: model:, train:); flags you type "
                                              "win over it.")], None),
    log_level=(opt.LogLevel, settings.LOG_LEVEL),
)


def _typed(ctx: typer.Context) -> set[str]:
    """The parameters given on the command line (not defaults)."""
    # by name: typer may bring its own copy of click's ParameterSource enum
    return {name for name in ctx.params
            if getattr(ctx.get_parameter_source(name), "name", "") in ("COMMANDLINE",
                                                                       "ENVIRONMENT")}


@dataset_app.command("prepare")
def prepare(
    sources: Annotated[list[Path], typer.Argument(help="Audio files or folders.")],
    out: Annotated[Path, opt.out("Dataset folder to write.")],
    sample_rate: Annotated[int, typer.Option(help="16000 for SampleRNN; 44100 for lstm.")] = 16000,
    chunk_seconds: Annotated[float, typer.Option(help="Chunk length.")] = 8.0,
    overlap: Annotated[float, typer.Option(help="Overlap of neighbouring chunks, 0 to <1.")] = 0.5,
    silence_db: Annotated[float, typer.Option(help="Quieter than this (dBFS) is silence.")] = -64.0,
    max_silence: Annotated[
        float, typer.Option(help="Drop chunks with a longer silence (seconds).")
    ] = 4.0,
    seed: Annotated[int, typer.Option(help="Shuffle seed of the 88/6/6 split.")] = 0,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """Cut recordings into mono chunks and split them train/val/test (88/6/6).

    Unreadable files are reported and skipped; running it again with the same sources
    and settings does nothing.

    Example: loopmill dataset prepare ~/albums --out data/ambient
    """
    from loopmill.training.dataset import prepare_dataset

    with progress_bar() as progress:
        task = progress.add_task("decoding", total=None)

        def seen(path: Path, error: str | None) -> None:
            progress.advance(task)
            if error:
                say("skipped", error, style="yellow")

        rep = guarded(lambda: prepare_dataset(
            sources, out=out, sample_rate=sample_rate, chunk_seconds=chunk_seconds,
            overlap=overlap, silence_db=silence_db, max_silence=max_silence, seed=seed,
            on_file=seen))
    c = rep.counts
    out_console.print(
        ("unchanged: " if rep.reused else "")
        + f"{sum(c.values())} chunks -> {out} (train {c.get('train', 0)}, val "
        f"{c.get('val', 0)}, test {c.get('test', 0)}; {rep.silent_chunks} silent dropped, "
        f"{len(rep.skipped)} files skipped)")


def _run_training(kind: str, *, dataset: Path, run: Path, config: dict[str, Any],
                  options: Any, resume: bool) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from loopmill.training.train import train

    total = options.max_steps
    progress = Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[loss]}"), console=err_console, transient=True)
    with progress:
        task = progress.add_task("train", total=total, loss="")

        def step(n: int, loss: float) -> None:
            progress.update(task, completed=n, loss=f"loss {loss:.4f}")

        rep = guarded(lambda: train(kind, dataset=dataset, run=run, config=config,
                                    options=options, resume=resume, on_step=step))
    for note in rep.notes:
        say("note", note, style="yellow")
    for h in rep.history[-3:]:
        out_console.print(", ".join(f"{k} {v:.4g}" for k, v in h.items()))
    saved = ", ".join(n for n in ("best.pt", "last.pt") if (run / n).is_file()) or "none"
    out_console.print(f"{rep.step} steps; checkpoints in {run} ({saved})")
    if rep.interrupted:
        err_console.print(f"stopped; continue with: loopmill train {kind} --dataset {dataset} "
                          f"--run {run} --resume")
        raise typer.Exit(130)


def _train(kind: str, ctx: typer.Context, model: dict[str, Any],
           typed: set[str] | None = None) -> None:
    """Resolve the run file, the model's flags and the training flags; train."""
    from loopmill.training.run_config import resolve

    p = ctx.params
    model, opts = guarded(lambda: resolve(
        kind, config_file=p["config"], model_flags=model, train_flags=dict(p),
        explicit=_typed(ctx) if typed is None else typed))
    _run_training(kind, dataset=p["dataset"], run=p["run"], config=model, options=opts,
                  resume=p["resume"])


@train_app.command("samplernn")
@_TRAINING.after()
def train_samplernn(
    ctx: typer.Context,
    dataset: Dataset,
    run: Run,
    frame_sizes: Annotated[str, typer.Option(help='Tier frame sizes, e.g. "16 4".')] = "16 4",
    n_rnn: Annotated[int, typer.Option(help="RNN layers per tier.")] = 2,
    dim: Annotated[int, typer.Option(help="Width of every tier.")] = 1024,
    rnn_type: Annotated[str, typer.Option(help="gru or lstm.")] = "gru",
    q_levels: Annotated[int, typer.Option(help="Quantization levels.")] = 256,
    quantization: Annotated[str, typer.Option(help="mu-law or linear.")] = "mu-law",
    seq_len: Annotated[
        int, typer.Option(help="Truncated BPTT window, samples.")
    ] = _TRAIN.seq_len,
    **training: Any,  # _TRAINING (read through ctx.params)
) -> None:
    """Train a multi-tier SampleRNN (Dadabots' settings by default).

    Example: loopmill train samplernn --dataset data/ambient --run runs/ambient
    """
    try:
        sizes = tuple(int(x) for x in frame_sizes.replace(",", " ").split())
    except ValueError:
        raise fail(f'--frame-sizes {frame_sizes!r}: give integers, e.g. "16 4"') from None
    _train("samplernn", ctx, {"frame_sizes": sizes, "n_rnn": n_rnn, "dim": dim,
                              "rnn_type": rnn_type, "q_levels": q_levels,
                              "quantization": quantization})


@train_app.command("lstm")
@_TRAINING.after()
def train_lstm(
    ctx: typer.Context,
    dataset: Dataset,
    run: Run,
    block_seconds: Annotated[float, typer.Option(help="Block length (GRUV: 0.25 s).")] = 0.25,
    domain: Annotated[str, typer.Option(help="time or fft blocks.")] = "time",
    hidden: Annotated[int, typer.Option(help="LSTM width.")] = 1024,
    n_layers: Annotated[int, typer.Option(help="LSTM layers.")] = 4,
    **training: Any,  # _TRAINING (read through ctx.params)
) -> None:
    """Train the GRUV-style LSTM composer (blocks of audio, next block predicted).

    Example: loopmill train lstm --dataset data/piano44k --run runs/piano
    """
    from loopmill.training.dataset import read_manifest

    sr = int(guarded(lambda: read_manifest(dataset))["sample_rate"])
    typed = _typed(ctx) | ({"block_size"} if "block_seconds" in _typed(ctx) else set())
    _train("lstm", ctx, {"block_size": max(1, round(block_seconds * sr)), "domain": domain,
                         "hidden": hidden, "n_layers": n_layers}, typed)


def sample(
    checkpoint: Annotated[Path, typer.Argument(help="A .pt file or a run folder.")],
    seconds: Annotated[float, typer.Option(help="Length of each sample.")] = 10.0,
    count: Annotated[
        int, opt.count("Streams, generated together in one batch.")
    ] = 1,
    temperature: Annotated[float, typer.Option(help="Higher is wilder (> 0).")] = 1.0,
    seed: opt.SeedOrDraw = -1,
    dest: opt.Destination = "samples",
    s3_endpoint_url: opt.S3Endpoint = None,
    fmt: opt.Formats = settings.RAW_FORMAT,
    device: Device = _TRAIN.device,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """Generate raw audio from a trained SampleRNN or LSTM checkpoint.

    For seamless loops from the same model use:
    loopmill generate --engine samplernn --model CHECKPOINT

    Example: loopmill sample runs/ambient --seconds 30 --count 4 --dest samples
    """
    from loopmill.pipeline.sample import sample_files

    rep = guarded(lambda: sample_files(checkpoint, seconds=seconds, count=count,
                                       temperature=temperature, seed=seed, dest=dest,
                                       format=fmt.lower(), device=device,
                                       s3_endpoint_url=s3_endpoint_url))
    made = count * seconds
    out_console.print(f"{len(rep.paths)} {rep.kind} samples ({made:g} s of audio, seed "
                      f"{rep.seed}) in {rep.seconds_taken:.1f} s = "
                      f"{made / max(rep.seconds_taken, 1e-9):.2f}x real time -> {dest}")
    show_spooled(rep.spooled)
    if rep.spooled:
        spooled_exit()
