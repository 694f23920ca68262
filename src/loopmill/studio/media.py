"""What the page needs to know about a loop's files: which one to play, its loop points
in seconds, and waveform peaks (computed here once per file, then cached)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from loopmill.studio.security import safe_file

__all__ = ["PLAY_ORDER", "file_for", "loop_info", "peaks", "stored_formats"]

#: formats a browser decodes sample-exactly first; MP3 last (a decoder that ignores
#: the LAME header shifts everything by the encoder delay)
PLAY_ORDER = ("ogg", "flac", "wav", "mp3")
_CACHE: OrderedDict[tuple[str, int, int, int], dict[str, Any]] = OrderedDict()
_CACHE_SIZE = 256
_LOCK = threading.Lock()


def stored_formats(row: dict[str, Any]) -> dict[str, str]:
    """Format (file suffix) -> URI for every file of a catalog row."""
    out: dict[str, str] = {}
    for uri in row.get("uris") or []:
        suffix = Path(str(uri)).suffix.lower().lstrip(".")
        if suffix and suffix not in out:
            out[suffix] = str(uri)
    return out


def file_for(row: dict[str, Any], fmt: str | None, roots: Sequence[Path]) -> Path | None:
    """The servable file of ``row`` in ``fmt`` (None: the best one to play), or None."""
    formats = stored_formats(row)
    order = [fmt] if fmt else [*[f for f in PLAY_ORDER if f in formats], *formats]
    for f in order:
        if f in formats:
            path = safe_file(formats[f], roots)
            if path is not None:
                return path
    return None


def _key(path: Path, bins: int) -> tuple[str, int, int, int]:
    st = path.stat()
    return (str(path), st.st_mtime_ns, st.st_size, bins)


def loop_info(path: Path) -> dict[str, Any]:
    """The file's rate, length and loop region (the whole file without loop points).

    Returns
    -------
    dict
        ``sr``, ``frames``, ``duration``, ``loop_start``/``loop_length`` in samples and
        ``loop_start_s``/``loop_end_s`` in seconds, ``has_loop_points``.
    """
    from loopmill.audio import info, read_loop_points

    i = info(path)
    lp = read_loop_points(path)
    start, length = (lp.start, lp.length) if lp else (0, i.frames)
    length = max(1, min(length, i.frames - start)) if i.frames > start else max(1, length)
    return {"sr": i.sr, "frames": i.frames, "duration": i.duration, "format": i.format,
            "loop_start": start, "loop_length": length, "loop_start_s": start / i.sr,
            "loop_end_s": (start + length) / i.sr, "has_loop_points": lp is not None}


def peaks(path: Path, *, bins: int = 800) -> dict[str, Any]:
    """Min and max of the mono mix in ``bins`` equal slices, plus :func:`loop_info`.

    Returns
    -------
    dict
        ``min`` and ``max``: lists of ``bins`` floats in [-1, 1] (4 decimals), and the
        loop info.
    """
    from loopmill.audio import load

    key = _key(path, bins)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    y, _sr = load(path, mono=True)
    mono = y[0]
    n = max(1, min(bins, mono.size))
    edges = np.linspace(0, mono.size, n + 1).astype(np.int64)
    lo = np.minimum.reduceat(mono, edges[:-1]) if mono.size else np.zeros(n, np.float32)
    hi = np.maximum.reduceat(mono, edges[:-1]) if mono.size else np.zeros(n, np.float32)
    out = {**loop_info(path), "bins": n,
           "min": np.round(np.clip(lo, -1, 1), 4).tolist(),
           "max": np.round(np.clip(hi, -1, 1), 4).tolist()}
    with _LOCK:
        _CACHE[key] = out
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return out


_HEADS: OrderedDict[tuple[str, int, int, int], bytes] = OrderedDict()


def head_wav(path: Path, *, seconds: float) -> bytes:
    """The first ``seconds`` of the loop region as a float32 WAV (no loop points).

    The page plays it while the browser decodes the whole file, then hands over to the
    looping buffer on the same sample: a long OGG sounds at once instead of after its
    whole decode.
    """
    import io

    import soundfile as sf

    from loopmill.audio import load_region

    info = loop_info(path)
    n = max(1, min(int(seconds * info["sr"]), info["loop_length"]))
    st = path.stat()
    key = (str(path), st.st_mtime_ns, info["loop_start"], n)
    with _LOCK:
        if key in _HEADS:
            return _HEADS[key]
    y, sr = load_region(path, start=info["loop_start"], stop=info["loop_start"] + n)
    buf = io.BytesIO()
    sf.write(buf, y.T, sr, format="WAV", subtype="FLOAT")
    data = buf.getvalue()
    with _LOCK:
        _HEADS[key] = data
        while len(_HEADS) > 32:
            _HEADS.popitem(last=False)
    return data
