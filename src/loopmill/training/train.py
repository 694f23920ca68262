"""``loopmill train samplernn|lstm``: training loops with exact resume.

SampleRNN trains with truncated backpropagation through time: each batch of chunks is
walked in windows of ``seq_len`` samples, the RNN state carried (detached) from one
window to the next. The LSTM composer trains on whole chunks as sequences of blocks.
Both use Adam with gradient clipping, bf16 autocast on a GPU, a validation pass per
epoch (SampleRNN: negative log-likelihood in bits per sample; LSTM: mean squared
error), ``best.pt`` and ``last.pt`` in the run folder, and TensorBoard logs with audio
samples when ``tensorboard`` is installed.

``last.pt`` records the exact position (epoch, batch, window) and the carried state,
and the data order is a function of the seed and the epoch: a resumed run follows the
same loss curve as one that was never stopped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from loopmill.errors import BadInputError

__all__ = ["TrainOptions", "TrainReport", "train"]


@dataclass(frozen=True)
class TrainOptions:
    """How to train (the model's own hyperparameters go in its config)."""

    epochs: int = 10
    max_steps: int | None = None
    batch_size: int = 16
    seq_len: int = 1024
    lr: float = 1e-3
    clip: float = 1.0
    seed: int = 0
    checkpoint_every: int = 500
    sample_seconds: float = 2.0
    device: str = "auto"

    def check(self) -> None:
        """Refuse impossible settings with a one-line message."""
        for name in ("epochs", "batch_size", "seq_len", "checkpoint_every"):
            if int(getattr(self, name)) < 1:
                raise BadInputError(f"{name} {getattr(self, name)} must be at least 1",
                                    field=name)
        if self.max_steps is not None and self.max_steps < 1:
            raise BadInputError(f"max_steps {self.max_steps} must be at least 1",
                                field="max_steps")
        if not self.lr > 0:
            raise BadInputError(f"lr {self.lr:g} must be positive, e.g. 0.001", field="lr")


@dataclass
class TrainReport:
    """What a training run did."""

    run: Path
    step: int = 0
    epoch: int = 0
    losses: list[float] = field(default_factory=list)
    history: list[dict[str, float]] = field(default_factory=list)
    best_val: float = math.inf
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)  # one line each, for the user


class _SampleRNNTask:
    """Chunks -> quantized windows; loss in nats per sample."""

    def __init__(self, model: Any, opts: TrainOptions) -> None:
        self.model, self.opts = model, opts
        if opts.seq_len % model.lookback:
            raise BadInputError(f"seq_len {opts.seq_len} must be a multiple of the top "
                                f"frame span {model.lookback}", field="seq_len")

    def prepare(self, chunks: Any) -> Any:
        from loopmill.models.samplernn import quantize

        cfg = self.model.config
        return quantize(chunks, q_levels=cfg.q_levels, kind=cfg.quantization)

    def n_windows(self, q: Any) -> int:
        return int((q.shape[1] - self.model.lookback) // self.opts.seq_len)

    def loss(self, q: Any, w: int, hidden: Any) -> tuple[Any, Any]:
        import torch.nn.functional as F

        lb, n = self.model.lookback, self.opts.seq_len
        x = q[:, w * n: w * n + lb + n]
        logits, hidden = self.model(x, hidden)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(),
                               x[:, lb:].reshape(-1))
        return loss, hidden

    def val_metric(self, mean_loss: float) -> dict[str, float]:
        return {"val_bits_per_sample": mean_loss / math.log(2)}

    def sample(self, seconds: float, generator: Any) -> np.ndarray:
        from loopmill.models.samplernn import dequantize

        cfg = self.model.config
        n = max(self.model.lookback, round(seconds * cfg.sample_rate))
        q = self.model.generate(n_samples=n, generator=generator)
        return dequantize(q, q_levels=cfg.q_levels, kind=cfg.quantization)[0].cpu().numpy()


class _LSTMTask:
    """Chunks -> blocks; one window per chunk; loss is the next-block MSE."""

    def __init__(self, model: Any, opts: TrainOptions) -> None:
        self.model, self.opts = model, opts
        self._seed_blocks: Any = None

    def prepare(self, chunks: Any) -> Any:
        from loopmill.models.lstm_composer import audio_to_blocks

        blocks = audio_to_blocks(chunks, config=self.model.config)
        if blocks.shape[1] < 2:
            raise BadInputError("chunks hold fewer than 2 blocks; prepare the dataset with "
                                "longer chunk_seconds or train with a smaller block size",
                                field="chunk_seconds")
        if self._seed_blocks is None:
            self._seed_blocks = blocks[:1, : max(1, blocks.shape[1] // 2)].clone()
        return blocks

    def n_windows(self, blocks: Any) -> int:
        return 1

    def loss(self, blocks: Any, w: int, hidden: Any) -> tuple[Any, Any]:
        import torch.nn.functional as F

        pred, _ = self.model(blocks[:, :-1])
        return F.mse_loss(pred.float(), blocks[:, 1:].float()), None

    def val_metric(self, mean_loss: float) -> dict[str, float]:
        return {"val_mse": mean_loss}

    def sample(self, seconds: float, generator: Any) -> np.ndarray:
        from loopmill.models.lstm_composer import blocks_to_audio

        cfg = self.model.config
        if self._seed_blocks is None:
            return np.zeros(0, dtype=np.float32)
        n = max(1, round(seconds * cfg.sample_rate / cfg.block_size))
        seed = self._seed_blocks.to(next(self.model.parameters()).device)
        out = self.model.continue_(seed, n_blocks=n)
        return blocks_to_audio(out, config=cfg)[0].cpu().numpy()


def _device(name: str) -> str:
    import torch

    if name != "auto":
        return name
    return "cuda" if torch.cuda.is_available() else "cpu"


def _detach(hidden: Any) -> Any:
    if hidden is None:
        return None
    if isinstance(hidden, (list, tuple)):
        return type(hidden)(_detach(h) for h in hidden)
    return hidden.detach()


def train(
    kind: str,
    *,
    dataset: str | Path,
    run: str | Path,
    config: dict[str, Any] | None = None,
    options: TrainOptions | None = None,
    resume: bool = False,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainReport:
    """Train a SampleRNN (``kind="samplernn"``) or LSTM composer (``"lstm"``).

    Parameters
    ----------
    dataset : path
        A folder made by ``loopmill dataset prepare``.
    run : path
        Where ``last.pt``, ``best.pt`` and the TensorBoard logs go.
    config : dict, optional
        Model hyperparameters (the config dataclass's fields); the sample rate is the
        dataset's. Ignored on resume: the checkpoint's own config is used.
    options : TrainOptions, optional
    resume : bool
        Continue from ``run/last.pt`` exactly where it stopped.
    on_step : callable, optional
        Called with the step number and the training loss after every step.

    Returns
    -------
    TrainReport
        ``interrupted`` is True after Ctrl-C (a checkpoint was saved first).
    """
    from loopmill._extras import require

    torch = require("torch", what="training", extra="train")

    from loopmill.training.checkpoint import build_model, load_checkpoint, save_checkpoint
    from loopmill.training.dataset import load_split, read_manifest

    opts = options or TrainOptions()
    opts.check()
    run = Path(run)
    man = read_manifest(dataset)
    state: dict[str, Any] | None = None
    if resume:
        state = load_checkpoint(run / "last.pt")
        if state["kind"] != kind:
            raise BadInputError(f"{run} holds a {state['kind']} run; use `train {state['kind']}`")
        cfg = dict(state["config"])
    else:
        cfg = {**(config or {}), "sample_rate": int(man["sample_rate"])}
    train_x = torch.from_numpy(load_split(dataset, "train"))
    val_x = torch.from_numpy(load_split(dataset, "val"))
    if len(train_x) == 0:
        raise BadInputError(f"{dataset} has no training chunks; prepare more audio")
    dev = _device(opts.device)
    from loopmill.training import guards

    # no training window, or a model that cannot fit: refused before a byte is allocated
    guards.preflight(kind, cfg, batch_size=opts.batch_size, seq_len=opts.seq_len,
                     chunk_samples=int(train_x.shape[1]), sr=int(man["sample_rate"]), device=dev)
    torch.manual_seed(opts.seed)  # the initial weights
    model = build_model(kind, cfg).to(dev)
    if dev == "cpu":
        from loopmill._threads import use_torch_threads

        use_torch_threads(model)  # small models: one thread (see _threads.torch_threads)
    task: Any = _SampleRNNTask(model, opts) if kind == "samplernn" else _LSTMTask(model, opts)
    from loopmill.training.run_config import write_run_config

    # every run says how it was made (once its settings have built a model)
    write_run_config(run, model=model.config.to_dict(), options=opts)
    optim = torch.optim.Adam(model.parameters(), lr=opts.lr)
    report = TrainReport(run=run)
    epoch = batch = window = 0
    hidden: Any = None
    if state is not None:
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optimizer"])
        report.step, report.best_val = int(state["step"]), float(state["best_val"])
        report.history = list(state["history"])
        epoch, batch, window = int(state["epoch"]), int(state["batch"]), int(state["window"])
        hidden = state.get("hidden")
        if hidden is not None:
            hidden = [h.to(dev) if isinstance(h, torch.Tensor) else tuple(x.to(dev) for x in h)
                      for h in hidden]
    writer = _writer(run)
    if writer is None:
        report.notes.append(
            "TensorBoard logs are off: the tensorboard package is not installed "
            "(pip install 'loopmill[train]' brings it)"
        )
    amp = dev.startswith("cuda")

    def checkpoint(name: str) -> None:
        if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
            raise guards.diverged(report.step, "weights", lr=opts.lr, run=run)
        save_checkpoint(run / name, {
            "kind": kind, "config": model.config.to_dict(), "model": model.state_dict(),
            "optimizer": optim.state_dict(), "step": report.step, "epoch": epoch,
            "batch": batch, "window": window, "hidden": _detach(hidden),
            "best_val": report.best_val, "history": report.history,
            "options": asdict(opts), "dataset": str(dataset),
            # what the LSTM composer continues when sampling without a seed clip
            "seed_audio": train_x[: min(4, len(train_x))].reshape(-1).clone(),
        })

    n_batches = math.ceil(len(train_x) / opts.batch_size)
    try:
        while epoch < opts.epochs:
            order = np.random.default_rng(opts.seed + epoch).permutation(len(train_x))
            while batch < n_batches:
                idx = order[batch * opts.batch_size: (batch + 1) * opts.batch_size]
                data = task.prepare(train_x[torch.from_numpy(idx)].to(dev))
                while window < task.n_windows(data):
                    model.train()
                    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
                        loss, hidden = task.loss(data, window, hidden)
                    value = float(loss.detach())
                    if not math.isfinite(value):  # stop before it reaches the weights
                        raise guards.diverged(report.step + 1, f"loss ({value})", lr=opts.lr,
                                              run=run)
                    optim.zero_grad(set_to_none=True)
                    loss.backward()
                    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), opts.clip)
                    if not bool(torch.isfinite(norm)):
                        raise guards.diverged(report.step + 1, "gradient", lr=opts.lr, run=run)
                    optim.step()
                    hidden = _detach(hidden)
                    window += 1
                    report.step += 1
                    report.losses.append(value)
                    if writer is not None:
                        writer.add_scalar("train/loss", value, report.step)
                    if on_step:
                        on_step(report.step, value)
                    if report.step % opts.checkpoint_every == 0:
                        checkpoint("last.pt")
                    if opts.max_steps is not None and report.step >= opts.max_steps:
                        checkpoint("last.pt")
                        return _done(report, epoch, writer)
                batch, window, hidden = batch + 1, 0, None
            metrics = _validate(task, model, val_x, dev, opts)
            metrics["epoch"], metrics["step"] = epoch + 1, report.step
            report.history.append(metrics)
            val = next(iter(v for k, v in metrics.items() if k.startswith("val_")), math.inf)
            epoch, batch = epoch + 1, 0
            if writer is not None:
                for k, v in metrics.items():
                    if k.startswith("val_"):
                        writer.add_scalar(f"val/{k[4:]}", v, report.step)
                _log_audio(writer, task, model, opts, report.step)
            if val < report.best_val:
                report.best_val = val
                checkpoint("best.pt")
            checkpoint("last.pt")
    except KeyboardInterrupt:
        checkpoint("last.pt")  # Ctrl-C: nothing trained is lost (unless it is NaN)
        report.interrupted = True
    return _done(report, epoch, writer)


def _done(report: TrainReport, epoch: int, writer: Any) -> TrainReport:
    report.epoch = epoch
    if writer is not None:
        writer.close()
    return report


def _validate(task: Any, model: Any, val_x: Any, dev: str, opts: TrainOptions) -> dict[str, float]:
    import torch

    if len(val_x) == 0:
        return {}
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(val_x), opts.batch_size):
            data = task.prepare(val_x[start: start + opts.batch_size].to(dev))
            hidden = None
            for w in range(task.n_windows(data)):
                loss, hidden = task.loss(data, w, hidden)
                total += float(loss) * data.shape[0]
                count += data.shape[0]
    metrics: dict[str, float] = task.val_metric(total / max(count, 1))
    return metrics


def _writer(run: Path) -> Any:
    """A TensorBoard writer in ``run/tb``, or None without the tensorboard package."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(log_dir=str(run / "tb"))


def _log_audio(writer: Any, task: Any, model: Any, opts: TrainOptions, step: int) -> None:
    import torch

    if opts.sample_seconds <= 0:
        return
    model.eval()
    t = time.perf_counter()
    audio = task.sample(opts.sample_seconds, torch.Generator(
        device=next(model.parameters()).device).manual_seed(opts.seed))
    writer.add_audio("sample", torch.from_numpy(np.clip(audio, -1, 1))[None], step,
                     sample_rate=model.config.sample_rate)
    writer.add_scalar("sample/seconds_to_make", time.perf_counter() - t, step)
