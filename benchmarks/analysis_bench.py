"""Whole-track analysis speed: loopmill vs librosa, each in a fresh process.

The issue's target: the whole analysis (tempo, beats, bars, key, loudness, true peak)
of a 4-minute stereo 44.1 kHz track in under 2 s on this 2-core machine, **process
start included**. The baseline is what a Python user would otherwise write with
librosa (``librosa.load`` + ``beat.beat_track`` + ``feature.chroma_stft``), run in its
own interpreter, since librosa's numba kernels are (re)loaded in every new process.

No data is needed: the script renders a 4-minute groove (the README demo tiled) and
writes it as wav, ogg and mp3 into a temporary folder. Usage::

    .venv/bin/python benchmarks/analysis_bench.py [--librosa-python /path/to/python]

``--librosa-python`` names an interpreter that has librosa (for example the venv made
for the loop benchmark: ``python3 -m venv /tmp/pml-venv && /tmp/pml-venv/bin/pip
install pymusiclooper``); without it the baseline column is left empty.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOOPMILL = """
import sys
from loopmill.audio import load
from loopmill.analysis import analyze
y, sr = load(sys.argv[1])
a = analyze(y, sr=sr)
print(f"{a.bpm:.2f} {a.key} {a.loudness_lufs:.2f}")
"""

LIBROSA = """
import sys
import librosa, numpy as np
y, sr = librosa.load(sys.argv[1], sr=None, mono=True)
tempo, beats = librosa.beat.beat_track(y=y, sr=sr)
chroma = librosa.feature.chroma_stft(y=y, sr=sr).mean(axis=1)
print(float(np.atleast_1d(tempo)[0]), int(np.argmax(chroma)))
"""

LAUNCH = """
import os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
out = p.stdout.read()
_, status, ru = os.wait4(p.pid, 0)
print(time.perf_counter() - t, ru.ru_maxrss, os.waitstatus_to_exitcode(status))
sys.stdout.write(out.decode(errors="replace"))
"""


def run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds and peak MB of ``cmd``, measured from a tiny launcher process.

    The launcher keeps ``ru_maxrss`` honest: a child forked from this (numpy-laden)
    process would start with its parent's memory counted.
    """
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCH, *cmd], capture_output=True, text=True, check=False
    )
    head, _, out = proc.stdout.partition("\n")
    wall, rss, code = head.split()
    if int(code) != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}… failed: {out.strip()[-300:]}")
    return float(wall), int(rss) / 1024, out.strip()


def make_track(folder: Path) -> list[Path]:
    """A 4-minute stereo 44.1 kHz groove as wav, ogg and mp3."""
    from examples.make_demo import SR, render

    from loopmill.audio import save

    y = render()
    y = np.tile(y, (1, int(np.ceil(240 * SR / y.shape[1]))))[:, : 240 * SR]
    return [save(folder / f"four.{fmt}", y, sr=SR) for fmt in ("wav", "ogg", "mp3")]


def main() -> None:
    """Print the table of wall time and peak memory per format and tool."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--librosa-python", type=Path, help="a python with librosa installed")
    ap.add_argument("--repeat", type=int, default=3, help="runs per cell; the median is shown")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tracks = make_track(Path(tmp))
        print(
            f"# Analysis of a 4-minute stereo 44.1 kHz track, {time.strftime('%Y-%m-%d')}, "
            f"{os.cpu_count()} cores\n"
        )
        print("| format | loopmill s | loopmill MB | librosa s | librosa MB | speedup |")
        print("|---|---:|---:|---:|---:|---:|")
        for track in tracks:
            lm = [run([sys.executable, "-c", LOOPMILL, str(track)]) for _ in range(args.repeat)]
            lm_s = float(np.median([r[0] for r in lm]))
            lm_mb = max(r[1] for r in lm)
            cells = [track.suffix[1:], f"{lm_s:.2f}", f"{lm_mb:.0f}", "-", "-", "-"]
            if args.librosa_python:
                lb = [
                    run([str(args.librosa_python), "-c", LIBROSA, str(track)])
                    for _ in range(args.repeat)
                ]
                lb_s = float(np.median([r[0] for r in lb]))
                cells[3:] = [f"{lb_s:.2f}", f"{max(r[1] for r in lb):.0f}", f"{lb_s / lm_s:.1f}x"]
            print("| " + " | ".join(cells) + " |")
        print(
            "\nloopmill: tempo, beats, downbeats, meter, key, integrated loudness, true peak;"
            " librosa: tempo, beats, mean chroma."
        )


if __name__ == "__main__":
    main()
