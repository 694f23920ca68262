"""``loopmill sample``: raw audio from a trained SampleRNN or LSTM checkpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from loopmill.errors import BadInputError, UnsupportedFormatError

__all__ = ["SampleReport", "sample_files"]


@dataclass
class SampleReport:
    """What ``sample_files`` wrote."""

    kind: str
    seed: int
    sample_rate: int
    paths: list[Path] = field(default_factory=list)
    seconds_taken: float = 0.0


def sample_files(
    checkpoint: str | Path,
    *,
    seconds: float = 10.0,
    count: int = 1,
    temperature: float = 1.0,
    seed: int | None = None,
    dest: str | Path = "samples",
    format: str = "wav",
    device: str = "auto",
) -> SampleReport:
    """Generate ``count`` streams of ``seconds`` (in one batch) and write one file each.

    Names are ``<kind>_<seed>_<i>.<format>``; the seed used (drawn when None) is in the
    name and the report: the same seed and count give the same audio.

    Raises
    ------
    BadInputError, MissingModelError
        Bad values or an unusable checkpoint, before anything is written.
    """
    import time

    from loopmill.audio import WRITE_FORMATS, save
    from loopmill.engines.registry import get_engine
    from loopmill.engines.trained import TrainedEngine
    from loopmill.storage.sidecar import ensure_writable_dir
    from loopmill.training.checkpoint import checkpoint_kind

    if format not in WRITE_FORMATS:
        raise UnsupportedFormatError(f"unknown format {format!r}; choose one of "
                                     f"{', '.join(WRITE_FORMATS)}", field="format")
    if seconds <= 0 or count < 1 or temperature <= 0:
        raise BadInputError(f"seconds {seconds:g}, count {count} and temperature "
                            f"{temperature:g} must all be positive",
                            field=("seconds", "count", "temperature"))
    # The checkpoint's own kind, from the registry's one per-process cache (the engine
    # ``generate --engine KIND --model CHECKPOINT`` gets; "auto" is the engine's default).
    eng = get_engine(checkpoint_kind(checkpoint), model=str(checkpoint),
                     **({} if device == "auto" else {"device": device}))
    if not isinstance(eng, TrainedEngine):
        raise BadInputError(f"engine {eng.name!r} is registered for {checkpoint}'s kind but is "
                            "not loopmill's trained-model engine; it cannot sample")
    eng.load()
    kind, sr = str(eng.kind), eng.sample_rate
    if seed is None or seed < 0:
        seed = int(np.random.default_rng().integers(2**31))
    out_dir = ensure_writable_dir(dest)
    t = time.perf_counter()
    streams = eng.sample(seconds=seconds, count=count, temperature=temperature, seed=seed)
    report = SampleReport(kind=kind, seed=seed, sample_rate=sr,
                          seconds_taken=time.perf_counter() - t)
    for i, y in enumerate(streams):
        path = out_dir / f"{kind}_{seed}_{i}.{format}"
        report.paths.append(save(path, np.clip(y, -1, 1)[None, :], sr=sr, format=format))
    return report
