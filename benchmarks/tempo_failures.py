"""Every composer loop whose tempo reading fails: genre, seed, key, asked and read bpm.

The loops are those of ``composer_quality.py`` (same prompts, tempos, seeds and keys);
a reading passes when it is within 2 % of the asked tempo, half or double allowed.
For each failure the tempo candidates of the onset autocorrelation are listed too
(bpm and prior-weighted score, best first), to tell a near tie from a clear misreading.

Usage::

    PYTHONPATH=src python benchmarks/tempo_failures.py --genres ambient,trap --seeds 5 \\
        --key-seeds 24
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from composer_quality import PROMPTS, SR, make_jobs


def _candidates(y: np.ndarray, top: int = 3) -> list[tuple[float, float]]:
    """The strongest autocorrelation peaks of the onset envelope: (bpm, weighted score)."""
    from loopmill.analysis.features import compute_features
    from loopmill.analysis.tempo import PRIOR_OCTAVES, _autocorrelation

    f = compute_features(y, sr=SR)
    o = f.onset_env.astype(np.float64)
    fps = SR / f.hop_length
    ac = _autocorrelation(o, int(60.0 * fps / 40.0) + 2)
    lags = np.arange(1, ac.shape[0] - 1)
    peak = (ac[1:-1] >= ac[:-2]) & (ac[1:-1] > ac[2:]) & (60.0 * fps / lags <= 240.0)
    bpm = 60.0 * fps / lags[peak]
    score = np.maximum(ac[1:-1][peak], 0.0) / ac[0] * np.exp(
        -0.5 * (np.log2(bpm / 120.0) / PRIOR_OCTAVES) ** 2)
    order = np.argsort(-score)[:top]
    return [(float(bpm[i]), float(score[i])) for i in order]


def main() -> None:
    """Render the loops, read their tempo, print the failures (and a count per genre)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genres", default=",".join(PROMPTS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--key-seeds", type=int, default=24)
    ap.add_argument("--all", action="store_true", help="list every loop, not only failures")
    args = ap.parse_args()

    from loopmill.analysis import analyze
    from loopmill.engines.composer.engine import ComposerEngine
    from loopmill.prompts import parse_prompt

    eng = ComposerEngine()
    genres = [g for g in args.genres.split(",") if g]
    fails: dict[str, int] = dict.fromkeys(genres, 0)
    total: dict[str, int] = dict.fromkeys(genres, 0)
    t0 = time.perf_counter()
    print("| genre | loop | seed | key | asked | read | error | candidates (bpm:score) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, prompt, genre, bpm, key, seed in make_jobs(
            genres, seeds=args.seeds, key_seeds=args.key_seeds):
        g, b, s = str(genre), float(str(bpm)), int(str(seed))
        dur = 16 * 240.0 / b
        spec = parse_prompt(f"{prompt}, {key}, {b:g} BPM", genre=g, seed=s,
                            min_duration=dur - 0.01, max_duration=dur + 0.01)
        arr = eng.plan(spec, seed=s)
        y = eng.render(arr, sr=SR, seed=s)
        read = analyze(y, sr=SR).bpm
        err = min(abs(read * f / arr.bpm - 1.0) for f in (0.5, 1.0, 2.0)) if read else 1.0
        total[g] += 1
        bad = err > 0.02
        fails[g] += bad
        if bad or args.all:
            cands = " ".join(f"{c:.1f}:{v:.3f}" for c, v in _candidates(y))
            print(f"| {g} | {name} | {s} | {key} | {arr.bpm:g} | {read:.2f} | "
                  f"{100 * err:.1f} % | {cands} |", flush=True)
    print()
    for g in genres:
        print(f"# {g}: {fails[g]} of {total[g]} fail ({100 * (1 - fails[g] / total[g]):.0f} % ok)")
    print(f"# {time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
