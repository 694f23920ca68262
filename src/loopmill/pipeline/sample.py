"""``loopmill sample``: raw audio from a trained SampleRNN or LSTM checkpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from loopmill.errors import BadInputError, UnsupportedFormatError

__all__ = ["SampleReport", "sample_files"]


@dataclass
class SampleReport:
    """What ``sample_files`` wrote: each file's path in a local folder, its URI at a
    remote destination (``spool://…`` while the local spool keeps it); ``spooled``
    names the URIs meant for the files the spool keeps (the destination was down)."""

    kind: str
    seed: int
    sample_rate: int
    paths: list[Path | str] = field(default_factory=list)
    seconds_taken: float = 0.0
    spooled: list[str] = field(default_factory=list)


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
    s3_endpoint_url: str | None = None,
) -> SampleReport:
    """Generate ``count`` streams of ``seconds`` (in one batch) and write one file each.

    Names are ``<kind>_<seed>_<i>.<format>``; the seed used (drawn when None) is in the
    name and the report: the same seed and count give the same audio. ``dest`` is a
    folder (each file written once, atomically, in place) or an fsspec URL
    (``s3://bucket/prefix``, the endpoint from ``s3_endpoint_url`` or
    ``AWS_ENDPOINT_URL``), through :func:`loopmill.storage.writer.write_folder`.

    Raises
    ------
    BadInputError, MissingModelError
        Bad values or an unusable checkpoint, before anything is written.
    StorageError
        A destination that cannot be written, before any audio is made.
    """
    import time

    from loopmill.audio import WRITE_FORMATS, save
    from loopmill.engines.registry import get_engine
    from loopmill.engines.trained import TrainedEngine
    from loopmill.storage.sink import open_sink
    from loopmill.storage.writer import write_folder
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
    sink = open_sink(dest, s3_endpoint_url=s3_endpoint_url)  # once the model is usable
    sink.check()
    kind, sr = str(eng.kind), eng.sample_rate
    if seed is None or seed < 0:
        seed = int(np.random.default_rng().integers(2**31))
    t = time.perf_counter()
    streams = eng.sample(seconds=seconds, count=count, temperature=temperature, seed=seed)
    report = SampleReport(kind=kind, seed=seed, sample_rate=sr,
                          seconds_taken=time.perf_counter() - t)
    names = [f"{kind}_{seed}_{i}.{format}" for i in range(len(streams))]
    with write_folder(sink) as out:
        for name, y in zip(names, streams, strict=True):
            save(out.path / name, np.clip(y, -1, 1)[None, :], sr=sr, format=format)
    report.paths = [out.sent[n] if out.remote else out.path / n for n in names]
    report.spooled = [uri for _, uri in sink.spooled]
    return report
