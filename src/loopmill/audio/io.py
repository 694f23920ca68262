"""Reading and writing audio files: ``info``, ``load`` and atomic ``save``.

wav/flac/ogg/mp3/aiff (and whatever else libsndfile reads) go through soundfile;
other formats (m4a, aac, opus in webm, wma, mp4 …) are decoded by an ``ffmpeg``
subprocess when one is installed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from loopmill._atomic import atomic_path
from loopmill.audio import _ffmpeg, _ogg, _parallel, _riff
from loopmill.audio.looptags import (
    LoopPoints,
    check_file,
    check_tag_key,
    write_loop_points,
    write_tags,
)
from loopmill.errors import BadInputError, StorageError, UnsupportedFormatError

WRITE_FORMATS = ("wav", "flac", "ogg", "mp3")
# Extensions libsndfile owns: a failure to open one of these means a bad file, not a
# job for ffmpeg.
_SNDFILE_EXTS = {"wav", "wave", "flac", "ogg", "oga", "mp3", "aif", "aiff", "aifc", "au", "caf"}
_EXACT_COUNT = {"wav", "flac", "aiff"}  # formats whose header frame count is exact
_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
_BLOCK = 1 << 18  # frames per read/write block: bounds the temporary [block, C] copy
_SF_FORMAT = {"wav": "WAV", "flac": "FLAC", "ogg": "OGG", "mp3": "MP3"}


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says, without decoding it.

    ``frames`` (and so ``duration``) is an estimate for MP3 files without a
    Xing/LAME header and for some ffmpeg-decoded formats.
    """

    path: Path
    sr: int
    channels: int
    frames: int
    duration: float
    format: str
    subtype: str


def _reason(exc: Exception) -> str:
    text = getattr(exc, "error_string", None) or str(exc)
    return str(text).strip().rstrip(".")


def _kind(fmt: str) -> str:
    """libsndfile's major format name to a short lower-case one."""
    fmt = fmt.upper()
    return {"WAVEX": "wav", "RF64": "wav", "OGG": "ogg", "AIFF": "aiff"}.get(fmt, fmt.lower())


def _not_audio(path: Path, exc: Exception) -> BadInputError:
    return BadInputError(
        f"{path}: is not a readable audio file ({_reason(exc)}); pass a wav/flac/ogg/mp3 file"
    )


def _uses_ffmpeg(path: Path) -> bool:
    return path.suffix.lower().lstrip(".") not in _SNDFILE_EXTS


def info(path: str | Path) -> AudioInfo:
    """Read a file's header (no decoding).

    Parameters
    ----------
    path : str or Path
        An audio file.

    Returns
    -------
    AudioInfo
    """
    path = Path(path)
    check_file(path)
    try:
        i = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as exc:
        if not _uses_ffmpeg(path):
            raise _not_audio(path, exc) from exc
        sr, channels, duration, codec = _ffmpeg.probe(path)
        frames = round(duration * sr)
        ext = path.suffix.lower().lstrip(".")
        return AudioInfo(path, sr, channels, frames, frames / sr, ext, codec)
    return AudioInfo(
        path, i.samplerate, i.channels, i.frames, i.frames / i.samplerate,
        _kind(i.format), i.subtype,
    )  # fmt: skip


def load(
    path: str | Path,
    *,
    sr: int | None = None,
    mono: bool = False,
    max_duration: float | None = None,
) -> tuple[np.ndarray, int]:
    """Decode an audio file.

    Parameters
    ----------
    path : str or Path
        wav/flac/ogg/mp3/aiff (libsndfile), or anything ffmpeg decodes when installed.
    sr : int, optional
        Resample to this rate; the file's own rate when None.
    mono : bool
        Average the channels into one.
    max_duration : float, optional
        Refuse files longer than this many seconds (checked from the header, before
        decoding).

    Returns
    -------
    y : np.ndarray, float32, shape [C, T]
        Samples in [-1, 1] for integer formats; ``C`` is 1 when ``mono``.
    sr : int
        The rate of ``y``.

    Raises
    ------
    BadInputError
        Missing, empty, unreadable, truncated, zero-length, non-finite or too-long input.
    UnsupportedFormatError
        A format that needs ffmpeg when ffmpeg is not installed.
    """
    path = Path(path)
    check_file(path)
    if sr is not None and sr <= 0:
        raise BadInputError(f"sr={sr} is invalid; pass a positive sample rate or None")
    if max_duration is not None and max_duration <= 0:
        raise BadInputError(f"max_duration={max_duration} is invalid; pass seconds > 0")
    try:
        f = sf.SoundFile(str(path))
    except (sf.LibsndfileError, RuntimeError) as exc:
        if not _uses_ffmpeg(path):
            raise _not_audio(path, exc) from exc
        y, file_sr = _ffmpeg.decode(path, max_duration=max_duration)
        _check_finite(path, y)
    else:
        with f:
            if _kind(f.format) == "ogg" and not _ogg.is_complete(path):
                # refused like a cut-off WAV, not looped from the part that is left
                raise BadInputError(
                    f"{path}: is truncated: the Ogg stream stops after {f.frames} frames "
                    "without its end page; re-export or re-download it"
                )
            if max_duration is not None and f.frames / f.samplerate > max_duration:
                raise _ffmpeg.too_long(path, f.frames / f.samplerate, max_duration)
            resample_mono = mono and sr is not None and f.samplerate != sr
            if _parallel.eligible(f):  # long Ogg/FLAC: decode two halves at once
                file_sr = f.samplerate
                if resample_mono and sr is not None:
                    y, file_sr = _parallel.read_mono_resampled(path, f, sr), sr
                else:
                    y = _parallel.read_full(path, f)
            elif resample_mono and sr is not None:
                y, file_sr = _read_mono_resampled(path, f, max_duration, sr)
            else:
                y, file_sr = _read_soundfile(path, f, max_duration)
    if y.shape[1] == 0:
        raise BadInputError(f"{path}: has no audio (0 frames); pass a non-empty recording")
    if mono and y.shape[0] > 1:
        y = y.mean(axis=0, keepdims=True, dtype=np.float32)
    if sr is not None and sr != file_sr:
        from loopmill.audio.resample import resample

        y = resample(y, orig_sr=file_sr, target_sr=sr)
        file_sr = sr
    return y, file_sr


def _check_finite(path: Path, block: np.ndarray) -> None:
    if not np.isfinite(block).all():
        raise BadInputError(f"{path}: contains NaN or infinite samples; re-export it")


def _iter_blocks(path: Path, f: sf.SoundFile, max_duration: float | None) -> Iterator[np.ndarray]:
    """Validated ``[n, C]`` float32 blocks of ``f`` (views of one reused buffer).

    Checks the decoded length against ``max_duration`` (:func:`load` has already
    refused files whose header is too long; MP3 headers can under-count), the samples
    for NaN/inf, and at the end that no frames the header promised are missing
    (truncation).
    """
    file_sr, channels, header = f.samplerate, f.channels, f.frames
    kind = _kind(f.format)
    limit = None if max_duration is None else int(max_duration * file_sr) + 1
    buf = np.empty((_BLOCK, channels), np.float32)
    pos = 0
    while True:
        try:
            block = f.read(frames=_BLOCK, dtype="float32", always_2d=True, out=buf)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise BadInputError(
                f"{path}: is truncated or corrupt after {pos} of {header} frames "
                f"({_reason(exc)}); re-export or re-download it"
            ) from exc
        n = block.shape[0]
        if n == 0:
            break
        _check_finite(path, block)
        pos += n
        if limit is not None and pos > limit:
            raise _ffmpeg.too_long(path, pos / file_sr, float(max_duration or 0))
        yield block
        if n < _BLOCK:
            break
    promised = header
    if kind in ("wav", "aiff"):
        # libsndfile quietly shortens a cut-off WAV/AIFF: the promise is in the header.
        promised = max(header, _riff.declared_frames(path) or 0)
    if kind in _EXACT_COUNT and pos < promised:
        raise BadInputError(
            f"{path}: is truncated: the header promises {promised} frames but only {pos} "
            "are present; re-export or re-download it"
        )


def _read_soundfile(
    path: Path, f: sf.SoundFile, max_duration: float | None
) -> tuple[np.ndarray, int]:
    """Block-wise read into a preallocated [C, T] array (peak memory ≈ one copy)."""
    channels, header = f.channels, f.frames
    out = np.empty((channels, header), np.float32)
    pos = 0
    for block in _iter_blocks(path, f, max_duration):
        n = block.shape[0]
        if pos + n > out.shape[1]:  # header under-counted (MP3 estimate): grow
            grow = np.empty((channels, max(n, out.shape[1] // 2)), np.float32)
            out = np.concatenate([out, grow], axis=1)
        out[:, pos : pos + n] = block.T
        pos += n
    if pos != out.shape[1]:
        out = np.ascontiguousarray(out[:, :pos])
    return out, f.samplerate


def _read_mono_resampled(
    path: Path, f: sf.SoundFile, max_duration: float | None, sr: int
) -> tuple[np.ndarray, int]:
    """Mix down and resample block by block: the full-rate audio is never held.

    A 7-minute stereo track needs 148 MB at its own rate and 37 MB as 22.05 kHz
    mono; this path only ever holds the latter (plus one block).
    """
    from loopmill.audio.resample import resample_mono_stream

    mono = resample_mono_stream(
        _iter_blocks(path, f, max_duration),
        orig_sr=f.samplerate,
        target_sr=sr,
        frames_hint=f.frames,
    )
    return mono[None, :], sr


def load_region(path: str | Path, *, start: int, stop: int) -> tuple[np.ndarray, int]:
    """Decode frames ``[start, stop)`` of a file (clipped to its length).

    Parameters
    ----------
    path : str or Path
        A file :func:`load` can read.
    start, stop : int
        Frame range in the file's own sample rate.

    Returns
    -------
    y : np.ndarray, float32, shape [C, stop - start]
    sr : int
    """
    path = Path(path)
    if start < 0 or stop <= start:
        raise BadInputError(f"{path}: frame range [{start}, {stop}) is empty or negative")
    try:
        f = sf.SoundFile(str(path))
    except (sf.LibsndfileError, RuntimeError):
        y, file_sr = load(path)
        return np.ascontiguousarray(y[:, start:stop]), file_sr
    with f:
        try:
            f.seek(start)
            block = f.read(frames=stop - start, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise BadInputError(
                f"{path}: cannot read frames {start}-{stop} ({_reason(exc)}); "
                "re-export or re-download it"
            ) from exc
        _check_finite(path, block)
        return np.ascontiguousarray(block.T), f.samplerate


def _encoding(
    path: Path, fmt: str, bit_depth: int | str, quality: float
) -> tuple[str, float | None]:
    """(libsndfile subtype, compression level or None) for a format and its options."""
    if fmt in ("ogg", "mp3"):
        if not 0.0 <= quality <= 1.0:
            raise BadInputError(f"{path}: quality={quality} is out of range; pass 0.0 to 1.0")
        return ("VORBIS" if fmt == "ogg" else "MPEG_LAYER_III"), 1.0 - quality
    depths: dict[int | str, str] = {16: "PCM_16", 24: "PCM_24"}
    if fmt == "wav":
        depths["float"] = "FLOAT"
    if bit_depth not in depths:
        allowed = ", ".join(repr(d) for d in depths)
        raise BadInputError(
            f"{path}: bit_depth={bit_depth!r} is not valid for {fmt}; use {allowed}"
        )
    return depths[bit_depth], None


def save(
    path: str | Path,
    y: np.ndarray,
    *,
    sr: int,
    format: str | None = None,
    bit_depth: int | str = 16,
    quality: float = 0.7,
    loop: LoopPoints | None = None,
    tags: Mapping[str, str] | None = None,
) -> Path:
    """Write audio atomically, with loop points and tags.

    The file is written to ``.NAME.part-<random>.<ext>`` beside the target, tagged,
    then renamed over ``path``; a failure leaves no partial file behind.

    Parameters
    ----------
    path : str or Path
        Destination; missing parent folders are created.
    y : np.ndarray, shape [C, T]
        Audio (a 1-D array is written as mono). Integer PCM (wav 16/24, flac) is
        clipped to [-1, 1]; float WAV keeps overs; Vorbis and MP3 encode the float
        signal as is, so normalise first if it exceeds full scale.
    sr : int
        Sample rate. MP3 allows 8000 … 48000 Hz standard rates and 1–2 channels.
    format : str, optional
        ``"wav"``, ``"flac"``, ``"ogg"`` or ``"mp3"``; from the suffix when None.
    bit_depth : int or str
        wav: 16, 24 or ``"float"``; flac: 16 or 24. Ignored for ogg/mp3.
    quality : float
        0 (smallest) … 1 (best) for ogg (Vorbis) and mp3 (VBR).
    loop : LoopPoints, optional
        Loop points to embed (see :mod:`loopmill.audio.looptags`).
    tags : mapping of str to str, optional
        Free-form text tags to embed.

    Returns
    -------
    Path
        The written path.

    Raises
    ------
    UnsupportedFormatError
        Unknown format.
    BadInputError
        Bad audio, rate, options, loop or tag names.
    StorageError
        The destination cannot be written.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if fmt not in WRITE_FORMATS:
        raise UnsupportedFormatError(
            f"{path}: cannot write format {fmt!r}; choose one of {', '.join(WRITE_FORMATS)}"
        )
    subtype, level = _encoding(path, fmt, bit_depth, quality)
    y = _check_audio(path, np.asarray(y), sr, fmt)
    if loop is not None and loop.end > y.shape[1]:
        raise BadInputError(
            f"{path}: loop {loop.start}+{loop.length} runs past the {y.shape[1]} samples "
            "of the audio; pass loop points inside it"
        )
    clean_tags = {check_tag_key(path, k): str(v) for k, v in (tags or {}).items()}
    tmp = path
    try:
        # A hidden file beside path, renamed over it when complete (see loopmill._atomic);
        # its suffix is the format's, as the taggers go by it.
        with atomic_path(path, suffix=f".{fmt}", fix="choose another dest",
                         field="dest") as tmp:
            _write_audio(tmp, y, sr=sr, fmt=fmt, subtype=subtype, level=level)
            if clean_tags:
                write_tags(tmp, clean_tags)
            if loop is not None:
                write_loop_points(tmp, loop, sr=sr)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise _storage(path, exc) from exc
    except StorageError as exc:
        if tmp == path:
            raise
        raise StorageError(str(exc).replace(str(tmp), str(path)), field=exc.fields) from exc
    return path


def _storage(path: Path, exc: Exception) -> StorageError:
    reason = getattr(exc, "strerror", None) or _reason(exc)
    return StorageError(f"cannot write {path}: {reason}; choose another dest", field="dest")


def _check_audio(path: Path, y: np.ndarray, sr: int, fmt: str) -> np.ndarray:
    if y.ndim == 1:
        y = y[np.newaxis]
    if y.ndim != 2 or y.shape[0] < 1 or y.shape[1] < 1:
        raise BadInputError(f"{path}: audio must be shaped [channels, samples], got {y.shape}")
    if not isinstance(sr, int | np.integer) or sr <= 0:
        raise BadInputError(f"{path}: sr={sr!r} is invalid; pass a positive integer rate")
    if y.shape[0] > 64:
        raise BadInputError(
            f"{path}: audio has {y.shape[0]} channels; is it [samples, channels]? "
            "pass [channels, samples]"
        )
    if fmt == "mp3" and (y.shape[0] > 2 or sr not in _MP3_RATES):
        raise BadInputError(
            f"{path}: MP3 takes 1-2 channels at {', '.join(map(str, _MP3_RATES))} Hz, got "
            f"{y.shape[0]} channels at {sr} Hz; resample to 44100 or write flac"
        )
    if not np.isfinite(y).all():
        raise BadInputError(f"{path}: audio contains NaN or infinite samples; fix the signal")
    return y


def _write_audio(
    tmp: Path, y: np.ndarray, *, sr: int, fmt: str, subtype: str, level: float | None
) -> None:
    """Encode block-wise so the [T, C] copy libsndfile needs stays one block long."""
    if fmt == "mp3":
        _write_mp3(tmp, y, sr=sr, level=level)
        return
    extra: dict[str, object] = {}
    if level is not None:
        extra["compression_level"] = level
    clip = subtype.startswith("PCM")
    with sf.SoundFile(
        str(tmp), "w", samplerate=int(sr), channels=y.shape[0], format=_SF_FORMAT[fmt],
        subtype=subtype, **extra,
    ) as f:  # fmt: skip
        for a in range(0, y.shape[1], _BLOCK):
            block = np.ascontiguousarray(y[:, a : a + _BLOCK].T, dtype=np.float32)
            if clip:
                np.clip(block, -1.0, 1.0, out=block)
            f.write(block)


def _write_mp3(tmp: Path, y: np.ndarray, *, sr: int, level: float | None) -> None:
    """MP3 through pedalboard's LAME, VBR ``V0`` (best) to ``V9`` from the level.

    libsndfile's own MP3 encoder took 2.6 s for 70 s of stereo here, LAME through
    pedalboard 0.66 s; both write the encoder-delay header, so decoding is gapless
    (tested: same length, impulse at the same sample).
    """
    from pedalboard.io import AudioFile

    vbr = round(9 * (level if level is not None else 0.3))
    # The temporary name ends in .mp3, which is how pedalboard picks the encoder.
    with AudioFile(str(tmp), "w", float(sr), int(y.shape[0]), quality=f"V{vbr}") as f:
        for a in range(0, y.shape[1], _BLOCK):
            f.write(np.ascontiguousarray(y[:, a : a + _BLOCK], dtype=np.float32))


__all__ = ["WRITE_FORMATS", "AudioInfo", "info", "load", "load_region", "save"]
