"""Sample-rate conversion with soxr (fast, high quality, no scipy)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from loopmill.errors import BadInputError

QUALITIES = ("QQ", "LQ", "MQ", "HQ", "VHQ")


def resample(y: np.ndarray, *, orig_sr: int, target_sr: int, quality: str = "HQ") -> np.ndarray:
    """Resample audio to a new rate.

    Parameters
    ----------
    y : np.ndarray, shape [C, T]
        Audio (a 1-D ``[T]`` array is treated as one channel and stays 1-D).
    orig_sr, target_sr : int
        Rates in Hz.
    quality : str
        soxr quality: ``"QQ"``, ``"LQ"``, ``"MQ"``, ``"HQ"`` (default) or ``"VHQ"``.

    Returns
    -------
    np.ndarray, float32, shape [C, round(T * target_sr / orig_sr)]
        The resampled audio; ``y`` itself (as float32) when the rates are equal.
    """
    if orig_sr <= 0 or target_sr <= 0:
        raise BadInputError(
            f"sample rates must be positive, got orig_sr={orig_sr} target_sr={target_sr}"
        )
    if quality not in QUALITIES:
        raise BadInputError(f"resample quality {quality!r} is unknown; use one of {QUALITIES}")
    if y.ndim not in (1, 2):
        raise BadInputError(f"audio must be shaped [channels, samples], got {y.shape}")
    y = np.asarray(y, dtype=np.float32)
    if orig_sr == target_sr:
        return y
    import soxr  # ~0.1 s; only paid by callers that resample

    if y.shape[-1] == 0:
        return np.zeros((*y.shape[:-1], 0), np.float32)
    # soxr wants [T, C]; a transposed C-contiguous [C, T] is already F-ordered [T, C],
    # so ascontiguousarray makes the one needed copy.
    frames = y if y.ndim == 1 else np.ascontiguousarray(y.T)
    out = soxr.resample(frames, orig_sr, target_sr, quality=quality)
    out = out if y.ndim == 1 else out.T
    return np.ascontiguousarray(out, dtype=np.float32)


def resample_mono_stream(
    blocks: Iterable[np.ndarray],
    *,
    orig_sr: int,
    target_sr: int,
    frames_hint: int = 0,
    quality: str = "MQ",
) -> np.ndarray:
    """Mix ``[n, C]`` blocks down to mono and resample them as one continuous stream.

    Only the mono result at ``target_sr`` (plus one block) is ever held, never the
    full-rate audio. Each block is mixed down before the next one is pulled, so the
    blocks may be views of a buffer that the next read overwrites.

    Parameters
    ----------
    blocks : iterable of np.ndarray, each ``[n, C]``
        Consecutive frames (libsndfile's layout; pass ``y[:, a:b].T`` for ``[C, T]``).
    orig_sr, target_sr : int
        Rates in Hz.
    frames_hint : int
        Expected total input frames, to size the output once (it grows if exceeded).
    quality : str
        soxr quality.

    Returns
    -------
    np.ndarray, shape [T'], float32
    """
    import soxr

    stream = soxr.ResampleStream(orig_sr, target_sr, 1, dtype="float32", quality=quality)
    out = np.empty(int(np.ceil(frames_hint * target_sr / orig_sr)) + 1024, np.float32)
    filled = 0

    def push(part: np.ndarray) -> None:
        nonlocal out, filled
        if filled + len(part) > out.shape[0]:  # the hint under-counted: grow
            out = np.concatenate([out, np.empty(max(len(part), out.shape[0] // 2), np.float32)])
        out[filled : filled + len(part)] = part
        filled += len(part)

    pending: np.ndarray | None = None  # one block behind, to flag the last one
    for block in blocks:
        mono = block.mean(axis=1, dtype=np.float32)
        if pending is not None:
            push(stream.resample_chunk(pending, last=False))
        pending = mono
    push(stream.resample_chunk(np.zeros(0, np.float32) if pending is None else pending, last=True))
    return out[:filled]
