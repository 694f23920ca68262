"""SampleRNN speed: training and generation, loopmill's generator vs a plain loop.

The default model (frame sizes 16 4, 2 GRU layers per tier, dim 1024, 256 mu-law
levels) with random weights — the arithmetic is the same as a trained one. It prints
training samples/s (batch 16 x 1024-sample TBPTT windows, forward + backward + Adam)
and generation samples/s for 1 and 64 streams, for

* ``loopmill``: ``SampleRNN.generate`` — tiers stepped only at frame boundaries, all
  streams in one batch, weight norm computed once, the sample MLP's embedding and
  input layer folded into a lookup table, no autograd;
* ``plain``: the per-sample Python loop as deepsound-style generators write it — the
  same tier schedule, but every call through the modules (weight norm recomputed, the
  embedding and a 4096x1024 input layer per sample) under ``torch.no_grad``.

Real-time factors are for 16 kHz audio. Anchor (the Dadabots): 4 min in 1000 s on a
V100, 0.24x real time per stream, 100 streams in parallel. Targets on a Hopper GPU:
>= 1x real time for one stream, >= 100x aggregated with batching.

Usage::

    python benchmarks/samplernn_bench.py --seconds 0.05           # CPU (minutes)
    python benchmarks/samplernn_bench.py --seconds 2 --device cuda
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import torch

from loopmill.models.samplernn import SampleRNN, SampleRNNConfig, dequantize, quantize


def plain_generate(model: SampleRNN, *, n_samples: int, batch_size: int) -> torch.Tensor:
    """The baseline: a straightforward per-sample loop through the modules."""
    cfg, lb = model.config, model.lookback
    dev = next(model.parameters()).device
    zero = int(quantize(torch.zeros(()), q_levels=cfg.q_levels, kind=cfg.quantization))
    seq = torch.full((batch_size, lb + n_samples), zero, dtype=torch.long, device=dev)
    tiers = list(model.tiers)
    hidden = model.initial_hidden(batch_size)
    ups: list[Any] = [None] * len(tiers)
    fs = cfg.frame_sizes
    with torch.no_grad():
        for i in range(n_samples):
            t = lb + i
            for k in reversed(range(len(tiers))):
                span = cfg.spans[k]
                if i % span:
                    continue
                frame = dequantize(seq[:, t - span: t], q_levels=cfg.q_levels,
                                   kind=cfg.quantization).unsqueeze(1) * 2.0
                cond = None
                if k + 1 < len(tiers):
                    sub = (i // span) % fs[k + 1]
                    cond = ups[k + 1][:, sub: sub + 1]
                ups[k], hidden[k] = tiers[k](frame, cond, hidden[k])
            c = ups[0][:, i % fs[0]: i % fs[0] + 1]
            logits = model.mlp(seq[:, t - fs[0]: t].unsqueeze(1), c)[:, 0]
            seq[:, t] = torch.multinomial(torch.softmax(logits, dim=-1), 1)[:, 0]
    return seq[:, lb:]


def timed(fn: Any, device: str) -> float:
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t = time.perf_counter()
    fn()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=0.05, help="audio per stream, at 16 kHz")
    ap.add_argument("--streams", default="1,64")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--train-steps", type=int, default=3)
    args = ap.parse_args()
    dev = args.device
    name = torch.cuda.get_device_name() if dev.startswith("cuda") else "CPU"
    torch.manual_seed(0)
    model = SampleRNN(SampleRNNConfig()).to(dev)
    sr = model.config.sample_rate
    print(f"# SampleRNN (16 4, n_rnn 2, dim 1024) on {name}, torch {torch.__version__}, "
          f"{time.strftime('%Y-%m-%d')}\n")
    # training: batch 16 x one 1024-sample window
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randint(0, 256, (16, model.lookback + 1024), device=dev)
    amp = dev.startswith("cuda")

    def step() -> None:
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            logits, _ = model(x)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 256).float(),
                                                     x[:, model.lookback:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()  # warm-up
    t = timed(lambda: [step() for _ in range(args.train_steps)], dev)
    train_sps = 16 * 1024 * args.train_steps / t
    print(f"training: {train_sps:,.0f} samples/s ({train_sps / sr:.2f}x real time)\n")
    model.eval()
    n = max(model.lookback, round(args.seconds * sr))
    print("| streams | loopmill samples/s | plain samples/s | speed-up | loopmill x real time"
          " (aggregate) | per stream |")
    print("|---:|---:|---:|---:|---:|---:|")
    for b in (int(s) for s in args.streams.split(",")):
        model.generate(n_samples=model.lookback, batch_size=b)  # warm-up
        t_fast = timed(lambda b=b: model.generate(n_samples=n, batch_size=b), dev)
        t_plain = timed(lambda b=b: plain_generate(model, n_samples=n, batch_size=b), dev)
        fast, plain = b * n / t_fast, b * n / t_plain
        print(f"| {b} | {fast:,.0f} | {plain:,.0f} | {fast / plain:.2f}x | {fast / sr:.3f}x | "
              f"{fast / b / sr:.4f}x |")
    print("\ntargets (Hopper GPU): >= 1x real time for 1 stream; >= 100x aggregate batched.")
    print("anchor: Dadabots on a V100, 0.24x real time per stream, 100 streams.")


if __name__ == "__main__":
    main()
