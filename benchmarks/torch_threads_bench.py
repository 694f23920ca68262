"""Torch intra-op threads for loopmill's small models: 1 vs 2, on idle and on busy cores.

loopmill runs a model under ``loopmill._threads.SMALL_MODEL_PARAMS`` parameters on one
CPU thread (``torch_threads``). This measures why, side by side in one run, for:

* the README's toy SampleRNN (frame sizes 4 2, dim 64): training steps and generation;
* the default SampleRNN (16 4, n_rnn 2, dim 1024): generation of one stream.

Each case runs with 1 and with 2 intra-op threads, first as the machine is, then with
a competing process spinning on one core (what a second command, a test run or a
worker does on a 2-core machine). The table shows seconds per case and the ratio
2 threads / 1 thread (> 1: two threads are slower).

Usage::

    python benchmarks/torch_threads_bench.py
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable

import torch

from loopmill.models.samplernn import SampleRNN, SampleRNNConfig


def _spin(stop: mp.synchronize.Event) -> None:
    x = 0
    while not stop.is_set():
        x = (x * 31 + 7) % 1_000_003


def _cases() -> dict[str, Callable[[], None]]:
    torch.manual_seed(0)
    toy = SampleRNN(SampleRNNConfig(frame_sizes=(4, 2), dim=64, q_levels=64, n_rnn=1,
                                    sample_rate=8000))
    big = SampleRNN(SampleRNNConfig()).eval()
    opt = torch.optim.Adam(toy.parameters(), lr=1e-3)
    x = torch.randint(0, 64, (8, toy.lookback + 256))

    def train_toy() -> None:
        for _ in range(20):
            logits, _ = toy(x)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 64),
                                                     x[:, toy.lookback:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()

    return {
        "toy SampleRNN: 20 training steps": train_toy,
        "toy SampleRNN: 1 s of audio at 8 kHz": lambda: toy.generate(n_samples=8000,
                                                                     batch_size=1),
        "default SampleRNN: 1500 samples": lambda: big.generate(n_samples=1500,
                                                                batch_size=1),
    }


def _time(fn: Callable[[], None], threads: int, repeats: int = 3) -> float:
    torch.set_num_threads(threads)
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    cases = _cases()
    print(f"# torch {torch.__version__} intra-op threads, {time.strftime('%Y-%m-%d')}, "
          f"{mp.cpu_count()} cores\n")
    print("| case | load | 1 thread s | 2 threads s | 2 / 1 |")
    print("|---|---|---:|---:|---:|")
    for load in ("as is", "1 core busy"):
        stop = mp.Event()
        spinner = None
        if load != "as is":
            spinner = mp.Process(target=_spin, args=(stop,), daemon=True)
            spinner.start()
        try:
            for name, fn in cases.items():
                one, two = _time(fn, 1), _time(fn, 2)
                print(f"| {name} | {load} | {one:.2f} | {two:.2f} | {two / one:.2f}x |",
                      flush=True)
        finally:
            stop.set()
            if spinner is not None:
                spinner.join()


if __name__ == "__main__":
    main()
