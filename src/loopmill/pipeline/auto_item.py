"""One item of a bulk run, as a worker process runs it: spec in, stored files out.

This is the only code a worker (a local process or a Dask worker) runs. It renders
the loop, encodes every format into a private staging folder, sends the files to the
destination (local folder, S3 or any fsspec URL) and returns a JSON-able record for
the catalog. The audio never travels back to the coordinator: on a cluster the
worker's disk is not the coordinator's.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopmill.engines.base import Engine

if TYPE_CHECKING:
    from loopmill.storage.sink import Sink

__all__ = ["ItemJob", "run_item", "worker_setup"]

# Loaded once per worker process, reused by every item it runs.
_ENGINES: dict[tuple[str, str | None], Engine] = {}
_SINKS: dict[tuple[str, str | None, str | None], Sink] = {}


@dataclass(frozen=True)
class ItemJob:
    """Everything a worker needs for one loop (picklable, no open handles)."""

    index: int
    spec: dict[str, Any]
    run_id: str
    engine: str = "composer"
    model: str | None = None
    formats: tuple[str, ...] = ("ogg",)
    dest: str = "loops"
    file_prefix: str = "loop"
    keep_metadata: bool = False
    sample_rate: int = 44100
    s3_endpoint_url: str | None = None
    spool_dir: str | None = None
    measure: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def worker_setup() -> None:
    """Process initializer: one thread per loop, freed memory kept for reuse, Ctrl-C
    left to the coordinator.

    The terminal sends SIGINT to the whole process group; a worker that died of it
    would lose the item in hand, so workers ignore it and the coordinator stops
    handing out work instead.
    """
    import signal

    from loopmill._alloc import keep_freed_memory
    from loopmill._threads import set_max_threads

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_max_threads(1)
    keep_freed_memory()  # no page faults for every reused multi-megabyte buffer


def _engine(name: str, model: str | None) -> Engine:
    from loopmill.pipeline.generate import get_engine

    if (name, model) not in _ENGINES:
        _ENGINES[name, model] = get_engine(name, model=model)
    return _ENGINES[name, model]


def run_item(job: ItemJob) -> dict[str, Any]:
    """Render, encode and store one loop; return its catalog record.

    Returns
    -------
    dict
        The record (see :func:`loopmill.storage.catalog.record_from_loop`) plus
        ``index``, ``uris``, ``spooled`` (URIs kept in the local spool because the
        destination was down) and ``timings`` in seconds.

    Raises
    ------
    LoopmillError
        Any failure of this item; the coordinator retries or reports it.
    """
    from loopmill.engines.params import GenerationParams
    from loopmill.pipeline.generate import _encode_all, finish
    from loopmill.pipeline.loop_files import loop_tags
    from loopmill.prompts.spec import MusicSpec
    from loopmill.storage.catalog import record_from_loop
    from loopmill.storage.sidecar import sidecar_path, write_json_atomic
    from loopmill.storage.sink import open_sink

    t0 = time.perf_counter()
    spec = MusicSpec.from_dict(job.spec)
    params = GenerationParams()
    out = _engine(job.engine, job.model).generate(spec, params, sr=job.sample_rate)
    loop = finish(out, spec=spec, params=params, engine=job.engine)
    t_render = time.perf_counter()
    record_extra: dict[str, Any] = {}
    if job.measure:
        from loopmill.analysis import analyze

        found = analyze(loop.audio, sr=loop.sr, loudness=False)
        record_extra = {"detected_bpm": round(float(found.bpm), 3), "detected_key": str(found.key)}
    t_measure = time.perf_counter()
    # The run id starts with its date and time: names sort by time, and an item
    # rendered again after a kill gets the same name (replaced, never duplicated).
    stem = f"{job.file_prefix}_{job.run_id}_{job.index:05d}_{loop.extra['seed']}"
    staging = Path(tempfile.mkdtemp(prefix="loopmill-item-"))
    try:
        paths = [staging / f"{stem}.{fmt}" for fmt in job.formats]
        _encode_all(paths, loop, tags=loop_tags(loop))
        if job.keep_metadata:
            meta = {"tool": "loopmill", "prompt": spec.text, "run_id": job.run_id,
                    **loop.to_dict()}
            paths.append(write_json_atomic(sidecar_path(paths[0]), meta))
        t_encode = time.perf_counter()
        where = (job.dest, job.spool_dir, job.s3_endpoint_url)
        if where not in _SINKS:
            _SINKS[where] = open_sink(
                job.dest, spool_dir=Path(job.spool_dir) if job.spool_dir else None,
                s3_endpoint_url=job.s3_endpoint_url,
            )
        sink = _SINKS[where]
        before = len(sink.spooled)
        uris = [sink.put(p, p.name) for p in paths]
        spooled = [uri for _, uri in sink.spooled[before:]]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    t_store = time.perf_counter()
    timings = {
        "render": round(t_render - t0, 3),
        "measure": round(t_measure - t_render, 3),
        "encode": round(t_encode - t_measure, 3),
        "store": round(t_store - t_encode, 3),
        "total": round(t_store - t0, 3),
    }
    record = record_from_loop(loop, prompt=spec.text, uris=uris, run_id=job.run_id,
                              timings=timings)
    record.update(record_extra)
    record.update({"index": job.index, "name": stem, "spooled": spooled, "uris": uris})
    return record
