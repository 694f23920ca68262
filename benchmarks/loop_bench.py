"""Side-by-side benchmark: ``loopmill loop`` against PyMusicLooper on real music.

For every track in ``--data`` this script, in one run:

* runs ``loopmill loop TRACK --dest TMP/lm --format ogg --keep-metadata`` as a child
  process and reads ``TMP/lm/<stem>_loop.ogg`` (Vorbis ``LOOPSTART``/``LOOPLENGTH``) and
  its sidecar ``<stem>_loop.json`` (``bars``, ``bpm``, ``seam_score``, ...);
* runs ``pymusiclooper tag --path TRACK --tag-names LOOPSTART LOOPLENGTH --tag-offset
  --output-dir TMP/pml`` as a child process (non-interactive: PyMusicLooper only asks
  which loop to take with its global ``-i/--interactive`` flag; without it it tags the
  best-ranked loop) and reads the tags of ``TMP/pml/<stem>-tagged.<ext>``;
* measures each child's wall time (process start included) and peak RSS
  (``os.wait4`` -> ``ru_maxrss``, that child alone);
* scores both loops with the same metric, :func:`loopmill.loops.seam.seam_score`:
  PyMusicLooper's points on the original track, loopmill's on its own output file;
* reports loop lengths in bars: loopmill's from its sidecar, PyMusicLooper's as
  ``seconds * bpm / 60 / beats_per_bar`` with loopmill's detected bpm and meter.

Getting the data (Debian's SuperTux music, CC-BY-SA / GPL; never commit the audio,
``/bench-data/`` is git-ignored)::

    apt-get update
    cd "$(mktemp -d)" && apt-get download supertux-data
    dpkg -x supertux-data_*_all.deb x
    mkdir -p /path/to/loopmill/bench-data/supertux
    M=x/usr/share/games/supertux2/music
    cp $M/forest/wisphunt.ogg $M/retro/cave_old.ogg $M/antarctic/jewels.ogg \\
       $M/retro/classic.ogg $M/misc/credits.ogg $M/misc/theme.ogg \\
       $M/antarctic/chipdisko.ogg $M/castle/darkforestkeep.ogg \\
       $M/forest/shallow-green.ogg $M/forest/call_of_the_winding_path.ogg \\
       /path/to/loopmill/bench-data/supertux/

Getting PyMusicLooper (in its own virtual environment, not loopmill's)::

    python3 -m venv /tmp/pml-venv
    /tmp/pml-venv/bin/pip install pymusiclooper

Running (from the repository root, with loopmill's environment)::

    .venv/bin/python benchmarks/loop_bench.py --data bench-data/supertux \\
        --pml /tmp/pml-venv/bin/pymusiclooper --out docs/bench_loop.md

PyMusicLooper compiles its numba kernels on its very first run (about 30 s extra, then
cached); by default each tool is run once, untimed, on the shortest track before the
measurements (``--no-warmup`` to measure cold starts).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AUDIO_EXTS = (".ogg", ".flac", ".wav", ".mp3", ".opus", ".m4a")


@dataclass
class RunStats:
    """One child process: exit code, wall seconds, peak RSS in MB and its output."""

    rc: int
    wall_s: float
    peak_mb: float
    stdout: str
    stderr: str
    timed_out: bool = False


@dataclass
class ToolResult:
    """What one tool produced for one track; ``error`` set when it failed."""

    run: RunStats | None = None
    start: int | None = None
    length: int | None = None
    sr: int | None = None
    bars: float | None = None
    seam: float | None = None
    seam_ratio: float | None = None
    seam_error: str | None = None
    error: str | None = None
    sidecar: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrackResult:
    """Both tools' results for one track."""

    track: Path
    duration_s: float | None
    lm: ToolResult
    pml: ToolResult
    lm_tag: ToolResult | None = None


# --------------------------------------------------------------------------- processes


# Spawned by a small fresh interpreter, not by this (large) process: on Linux a child's
# ru_maxrss starts at the RSS of the process image it was forked from (execve keeps the
# old image's high-water mark), so forking straight from here would add this process's
# own footprint (numpy, decoded audio) to every tool's peak. The helper's footprint is
# about 10 MB, far under either tool's.
_SPAWN_HELPER = """
import json, os, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.posix_spawnp(cmd[0], cmd, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(report, "w") as fh:
    json.dump({"rc": os.waitstatus_to_exitcode(status), "wall_s": wall,
               "maxrss_kb": usage.ru_maxrss}, fh)
"""


def run_child(cmd: Sequence[str], timeout_s: float) -> RunStats:
    """Run ``cmd`` and measure its wall time and its own peak RSS.

    A small helper interpreter starts ``cmd`` and reaps it with ``os.wait4``, so
    ``ru_maxrss`` (KB on Linux) is that child's alone; the wall time runs from just
    before the spawn to the reap (process start-up included). A child still running
    after ``timeout_s`` is killed with its whole process group and reported as timed out.

    Raises
    ------
    OSError
        When ``cmd`` cannot be started at all.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as tmp,
    ):
        report = Path(tmp) / "rusage.json"
        helper = [sys.executable, "-I", "-S", "-c", _SPAWN_HELPER, str(report), *cmd]
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            helper, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
        )
        killed = threading.Event()

        def _kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout_s, _kill)
        timer.start()
        try:
            helper_rc = proc.wait()
        finally:
            timer.cancel()
        fallback_wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
        try:
            stats = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            if killed.is_set():
                return RunStats(-9, fallback_wall, 0.0, stdout, stderr, timed_out=True)
            if "posix_spawn" in stderr or "FileNotFoundError" in stderr:
                last = stderr.strip().splitlines()[-1] if stderr.strip() else "?"
                raise OSError(last) from None
            return RunStats(helper_rc or -1, fallback_wall, 0.0, stdout, stderr)
        return RunStats(
            rc=int(stats["rc"]),
            wall_s=float(stats["wall_s"]),
            peak_mb=float(stats["maxrss_kb"]) / 1024.0,
            stdout=stdout,
            stderr=stderr,
            timed_out=killed.is_set(),
        )


def _why(run: RunStats, timeout_s: float) -> str:
    """A short reason for a failed child process."""
    if run.timed_out:
        return f"timed out after {timeout_s:.0f} s"
    text = (run.stderr.strip() or run.stdout.strip()).splitlines()
    last = next((ln.strip() for ln in reversed(text) if ln.strip()), "")
    last = re.sub(r"\x1b\[[0-9;]*m", "", last)[:120]
    return f"exit {run.rc}" + (f": {last}" if last else "")


# --------------------------------------------------------------------------- audio, tags


def audio_info(path: Path) -> tuple[float, int] | None:
    """``(duration_s, sample_rate)`` of an audio file, or ``None`` if unreadable."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except Exception:
        return None
    return float(info.duration), int(info.samplerate)


def load_audio(path: Path) -> tuple[Any, int]:
    """Audio as float32 ``[C, T]`` and its sample rate."""
    import numpy as np
    import soundfile as sf

    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.T), int(sr)


def _first_int(value: Any) -> int | None:
    """The first integer in a tag value (a list, a frame, a string)."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    text = getattr(value, "text", value)
    if isinstance(text, list | tuple):
        text = text[0] if text else None
    m = re.search(r"-?\d+", str(text)) if text is not None else None
    return int(m.group()) if m else None


def read_loop_tags(path: Path) -> tuple[int | None, int | None]:
    """``(LOOPSTART, LOOPLENGTH)`` from Vorbis comments, ID3 TXXX or MP4 freeform tags."""
    import mutagen

    try:
        mf = mutagen.File(str(path))
    except Exception:
        return None, None
    tags = getattr(mf, "tags", None)
    if tags is None:
        return None, None
    found: dict[str, int | None] = {}
    for key in ("LOOPSTART", "LOOPLENGTH"):
        value: Any = None
        for cand in (key, key.lower(), f"TXXX:{key}", f"----:com.apple.iTunes:{key}"):
            try:
                value = tags.get(cand)
            except (KeyError, ValueError, TypeError):
                value = None
            if value:
                break
        found[key] = _first_int(value)
    return found["LOOPSTART"], found["LOOPLENGTH"]


def compute_seam(path: Path, start: int, length: int) -> tuple[float, float]:
    """Seam score of ``y[:, start:start+length]`` of the file at ``path``, and its ratio.

    The ratio is the worst of the seam report's spectral, step and rhythm ratios
    (abruptness at the wrap over the loop's own maximum) before the log and the
    clamp at 0, so two clean seams can still be told apart.
    """
    from loopmill.loops.seam import seam_report

    y, sr = load_audio(path)
    end = min(start + length, y.shape[1])
    rep = seam_report(y, sr=sr, start=start, end=end)
    return float(rep.score), float(max(rep.spectral, rep.step, rep.rhythm))


# --------------------------------------------------------------------------- the tools


def _start(cmd: Sequence[str], timeout_s: float) -> ToolResult:
    """Run one tool; a result whose ``run`` is None when it could not even start."""
    res = ToolResult()
    try:
        res.run = run_child(cmd, timeout_s)
    except OSError as exc:
        res.error = f"cannot start: {exc}"
    return res


def run_loopmill(
    exe: Path, track: Path, work: Path, timeout_s: float, extra: Sequence[str]
) -> ToolResult:
    """Run ``loopmill loop`` on ``track`` and collect its loop, sidecar and seam score."""
    dest = work / "lm"
    cmd = [
        str(exe),
        "loop",
        str(track),
        "--dest",
        str(dest),
        "--format",
        "ogg",
        "--keep-metadata",
        *extra,
    ]
    res = _start(cmd, timeout_s)
    if res.run is None:
        return res
    outs = sorted(dest.glob(f"{track.stem}_loop*.ogg")) if dest.is_dir() else []
    if not outs and dest.is_dir():
        outs = sorted(p for p in dest.iterdir() if p.suffix.lower() in AUDIO_EXTS)
    if res.run.rc != 0 or not outs:
        res.error = _why(res.run, timeout_s) if res.run.rc != 0 else "no output file"
        return res
    out = outs[0]
    side = out.with_suffix(".json")
    if side.is_file():
        try:
            loaded = json.loads(side.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                res.sidecar = loaded
        except (OSError, ValueError):
            pass
    start, length = read_loop_tags(out)
    if start is None:
        start = _as_int(res.sidecar.get("loop_start"))
    if length is None:
        length = _as_int(res.sidecar.get("loop_length"))
    info = audio_info(out)
    res.sr = info[1] if info else _as_int(res.sidecar.get("sample_rate"))
    if length is None and info is not None and res.sr:
        start, length = start or 0, round(info[0] * res.sr)  # whole file is the loop
    res.start, res.length = start, length
    res.bars = _as_float(res.sidecar.get("bars"))
    if start is None or length is None:
        res.seam_error = "no loop points"
        return res
    try:
        res.seam, res.seam_ratio = compute_seam(out, start, length)
    except Exception as exc:
        res.seam_error = f"{type(exc).__name__}: {exc}"[:120]
    return res


_PML_STDOUT = re.compile(r"LOOPSTART:\s*(\d+)\s+and\s+LOOPLENGTH:\s*(\d+)")


def run_pml(
    exe: Path, track: Path, work: Path, timeout_s: float, extra: Sequence[str]
) -> ToolResult:
    """Run PyMusicLooper's ``tag`` on ``track`` (no prompt) and score its loop."""
    dest = work / "pml"
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(exe),
        "tag",
        "--path",
        str(track),
        "--tag-names",
        "LOOPSTART",
        "LOOPLENGTH",
        "--tag-offset",
        "--output-dir",
        str(dest),
        *extra,
    ]
    res = _start(cmd, timeout_s)
    if res.run is None:
        return res
    if res.run.rc != 0:
        res.error = _why(res.run, timeout_s)
        return res
    outs = sorted(dest.glob(f"{track.stem}-tagged.*")) or sorted(
        p for p in dest.iterdir() if p.suffix.lower() in AUDIO_EXTS
    )
    start = length = None
    if outs:
        start, length = read_loop_tags(outs[0])
    if start is None or length is None:
        m = _PML_STDOUT.search(re.sub(r"\s+", " ", res.run.stdout))
        if m:
            start, length = int(m.group(1)), int(m.group(2))
    if start is None or length is None:
        said = _why(res.run, timeout_s).partition(": ")[2]
        res.error = ("no loop tags in output" if outs else "no output file") + (
            f" ({said})" if said else ""
        )
        return res
    res.start, res.length = start, length
    info = audio_info(track)
    res.sr = info[1] if info else None
    try:
        res.seam, res.seam_ratio = compute_seam(track, start, length)
    except Exception as exc:
        res.seam_error = f"{type(exc).__name__}: {exc}"[:120]
    return res


def _as_int(v: Any) -> int | None:
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def _as_float(v: Any) -> float | None:
    try:
        return float(v) if v is not None else None
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- report


def machine_line() -> str:
    """``nproc``, the CPU model and the memory size of this machine."""
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True)
        cores = nproc.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        cores = str(os.cpu_count())
    model = platform.processor() or "unknown CPU"
    mem = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
        model = m.group(1).strip() if m else model
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
        mm = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.M)
        mem = f", {int(mm.group(1)) / 1024**2:.0f} GiB RAM" if mm else ""
    except OSError:
        pass
    return f"nproc {cores}, {model}{mem}, {platform.system()} {platform.release()}"


def tool_version(cmd: Sequence[str]) -> str:
    """First line of ``cmd`` (a ``--version`` call), or ``?``."""
    try:
        p = subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (p.stdout.strip() or p.stderr.strip()).splitlines()
    return text[0].strip() if text else "?"


def _fmt(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def _cell_seconds(r: ToolResult) -> str:
    if r.run is None:
        return f"failed: {r.error}"
    if r.error:
        return f"failed: {r.error} ({r.run.wall_s:.1f} s)"
    return f"{r.run.wall_s:.2f}"


def _cell_mb(r: ToolResult) -> str:
    return "-" if r.run is None else f"{r.run.peak_mb:.0f}"


def _cell_seam(r: ToolResult) -> str:
    if r.error:
        return "-"
    if r.seam is None:
        return f"failed: {r.seam_error}"
    ratio = "" if r.seam_ratio is None else f" ({r.seam_ratio:.2f})"
    return f"{r.seam:.2f}{ratio}"


def _speedup(t: TrackResult, *, tag: bool = False) -> float | None:
    lm = t.lm_tag if tag else t.lm
    if lm is None or lm.error or t.pml.error or lm.run is None or t.pml.run is None:
        return None
    return t.pml.run.wall_s / max(lm.run.wall_s, 1e-9)


def pml_bars(t: TrackResult, beats_per_bar: int | None) -> tuple[float | None, int | None]:
    """PyMusicLooper's loop length in bars at loopmill's bpm (and meter unless forced)."""
    bpm = _as_float(t.lm.sidecar.get("bpm")) or _as_float(t.lm.sidecar.get("source_bpm"))
    bpb = beats_per_bar or _as_int(t.lm.sidecar.get("beats_per_bar")) or 4
    if t.pml.error or t.pml.length is None or not t.pml.sr or not bpm:
        return None, bpb
    # loopmill's "bpm" is its output tempo; the source's is the one PML's loop plays at.
    src_bpm = _as_float(t.lm.sidecar.get("source_bpm")) or bpm
    return t.pml.length / t.pml.sr * src_bpm / 60.0 / bpb, bpb


def render(results: list[TrackResult], header: list[str], beats_per_bar: int | None) -> str:
    """The markdown report: header lines, the table and the summary line."""
    cols = [
        "track",
        "duration",
        "lm s",
        "pml s",
        "speedup (pml/lm)",
        "lm MB",
        "pml MB",
        "lm bars",
        "pml bars",
        "lm seam",
        "pml seam",
        "lm tag-only s",
        "speedup tag-only",
        "lm tag-only seam",
    ]
    lines = [
        *header,
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(cols) - 1)) + "|",
    ]
    for t in results:
        sp = _speedup(t)
        pb, bpb = pml_bars(t, beats_per_bar)
        lm_bars = "-" if t.lm.error or t.lm.bars is None else f"{t.lm.bars:g}"
        pml_b = "-" if pb is None else f"{pb:.1f}" + ("" if bpb == 4 else f" ({bpb}/4)")
        row = [
            t.track.name,
            "?" if t.duration_s is None else f"{t.duration_s:.1f} s",
            _cell_seconds(t.lm),
            _cell_seconds(t.pml),
            _fmt(sp, ".1f") + ("x" if sp is not None else ""),
            _cell_mb(t.lm),
            _cell_mb(t.pml),
            lm_bars,
            pml_b,
            _cell_seam(t.lm),
            _cell_seam(t.pml),
        ]
        sp_tag = _speedup(t, tag=True)
        row += (
            [_cell_seconds(t.lm_tag), _fmt(sp_tag, ".1f") + "x", _cell_seam(t.lm_tag)]
            if t.lm_tag is not None and sp_tag is not None
            else ["-", "-", "-"]
        )
        lines.append("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
    speedups = [s for s in (_speedup(t) for t in results) if s is not None]
    lm_mb = [t.lm.run.peak_mb for t in results if t.lm.run is not None]
    both = [
        (t.lm.seam, t.pml.seam) for t in results if t.lm.seam is not None and t.pml.seam is not None
    ]
    better = sum(1 for lm_seam, pml_seam in both if lm_seam <= pml_seam)
    median = f"{statistics.median(speedups):.1f}x" if speedups else "-"
    summary = f"**Summary:** median speedup {median}"
    summary += f" over {len(speedups)} track(s); max loopmill peak RSS "
    summary += f"{max(lm_mb):.0f} MB" if lm_mb else "-"
    summary += f"; loopmill seam <= PyMusicLooper seam on {better}/{len(both)} track(s)"
    ratios = [
        (t.lm.seam_ratio, t.pml.seam_ratio)
        for t in results
        if t.lm.seam_ratio is not None and t.pml.seam_ratio is not None
    ]
    finer = sum(1 for lm_r, pml_r in ratios if lm_r <= pml_r)
    summary += f" (seam ratio lower or equal on {finer}/{len(ratios)})"
    tag_speedups = [x for x in (_speedup(t, tag=True) for t in results) if x is not None]
    if tag_speedups:
        summary += (
            f"; with --tag-only (no re-encoding, like PyMusicLooper) median speedup "
            f"{statistics.median(tag_speedups):.1f}x"
        )
    failed = sum(1 for t in results if t.lm.error or t.pml.error)
    if failed:
        summary += f"; {failed} track(s) with a failure"
    lines += ["", summary + "."]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def find_tracks(data: Path, limit: int | None, only: Sequence[str]) -> list[Path]:
    """Audio files under ``data`` (sorted by name), filtered by ``--only`` and ``--limit``."""
    tracks = sorted(p for p in data.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTS)
    if only:
        wanted = {o.lower() for o in only}
        tracks = [p for p in tracks if p.stem.lower() in wanted or p.name.lower() in wanted]
    return tracks[:limit] if limit else tracks


def default_loopmill() -> Path:
    """``loopmill`` next to this interpreter, else the repository's ``.venv``."""
    here = Path(sys.executable).parent / "loopmill"
    if here.exists():
        return here
    return Path(__file__).resolve().parent.parent / ".venv" / "bin" / "loopmill"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--data", type=Path, required=True, help="folder of audio tracks")
    ap.add_argument("--pml", type=Path, required=True, help="path to the pymusiclooper executable")
    ap.add_argument(
        "--loopmill",
        type=Path,
        default=None,
        help="path to the loopmill executable (default: next to this python)",
    )
    ap.add_argument("--out", type=Path, default=None, help="also write the report here")
    ap.add_argument("--limit", type=int, default=None, help="only the first N tracks")
    ap.add_argument("--only", nargs="*", default=[], help="only these track names/stems")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per tool per track")
    ap.add_argument(
        "--beats-per-bar",
        type=int,
        default=None,
        help="meter for PML's bar count (default: loopmill's detected meter, else 4)",
    )
    ap.add_argument(
        "--no-warmup",
        action="store_true",
        help="skip the untimed first run of each tool (numba/JIT caches)",
    )
    ap.add_argument(
        "--no-tag-only",
        action="store_true",
        help="skip the third run, loopmill loop --tag-only (no re-encoding, like PML)",
    )
    ap.add_argument("--lm-args", default="", help="extra arguments for loopmill loop")
    ap.add_argument("--pml-args", default="", help="extra arguments for pymusiclooper tag")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both tools on every track and print (and optionally write) the report."""
    args = parse_args(argv)
    lm_exe = args.loopmill or default_loopmill()
    tracks = find_tracks(args.data, args.limit, args.only)
    if not tracks:
        print(f"no audio files in {args.data}", file=sys.stderr)
        return 2
    lm_extra, pml_extra = shlex.split(args.lm_args), shlex.split(args.pml_args)
    durations = {t: (audio_info(t) or (None, 0))[0] for t in tracks}
    lm_tail = f" {args.lm_args}" if args.lm_args else ""
    pml_tail = f" {args.pml_args}" if args.pml_args else ""
    header = [
        "# Loop benchmark: loopmill vs PyMusicLooper",
        "",
        f"- date: {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- machine: {machine_line()}",
        f"- loopmill: `{tool_version([str(lm_exe), '--version'])}` "
        f"(`loopmill loop TRACK --dest DIR --format ogg --keep-metadata{lm_tail}`)",
        f"- PyMusicLooper: `{tool_version([str(args.pml), '--version'])}` "
        f"(`pymusiclooper tag --path TRACK --tag-names LOOPSTART LOOPLENGTH --tag-offset "
        f"--output-dir DIR{pml_tail}`, no prompt)",
        f"- data: {args.data} ({len(tracks)} tracks)",
        "- times: wall clock of each child process, start-up included"
        + ("" if args.no_warmup else ", after one untimed warm-up run of each tool")
        + "; MB: that child's peak RSS",
        "- seam: `loopmill.loops.seam.seam_score` for both, with in brackets the worst "
        "abruptness ratio at the wrap before the log and the clamp (lower = cleaner)"
        " (0 = seam no more abrupt than "
        "the loop's own changes; higher = worse); PML's loop scored on the original track, "
        "loopmill's on its output file",
        "- pml bars: PML loop seconds x loopmill's source bpm / 60 / beats per bar "
        "(loopmill's detected meter unless --beats-per-bar; shown when not 4)",
    ]
    with tempfile.TemporaryDirectory(prefix="loop_bench-") as tmp:
        root = Path(tmp)
        if not args.no_warmup:
            shortest = min(tracks, key=lambda t: durations[t] or float("inf"))
            print(f"warm-up on {shortest.name} ...", file=sys.stderr, flush=True)
            run_loopmill(lm_exe, shortest, root / "warmup", args.timeout, lm_extra)
            run_pml(args.pml, shortest, root / "warmup", args.timeout, pml_extra)
        results: list[TrackResult] = []
        for i, track in enumerate(tracks, 1):
            work = root / f"{i:03d}"
            print(f"[{i}/{len(tracks)}] {track.name}: loopmill ...", file=sys.stderr, flush=True)
            lm = run_loopmill(lm_exe, track, work, args.timeout, lm_extra)
            print(
                f"[{i}/{len(tracks)}] {track.name}: pymusiclooper ...", file=sys.stderr, flush=True
            )
            pml = run_pml(args.pml, track, work, args.timeout, pml_extra)
            tag = None
            if not args.no_tag_only:
                print(f"[{i}/{len(tracks)}] {track.name}: loopmill --tag-only ...",
                      file=sys.stderr, flush=True)  # fmt: skip
                tag = run_loopmill(
                    lm_exe, track, work / "tag", args.timeout, [*lm_extra, "--tag-only"]
                )
            results.append(TrackResult(track, durations[track], lm, pml, tag))
    report = render(results, header, args.beats_per_bar)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
