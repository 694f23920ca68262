"""The verification report of a game-music suite, file by file (the Tydust checklist).

Every check reads the file back from disk: it decodes completely with no NaN, lasts
exactly its loop length, has the suite's sample rate and two channels, a sensible
bitrate (lossy formats), its loop points (the same in every format of a phase), a
clean seam, loudness within 1 LU of the target and no true peak over the ceiling.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from loopmill import settings

__all__ = ["check_file", "render_markdown", "verify_suite"]

TARGET_LUFS = settings.TARGET_LUFS
LU_TOLERANCE = 1.0
TRUE_PEAK_DB = settings.TRUE_PEAK_DB
# The -1 dBTP ceiling is headroom *for* lossy encoders: they ring past the peaks of
# what they are given (LAME at ~200 kbps: up to +0.8 dB on a bright suite phase), and
# may use all of it; what a decoded lossy file must not do is clip (0 dBTP).
LOSSY_PEAK_SLACK_DB = -TRUE_PEAK_DB
SEAM_MAX = 0.1
MIN_KBPS = {"ogg": 64.0, "mp3": 96.0}


def _check(name: str, ok: bool, value: Any, want: str) -> dict[str, Any]:
    return {"check": name, "ok": bool(ok), "value": value, "want": want}


def check_file(path: Path, *, loop_length: int, sample_rate: int) -> list[dict[str, Any]]:
    """All checks of one file; a file that does not decode fails the first and stops."""
    from loopmill.audio import load, read_loop_points
    from loopmill.audio.loudness import integrated_loudness, true_peak
    from loopmill.loops.seam import seam_score

    fmt = path.suffix[1:].lower()
    try:
        y, sr = load(path)
        if not np.all(np.isfinite(y)):
            raise ValueError("NaN or infinite samples")
    except Exception as exc:  # any decoder failure is the finding, not a crash
        return [_check("integrity", False, str(exc).splitlines()[0][:160], "decodes fully")]
    checks = [_check("integrity", True, f"{y.shape[1]} frames", "decodes fully")]
    checks.append(_check("duration", y.shape[1] == loop_length,
                         round(y.shape[1] / sr, 4), f"{loop_length / sample_rate:.4f} s"))
    checks.append(_check("sample rate", sr == sample_rate, sr, str(sample_rate)))
    checks.append(_check("channels", y.shape[0] == 2, int(y.shape[0]), "2"))
    if fmt in MIN_KBPS:
        kbps = path.stat().st_size * 8 / (y.shape[1] / sr) / 1000
        checks.append(_check("bitrate", kbps >= MIN_KBPS[fmt], round(kbps, 1),
                             f">= {MIN_KBPS[fmt]:g} kbps"))
    points = read_loop_points(path)
    has_points = points is not None and points.start == 0 and points.length == loop_length
    checks.append(_check("loop points", has_points,
                         None if points is None else [points.start, points.length],
                         f"[0, {loop_length}]"))
    end = min(loop_length, y.shape[1])
    seam = float(seam_score(y, sr=sr, start=0, end=end)) if end > sr else float("nan")
    checks.append(_check("seam", seam <= SEAM_MAX, round(seam, 3), f"<= {SEAM_MAX}"))
    lufs = float(integrated_loudness(y, sr=sr))
    checks.append(_check("loudness", abs(lufs - TARGET_LUFS) <= LU_TOLERANCE, round(lufs, 2),
                         f"{TARGET_LUFS:g} ± {LU_TOLERANCE:g} LUFS"))
    ceiling = TRUE_PEAK_DB + (LOSSY_PEAK_SLACK_DB if fmt in MIN_KBPS else 0.0)
    peak = float(true_peak(y, sr=sr))
    checks.append(_check("true peak", peak <= ceiling + 1e-3, round(peak, 2),
                         f"<= {ceiling:g} dBTP"))
    return checks


def verify_suite(directory: str | Path) -> dict[str, Any]:
    """Check every file a suite's ``manifest.json`` lists, as they are on disk now.

    Returns
    -------
    dict
        ``{"ok": bool, "files": [{"phase", "file", "ok", "checks": [...]}]}``.
    """
    from loopmill.errors import BadInputError

    directory = Path(directory)
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{directory} holds no readable manifest.json ({exc}); pass a "
                            "folder made by `loopmill suite`") from None
    sr = int(manifest["suite"]["sample_rate"])
    files = []
    for phase in manifest["phases"]:
        found_points = []
        for fmt, name in phase["files"].items():
            checks = check_file(directory / name, loop_length=int(phase["loop_length"]),
                                sample_rate=sr)
            found_points.append(next((c["value"] for c in checks if c["check"] == "loop points"),
                                     None))
            files.append({"phase": phase["phase"], "format": fmt, "file": name,
                          "ok": all(c["ok"] for c in checks), "checks": checks})
        # A file that cannot be read fails its own integrity check; the formats that
        # can be read must agree with each other.
        readable = [p for p in found_points if p is not None]
        same = all(p == readable[0] for p in readable)
        if not same:
            for f in files[-len(found_points):]:
                f["checks"].append(_check("same loop points in every format", False,
                                          found_points, "equal"))
                f["ok"] = False
    lengths = {int(p["loop_length"]) for p in manifest["phases"]}
    return {"ok": all(f["ok"] for f in files) and len(lengths) == 1,
            "same_length": len(lengths) == 1, "files": files}


def render_markdown(manifest: dict[str, Any], report: dict[str, Any]) -> str:
    """The report as a Markdown checklist."""
    s = manifest["suite"]
    lines = [
        f"# Suite report: {s['use_case']}",
        "",
        f"{len(manifest['phases'])} phases, {s['bpm']:g} BPM, {s['key']}, {s['bars']} bars "
        f"({s['loop_length']} samples at {s['sample_rate']} Hz); all phases the same length: "
        f"{'PASS' if report['same_length'] else 'FAIL'}",
        "",
        f"**Overall: {'PASS' if report['ok'] else 'FAIL'}**",
        "",
        "| phase | file | check | value | want | result |",
        "|---|---|---|---|---|---|",
    ]
    for f in report["files"]:
        for c in f["checks"]:
            lines.append(f"| {f['phase']} | {f['file']} | {c['check']} | {c['value']} | "
                         f"{c['want']} | {'PASS' if c['ok'] else 'FAIL'} |")
    return "\n".join(lines) + "\n"
