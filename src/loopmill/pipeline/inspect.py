"""``inspect``: what a file is and how well it loops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from loopmill import settings
from loopmill.errors import BadInputError


def _num(x: float, digits: int = 3) -> float | None:
    return round(float(x), digits) if np.isfinite(x) else None


def inspect_file(
    path: str | Path, *, max_input_duration: float = settings.MAX_INPUT_DURATION
) -> dict[str, Any]:
    """Measure a file: format, duration, loudness, tempo, key, loop points, seam.

    The seam score is computed over the file's loop points when it carries them
    (``LOOPSTART``/``LOOPLENGTH`` or a WAV ``smpl`` loop), else over the whole file
    as if it were played over and over (``seam_of`` says which).

    Parameters
    ----------
    path : str or Path
        An audio file.
    max_input_duration : float
        Longer files are refused before decoding.

    Returns
    -------
    dict
        JSON-able report.
    """
    from loopmill.analysis import analyze
    from loopmill.audio import info, load, read_loop_points, read_tags
    from loopmill.loops.seam import seam_score

    path = Path(path)
    meta = info(path)
    y, sr = load(path, max_duration=max_input_duration)
    report: dict[str, Any] = {
        "path": str(path),
        "format": meta.format,
        "subtype": meta.subtype,
        "sample_rate": sr,
        "channels": int(y.shape[0]),
        "frames": int(y.shape[1]),
        "duration": round(y.shape[1] / sr, 6),
    }
    an = analyze(y, sr=sr)
    report.update(
        {
            "loudness_lufs": _num(an.loudness_lufs, 2),
            "true_peak_db": _num(an.true_peak_db, 2),
            "bpm": _num(an.bpm, 2),
            "beats_per_bar": an.beats_per_bar,
            "key": str(an.key) if an.key is not None else None,
        }
    )
    points = read_loop_points(path)
    if points is not None and 0 <= points.start < points.end <= y.shape[1]:
        start, end, seam_of = points.start, points.end, "loop points"
        report["loop_start"], report["loop_length"] = points.start, points.length
    else:
        if points is not None:
            report["loop_points_error"] = (
                f"loop points {points.start}+{points.length} lie outside the "
                f"{y.shape[1]} samples of the file"
            )
        start, end, seam_of = 0, y.shape[1], "whole file"
        report["loop_start"], report["loop_length"] = None, None
    try:
        report["seam_score"] = _num(seam_score(y, sr=sr, start=start, end=end), 3)
    except BadInputError as exc:
        report["seam_score"], report["seam_error"] = None, str(exc)
    report["seam_of"] = seam_of
    report["tags"] = {k: v for k, v in read_tags(path).items() if k.startswith("LOOPMILL_")}
    return report
