"""Decoding formats libsndfile cannot read (m4a, aac, opus, wma, webm, mp4 …) with ffmpeg."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

from loopmill.errors import BadInputError, UnsupportedFormatError

_TIMEOUT_S = 600


def _need(path: Path, tool: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        ext = path.suffix.lower() or "this format"
        raise UnsupportedFormatError(
            f"{path}: {ext} needs ffmpeg to decode; install it (apt-get install ffmpeg) "
            "or convert to wav/flac/ogg/mp3"
        )
    return exe


def probe(path: Path) -> tuple[int, int, float, str]:
    """(sample rate, channels, duration in s, codec name) of the first audio stream.

    Raises
    ------
    UnsupportedFormatError
        ffprobe is not installed.
    BadInputError
        The file holds no decodable audio stream.
    """
    exe = _need(path, "ffprobe")
    cmd = [
        exe, "-v", "error", "-select_streams", "a:0", "-of", "json",
        "-show_entries", "stream=sample_rate,channels,codec_name,duration:format=duration",
        str(path),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, timeout=_TIMEOUT_S, check=False)
    try:
        meta = json.loads(proc.stdout or b"{}")
        stream = meta["streams"][0]
        sr, channels = int(stream["sample_rate"]), int(stream["channels"])
    except (ValueError, KeyError, IndexError, TypeError):
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        why = reason[-1] if reason else "no audio stream"
        raise BadInputError(
            f"{path}: is not a readable audio file ({why}); pass a real audio file"
        ) from None
    duration = stream.get("duration") or meta.get("format", {}).get("duration") or 0.0
    return sr, channels, float(duration), str(stream.get("codec_name", "unknown"))


def decode(path: Path, *, max_duration: float | None) -> tuple[np.ndarray, int]:
    """Decode the first audio stream to float32 ``[C, T]`` at its own rate.

    The header duration is checked against ``max_duration`` before decoding; ffmpeg
    is also told to stop just past the limit, in case the header lied.
    """
    sr, channels, duration, _ = probe(path)
    if max_duration is not None and duration > max_duration:
        raise too_long(path, duration, max_duration)
    exe = _need(path, "ffmpeg")
    cmd = [exe, "-v", "error", "-nostdin", "-i", str(path), "-map", "0:a:0"]
    if max_duration is not None:
        cmd += ["-t", f"{max_duration + 1.0:.3f}"]
    cmd += ["-f", "f32le", "-acodec", "pcm_f32le", "-ac", str(channels), "-ar", str(sr), "-"]
    proc = subprocess.run(cmd, capture_output=True, timeout=_TIMEOUT_S, check=False)
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        why = lines[-1] if lines else f"ffmpeg exit status {proc.returncode}"
        raise BadInputError(f"{path}: is not a readable audio file ({why}); re-export it")
    # One copy for the pipe's bytes, one for the channel-first layout: the ffmpeg
    # path peaks at about twice the audio size (the soundfile path at one).
    interleaved = np.frombuffer(proc.stdout, dtype="<f4")
    frames = interleaved.size // channels
    y = np.ascontiguousarray(interleaved[: frames * channels].reshape(frames, channels).T)
    if max_duration is not None and frames > max_duration * sr:
        raise too_long(path, frames / sr, max_duration)
    return y.astype(np.float32, copy=False), sr


def too_long(path: Path, duration: float, limit: float) -> BadInputError:
    """The one error for a file over ``max_input_duration`` (the field it declares)."""
    return BadInputError(
        f"{path}: is {duration:.1f} s long, over the {limit:g} s limit; "
        "trim it or raise max_input_duration", field="max_input_duration")
