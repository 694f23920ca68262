"""Composer quality per genre: form, stereo, tempo, key, seam and speed, new vs baseline.

For every genre, over ``--seeds`` seeds, a 16-bar loop is rendered by this tree's
composer and by a baseline composer (another source tree, e.g. a ``git worktree`` of
main, rendered in a subprocess with its own ``PYTHONPATH``), and measured the same way:

* distinct bars: bars with no twin (log-mel correlation >= 0.95 at the best bar
  phase; ``loopmill.analysis.structure``) — target >= 10 of 16;
* copies: bars that are sample-level copies of another (waveform r > 0.99) — target 0;
* ICC: inter-channel (L/R) correlation — target median <= 0.6; mono: level lost
  when folded to mono;
* tempo: loopmill's own tempo detection within 2 % (half/double allowed);
* key: loopmill's key detection over all 24 keys (one loop per key, ``--key-seeds``);
* seam: the loop's seam score (``loopmill.loops.seam``);
* speed: a 60 s loop from prompt to OGG + MP3, fresh process (``--speed``).

Usage::

    git worktree add /tmp/loopmill-base ab148dc
    PYTHONPATH=src python benchmarks/composer_quality.py --baseline /tmp/loopmill-base/src
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SR = 22050
BARS = 16
#: genre -> a prompt and tempo inside the genre's range
PROMPTS = {
    "synthwave": ("mysterious synthwave", 96), "lofi": ("calm lofi hip hop", 80),
    "ambient": ("dreamy ambient", 70), "chiptune": ("energetic chiptune", 140),
    "orchestral": ("epic orchestral battle", 100), "house": ("deep house", 124),
    "rock": ("energetic rock", 120), "jazz": ("smooth jazz lounge", 100),
    "fantasy": ("peaceful fantasy tavern", 96), "horror": ("dark horror", 70),
    "dnb": ("energetic drum and bass", 172), "trap": ("dark trap", 140),
    "metal": ("aggressive metal", 150), "world": ("world percussion", 110),
}
_KEYS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

RENDER = r"""
import json, sys
import numpy as np
from loopmill.engines.composer.engine import ComposerEngine
from loopmill.engines.composer.arrange import STYLES
from loopmill.prompts import parse_prompt
jobs = json.loads(sys.argv[1]); out = sys.argv[2]; eng = ComposerEngine(); done = []
for name, prompt, genre, bpm, key, seed in jobs:
    if genre not in STYLES:  # a genre the baseline does not have
        continue
    dur = 16 * 240.0 / bpm
    text = f"{prompt}, {key}, {bpm} BPM"
    spec = parse_prompt(text, genre=genre, seed=seed, min_duration=dur - 0.01,
                        max_duration=dur + 0.01)
    arr = eng.plan(spec, seed=seed)
    y = eng.render(arr, sr=SR_, seed=seed)
    np.save(f"{out}/{name}.npy", y)
    done.append([name, arr.bars, arr.bpm, f"{arr.tonic} {arr.mode}"])
print(json.dumps(done))
""".replace("SR_", str(SR))

SPEED = r"""
import sys, time, tempfile
t0 = time.perf_counter()
from pathlib import Path
import loopmill
from loopmill.storage.writer import encode_all as _encode_all
loop = loopmill.generate(sys.argv[1], seed=1, min_duration=60, max_duration=64)
d = Path(tempfile.mkdtemp())
_encode_all([d / "x.ogg", d / "x.mp3"], loop, tags={})
print(time.perf_counter() - t0)
"""


def make_jobs(genres: list[str], *, seeds: int, key_seeds: int) -> list[list[object]]:
    """The loops to render: ``[name, prompt, genre, bpm, key, seed]`` per loop.

    Per genre ``seeds`` loops in minor keys (seeds 1..), then ``key_seeds`` loops
    (seeds 100..): 24 of them are all 24 keys; fewer alternate major and minor.
    """
    modes = ("minor", "major")
    jobs: list[list[object]] = []
    for g in genres:
        prompt, bpm = PROMPTS[g]
        for s in range(seeds):
            jobs.append([f"{g}-s{s}", prompt, g, bpm, f"{_KEYS[(5 * s) % 12]} minor", s + 1])
        for k in range(key_seeds):
            key = f"{_KEYS[k % 12]} {modes[(k + k // 12) % 2]}"
            jobs.append([f"{g}-k{k}", prompt, g, bpm, key, 100 + k])
    return jobs


def _render(src: Path, jobs: list[list[object]], out: Path) -> dict[str, tuple[int, float, str]]:
    env = {**os.environ, "PYTHONPATH": str(src), "LOOPMILL_THREADS": os.environ.get(
        "LOOPMILL_THREADS", "2")}
    proc = subprocess.run([sys.executable, "-c", RENDER, json.dumps(jobs), str(out)],
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"rendering with {src} failed:\n{proc.stderr[-2000:]}")
    return {n: (b, bpm, k) for n, b, bpm, k in json.loads(proc.stdout)}


def _measure(y: np.ndarray, bars: int, bpm: float, key: str) -> dict[str, float]:
    from loopmill.analysis import analyze
    from loopmill.analysis.structure import (
        channel_correlation,
        distinct_bars,
        mono_loss_db,
        sample_copies,
    )
    from loopmill.engines.composer.theory import parse_tonic
    from loopmill.loops.seam import seam_score

    a = analyze(y, sr=SR)
    err = min(abs(a.bpm * f / bpm - 1.0) for f in (0.5, 1.0, 2.0)) if a.bpm else 1.0
    return {
        "distinct": distinct_bars(y, sr=SR, bars=bars),
        "copies": sample_copies(y, bars=bars),
        "icc": channel_correlation(y),
        "mono": mono_loss_db(y),
        "tempo_ok": float(err <= 0.02),
        "key_ok": float(a.key is not None and a.key.mode == key.split()[1]
                        and a.key.pitch_class == parse_tonic(key.split()[0])),
        "seam": seam_score(y, sr=SR, start=0, end=y.shape[1]),
    }


def _speed(src: Path, prompt: str, repeat: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(src)}
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", SPEED, prompt], env=env, check=True,
                       capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    """Render, measure and print the per-genre table (new vs baseline)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=Path, help="src folder of the baseline composer")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--key-seeds", type=int, default=24, help="loops per genre for key (24: "
                    "one per key)")
    ap.add_argument("--genres", default=",".join(PROMPTS))
    ap.add_argument("--speed", type=int, default=3, help="repeats of the 60 s timing (0: skip)")
    ap.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = ap.parse_args()
    here = Path(__file__).resolve().parents[1] / "src"
    genres = [g for g in args.genres.split(",") if g]
    jobs = make_jobs(genres, seeds=args.seeds, key_seeds=args.key_seeds)
    trees = {"new": here} | ({"base": args.baseline} if args.baseline else {})
    results: dict[str, dict[str, list[dict[str, float]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, src in trees.items():
            out = Path(tmp) / name
            out.mkdir()
            t = time.perf_counter()
            made = _render(src, jobs, out)
            print(f"# rendered {len(made)} loops with {name} in {time.perf_counter() - t:.0f} s",
                  file=sys.stderr)
            per: dict[str, list[dict[str, float]]] = {}
            for job in jobs:
                n, g = str(job[0]), str(job[2])
                if n not in made:
                    continue
                bars, bpm, _ = made[n]
                m = _measure(np.load(out / f"{n}.npy"), bars, bpm, str(job[4]))
                m["seed_run"] = float("-s" in n)
                per.setdefault(g, []).append(m)
            results[name] = per
    print(f"# Composer quality, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"{BARS}-bar loops, {args.seeds} seeds, key over {args.key_seeds} keys\n")
    print("| genre | distinct bars (min/med of 16) | copies (max) | ICC median | mono dB | "
          "tempo ok | key ok | seam med |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")

    def cell(per: dict[str, list[dict[str, float]]] | None, g: str) -> list[str]:
        rows = (per or {}).get(g)
        if not rows:
            return ["-"] * 7
        seed_rows = [r for r in rows if r["seed_run"]]
        d = [r["distinct"] for r in seed_rows]
        return [f"{min(d):.0f}/{statistics.median(d):.0f}",
                f"{max(r['copies'] for r in seed_rows):.0f}",
                f"{statistics.median(r['icc'] for r in seed_rows):.2f}",
                f"{statistics.median(r['mono'] for r in seed_rows):.1f}",
                f"{100 * np.mean([r['tempo_ok'] for r in rows]):.0f} %",
                f"{100 * np.mean([r['key_ok'] for r in rows if not r['seed_run']]):.0f} %"
                if any(not r["seed_run"] for r in rows) else "-",
                f"{statistics.median(r['seam'] for r in seed_rows):.2f}"]

    for g in genres:
        new = cell(results["new"], g)
        base = cell(results.get("base"), g)
        print(f"| {g} | " + " | ".join(
            f"{a} (base {b})" if "base" in results else a for a, b in zip(new, base, strict=True)
        ) + " |")
    if args.speed:
        prompt = "mysterious synthwave, D minor, 90 BPM"
        print("\n| 60 s loop, prompt to ogg+mp3 (fresh process, median) | new | base | ratio |")
        print("| --- | --- | --- | --- |")
        t_new = _speed(here, prompt, args.speed)
        t_base = _speed(args.baseline, prompt, args.speed) if args.baseline else float("nan")
        print(f"| {prompt} | {t_new:.2f} s | {t_base:.2f} s | {t_new / t_base:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(results))


if __name__ == "__main__":
    main()
