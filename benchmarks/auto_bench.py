"""``loopmill auto`` throughput with the composer: loops per minute, 1 vs 2 workers.

Issue 4's target on this 2-core machine: 2 workers make >= 1.8x the loops per minute
of 1 worker. Each case is the real command in a fresh process (the worker start-up
included), the template prompt provider, OGG output to a temporary folder and a
temporary catalog. Rows: workers, loops, wall seconds, loops/min, audio x real time,
and the speed-up over 1 worker. The last row is the baseline for scaling: two
independent 1-worker runs started together, i.e. what two loopmill processes get
from this machine with no coordination at all.

Usage: ``.venv/bin/python benchmarks/auto_bench.py [--count 24] [--workers 1,2]``

``--vs REV`` runs the same ``auto`` commands with commit ``REV`` and with this tree
side by side in one run (alternating, ``--repeat`` times each), with the ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _cmd(workers: int, count: int, tmp: Path, tag: str) -> tuple[list[str], Path]:
    dest, cat = tmp / f"w{workers}{tag}", tmp / f"w{workers}{tag}.sqlite"
    return [
        str(Path(sys.executable).with_name("loopmill")), "auto", "--count", str(count),
        "--workers", str(workers), "--dest", str(dest), "--catalog", str(cat),
        "--runs-dir", str(tmp / "runs"), "--seed", "7", "--min-duration", "16",
        "--max-duration", "24",
    ], cat


def _audio(cat: Path) -> float:
    import sqlite3

    with sqlite3.connect(cat) as db:
        return float(db.execute("select sum(duration) from loops").fetchone()[0] or 0.0)


def run(workers: int, count: int, tmp: Path) -> tuple[float, float]:
    """Wall seconds and seconds of audio made by one ``auto`` run."""
    cmd, cat = _cmd(workers, count, tmp, "")
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - t, _audio(cat)


def run_two_independent(count: int, tmp: Path) -> tuple[float, float]:
    """Two separate 1-worker runs at once: what this machine's two cores give at best."""
    cmds = [_cmd(1, count // 2, tmp, tag) for tag in ("a", "b")]
    t = time.perf_counter()
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for c, _ in cmds]
    if any(p.wait() for p in procs):
        raise SystemExit("an auto run failed")
    return time.perf_counter() - t, sum(_audio(cat) for _, cat in cmds)


def compare(rev: str, count: int, workers: list[int], repeat: int) -> None:
    """This tree against ``rev``: the same ``auto`` runs, alternating."""
    import statistics

    sys.path.insert(0, str(Path(__file__).parent))
    from _vs import alternate, loopmill, sides

    print(f"# auto: {rev} vs this tree, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} "
          f"cores, {count} loops of 16-24 s, median of {repeat}\n")
    print(f"| workers | {rev} loops/min | this tree loops/min | ratio (this / {rev}) |")
    print("|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        envs = sides(rev, tmp)
        for w in workers:
            times = alternate(repeat, lambda side, r, w=w: loopmill(
                *_cmd(w, count, tmp, f"{side}{r}")[0][1:]), envs)
            old, new = (count / statistics.median(times[k]) * 60 for k in ("old", "new"))
            print(f"| {w} | {old:.1f} | {new:.1f} | {new / old:.2f} |")


def main() -> None:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--vs", metavar="REV", help="compare with this commit, side by side")
    args = ap.parse_args()
    if args.vs:
        compare(args.vs, args.count, [int(w) for w in args.workers.split(",")], args.repeat)
        return
    counts = [int(w) for w in args.workers.split(",")]
    print(f"# auto throughput, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"{args.count} loops of 16-24 s per run\n")
    print("| workers | loops | wall s | loops/min | audio x real time | vs 1 worker |")
    print("|---:|---:|---:|---:|---:|---:|")
    base = None
    with tempfile.TemporaryDirectory() as d:
        for w in counts:
            wall, audio = run(w, args.count, Path(d))
            rate = args.count / wall * 60
            base = base or rate
            print(f"| {w} | {args.count} | {wall:.1f} | {rate:.1f} | {audio / wall:.1f} | "
                  f"{rate / base:.2f}x |")
        wall, audio = run_two_independent(args.count, Path(d))
        rate = args.count // 2 * 2 / wall * 60
        print(f"| 2 separate 1-worker runs at once (machine ceiling) | {args.count // 2 * 2} | "
              f"{wall:.1f} | {rate:.1f} | {audio / wall:.1f} | {rate / (base or rate):.2f}x |")
    print("\ntarget: 2 workers >= 1.8x the loops/min of 1 worker")


if __name__ == "__main__":
    main()
