"""What the denormal guard saves: pedalboard filters fed mostly silence, with and without it.

A ladder filter (the composer's per-stem filter) and a reverb run over a sparse signal
(a short burst every 4 s, silence between, where their state decays through the
denormal range), plain and inside :func:`loopmill.audio.denormals.no_denormals`,
alternating, median thread CPU time of ``--repeat`` runs. The guard's effect on the
output is tested in ``tests/audio/test_denormals.py``; this only times it.

Usage: ``python benchmarks/denormals_bench.py [--seconds 20] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pedalboard

from loopmill.audio import denormals
from loopmill.audio.denormals import no_denormals

SR = 44100


def _sparse(seconds: int) -> np.ndarray:
    x = np.zeros((2, seconds * SR), dtype=np.float32)
    rng = np.random.default_rng(0)
    for k in range(0, seconds, 4):
        x[:, k * SR:k * SR + SR // 4] = rng.uniform(-0.3, 0.3, (2, SR // 4))
    return x


def _cpu(make: Callable[[], pedalboard.Plugin], x: np.ndarray, *, guard: bool) -> float:
    plugin = make()
    t = time.thread_time()
    if guard:
        with no_denormals():
            plugin(x, SR)
    else:
        plugin(x, SR)
    return time.thread_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if not denormals.supported():
        print("no FTZ/DAZ control on this platform: the guard does nothing here")
        return
    x = _sparse(args.seconds)
    plugins: dict[str, Callable[[], pedalboard.Plugin]] = {
        "ladder LPF24, 2 kHz": lambda: pedalboard.LadderFilter(
            mode=pedalboard.LadderFilter.Mode.LPF24, cutoff_hz=2000.0, resonance=0.2),
        "reverb, room 0.8": lambda: pedalboard.Reverb(room_size=0.8, wet_level=0.3),
    }
    print(f"# {args.seconds} s sparse stereo at {SR} Hz, median CPU s of {args.repeat}\n")
    print("| plugin | plain s | guarded s | ratio (guarded / plain) |")
    print("|---|---:|---:|---:|")
    for name, make in plugins.items():
        plain, guarded = [], []
        for _ in range(args.repeat):  # alternating, so drift hits both sides alike
            plain.append(_cpu(make, x, guard=False))
            guarded.append(_cpu(make, x, guard=True))
        p, g = statistics.median(plain), statistics.median(guarded)
        print(f"| {name} | {p:.3f} | {g:.3f} | {g / p:.2f} |")


if __name__ == "__main__":
    main()
