"""Composer speed: prompt to encoded loop files, each run in a fresh process.

Targets, on this 2-core machine:

* a 60 s stereo 44.1 kHz loop from prompt to encoded OGG **and** MP3 in <= 2.5 s wall,
  process start included (issue 13, after the composer's form, stereo and ensemble work;
  issue 3 had asked 2 s of the simpler composer);
* ``loopmill generate --count 20`` at >= 20x real time.

For scale, the Tydust game-audio notes report 60-120 s for a 60 s track with
MusicGen-medium on a GPU (printed as a reference row, not re-measured here). The
wall time is the real command, ``loopmill generate PROMPT --format ogg,mp3``, in a fresh
process (median of ``--repeat``); beside it, in-process times of ``loopmill.generate``
and of the two encoders, and the synthesis alone (no effects, no post stage, no
encoding) as the baseline, so the table shows what effects, limiter and encoders cost.

Usage: ``.venv/bin/python benchmarks/generate_bench.py [--repeat 3]``

``--all-genres`` times only the real command, for one 60-64 s loop of every genre of
``benchmarks/composer_quality.py`` at that genre's tempo (median and worst of
``--repeat``, seeds 0, 1, ...).

Every command runs as a user's would, with Python's bytecode cache on: the children get
the environment without ``PYTHONDONTWRITEBYTECODE`` (some sandboxes set it, and then
every run compiles loopmill's ~95 modules again, about 0.15 s that no installed copy
pays), after one warm-up run that writes the cache.

``--vs REV`` times the same commands of commit ``REV`` and of this tree side by side
in one run (fresh processes, alternating, median of ``--repeat``), with the ratio:
the check that a change made nothing slower.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONE = """
import sys, time
t0 = time.perf_counter()
from pathlib import Path
import loopmill
from loopmill.storage.writer import encode_all as _encode_all
loop = loopmill.generate(sys.argv[1], seed=int(sys.argv[2]), min_duration=60, max_duration=64)
t1 = time.perf_counter()
_encode_all([Path(sys.argv[3]) / "x.ogg", Path(sys.argv[3]) / "x.mp3"], loop, tags={})
t2 = time.perf_counter()
print(loop.duration, t1 - t0, t2 - t1)
"""

DRY = """
import sys, time
import pedalboard
import loopmill.engines.composer.engine as e
from loopmill.engines.composer.engine import ComposerEngine
from loopmill.prompts import parse_prompt
spec = parse_prompt(sys.argv[1], seed=int(sys.argv[2]), min_duration=60, max_duration=64)
eng = ComposerEngine()
arr = eng.plan(spec, seed=spec.seed)
e.chain_for = lambda *a, **k: pedalboard.Pedalboard()  # no effects: synthesis only
t = time.perf_counter()
eng.render(arr, sr=44100, seed=spec.seed)
print(time.perf_counter() - t)
"""

PROMPTS = (
    "mysterious synthwave, D minor, 90 BPM",
    "calm lofi hip hop, F major, 80 BPM",
    "energetic chiptune boss battle, E minor, 150 BPM",
    "epic orchestral, C minor, 100 BPM",
)


sys.path.insert(0, str(Path(__file__).parent))
from _vs import USER_ENV  # noqa: E402

TARGET_S = 2.5  # issue 13: a 60 s loop, prompt to ogg+mp3


def timed(cmd: list[str]) -> tuple[float, str]:
    """Wall seconds of a fresh process and its stdout."""
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env=USER_ENV).stdout
    return time.perf_counter() - t, out


def generate_cmd(prompt: str, seed: int, dest: str) -> list[str]:
    """The real command: a 60-64 s loop of ``prompt``, OGG and MP3, into ``dest``."""
    return [str(Path(sys.executable).with_name("loopmill")), "generate", prompt,
            "--seed", str(seed), "--min-duration", "60", "--max-duration", "64",
            "--format", "ogg,mp3", "--dest", dest]


def all_genres(repeat: int) -> None:
    """Wall seconds of the real command for one loop per genre, against 2.5 s."""
    sys.path.insert(0, str(Path(__file__).parent))
    from composer_quality import PROMPTS

    print(f"# 60 s loop, prompt to ogg+mp3, every genre, {time.strftime('%Y-%m-%d')}, "
          f"{os.cpu_count()} cores, {repeat} runs each\n")
    print(f"| genre | prompt | median s | worst s | target {TARGET_S} s (median) |")
    print("|---|---|---:|---:|---|")
    met = 0
    with tempfile.TemporaryDirectory() as tmp:
        timed(generate_cmd("synthwave", 0, tmp))  # warm-up: writes the bytecode cache
        for genre, (prompt, bpm) in PROMPTS.items():
            text = f"{prompt}, {bpm} BPM"
            walls = [timed(generate_cmd(text, seed, tmp))[0] for seed in range(repeat)]
            median = statistics.median(walls)
            met += median <= TARGET_S
            print(f"| {genre} | {text} | {median:.2f} | {max(walls):.2f} | "
                  f"{'met' if median <= TARGET_S else 'not met'} |", flush=True)
    print(f"\n**{met} of {len(PROMPTS)} genres** at <= {TARGET_S} s (median)")


def compare(rev: str, repeat: int, *, count: bool = True) -> None:
    """This tree against ``rev``: the same fresh-process commands, alternating."""
    sys.path.insert(0, str(Path(__file__).parent))
    from _vs import alternate, loopmill, sides

    print(f"# generate: {rev} vs this tree, {time.strftime('%Y-%m-%d')}, "
          f"{os.cpu_count()} cores, median of {repeat}\n")
    print(f"| command | {rev} s | this tree s | ratio (this / {rev}) | CPU s {rev} / this "
          "| CPU ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        envs = sides(rev, Path(tmp))
        cases = [(f"60 s loop, ogg+mp3: {p}", ["generate", p, "--seed", str(i),
                  "--min-duration", "60", "--max-duration", "64", "--format", "ogg,mp3"])
                 for i, p in enumerate(PROMPTS)]
        if count:
            cases.append(("--count 20, 28.8 s loops", ["generate", "synthwave, 100 BPM",
                          "--count", "20", "--min-duration", "28", "--max-duration", "30",
                          "--seed", "1"]))
        totals = {"old": 0.0, "new": 0.0, "cpu_old": 0.0, "cpu_new": 0.0}
        for name, args in cases:
            cpu: dict[str, list[float]] = {}
            times = alternate(repeat, lambda side, _, args=args: loopmill(
                *args, "--dest", str(Path(tmp) / side), "--catalog",
                str(Path(tmp) / f"{side}.db")), envs, cpu)
            old, new = (statistics.median(times[k]) for k in ("old", "new"))
            c_old, c_new = (statistics.median(cpu[k]) for k in ("old", "new"))
            totals["old"] += old
            totals["new"] += new
            totals["cpu_old"] += c_old
            totals["cpu_new"] += c_new
            print(f"| {name} | {old:.2f} | {new:.2f} | {new / old:.2f} | {c_old:.2f} / "
                  f"{c_new:.2f} | {c_new / c_old:.2f} |")
        print(f"| **all** | {totals['old']:.2f} | {totals['new']:.2f} | "
              f"**{totals['new'] / totals['old']:.2f}** | {totals['cpu_old']:.2f} / "
              f"{totals['cpu_new']:.2f} | **{totals['cpu_new'] / totals['cpu_old']:.2f}** |")


def main() -> None:
    """Print the per-prompt table and the --count 20 throughput."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--vs", metavar="REV", help="compare with this commit, side by side")
    ap.add_argument("--no-count", action="store_true",
                    help="with --vs: skip the --count 20 row (the 60 s loops only)")
    ap.add_argument("--all-genres", action="store_true",
                    help="the real command only, one 60 s loop of every genre")
    args = ap.parse_args()
    if args.all_genres:
        all_genres(args.repeat)
        return
    if args.vs:
        compare(args.vs, args.repeat, count=not args.no_count)
        return
    exe = Path(sys.executable)
    print(f"# Composer speed, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores\n")
    print(
        "| prompt | loop s | `loopmill generate` wall s (ogg+mp3) | generate s | encode s "
        f"| synthesis only s | target {TARGET_S} s |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        timed(generate_cmd(PROMPTS[0], 0, tmp))  # warm-up: writes the bytecode cache
        for i, prompt in enumerate(PROMPTS):
            cli = generate_cmd(prompt, i, tmp)
            wall = statistics.median(timed(cli)[0] for _ in range(args.repeat))
            _, out = timed([str(exe), "-c", ONE, prompt, str(i), tmp])
            dur, gen, enc = (float(x) for x in out.split())
            _, dry = timed([str(exe), "-c", DRY, prompt, str(i)])
            ok = "met" if wall <= TARGET_S else "not met"
            print(
                f"| {prompt} | {dur:.1f} | {wall:.2f} | {gen:.2f} | {enc:.2f} | "
                f"{float(dry):.2f} | {ok} |"
            )
        print("| MusicGen-medium on a GPU (Tydust notes, reference) | 60 | 60-120 | | | | |")
        n = 20
        t, _ = timed(
            [
                str(exe.with_name("loopmill")),
                "generate",
                "synthwave, 100 BPM",
                "--count",
                str(n),
                "--dest",
                tmp,
                "--min-duration",
                "28",
                "--max-duration",
                "30",
                "--seed",
                "1",
            ]
        )
        audio = n * 28.8  # 12 bars at 100 BPM
        print(
            f"\n`generate --count {n}` (28.8 s loops): {t:.1f} s wall for {audio:.0f} s of "
            f"audio = **{audio / t:.1f}x real time** (target >= 20x)"
        )


if __name__ == "__main__":
    main()
