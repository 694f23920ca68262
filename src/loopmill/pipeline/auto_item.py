"""One item of a bulk run, as a worker process runs it: spec in, stored files out.

This is the only code a worker (a local process or a Dask worker) runs. It renders
the loop, publishes every format through the one writer (:mod:`loopmill.storage.writer`:
a local folder written once, S3 or any fsspec URL uploaded from a private scratch
folder) and returns a JSON-able record for the catalog. The audio never travels back
to the coordinator: on a cluster the worker's disk is not the coordinator's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopmill.engines.registry import EngineEntry
from loopmill.errors import LoopmillError
from loopmill.pipeline.request import GenerateRequest

if TYPE_CHECKING:
    from loopmill.loops.types import Loop
    from loopmill.prompts.spec import MusicSpec
    from loopmill.storage.sink import Sink

__all__ = ["ItemJob", "clean_stale_staging", "run_item", "run_items", "staging_dir",
           "worker_setup"]

_STAGING = "loopmill-item-"

# Opened once per worker process, reused by every item it runs (engines: the registry).
_SINKS: dict[tuple[str, str | None, str | None], Sink] = {}


@dataclass(frozen=True)
class ItemJob:
    """One item of a run: the run's request, this item's index and its spec (the seed
    is in it). Picklable, no open handles: it is all a worker needs for one loop.

    ``engine_entry`` is the request's engine as the coordinator registered it, so a
    worker process (spawned, or on a Dask cluster) knows an engine a caller added.
    """

    index: int
    spec: dict[str, Any]
    run_id: str
    request: GenerateRequest = field(default_factory=lambda: GenerateRequest(catalog=False))
    s3_endpoint_url: str | None = None
    spool_dir: str | None = None
    measure: bool = True
    engine_entry: EngineEntry | None = None


def worker_setup(parent_pid: int | None = None) -> None:
    """Process initializer: one thread per loop, freed memory kept for reuse, Ctrl-C
    left to the coordinator, and death with the coordinator.

    The terminal sends SIGINT to the whole process group; a worker that died of it
    would lose the item in hand, so workers ignore it and the coordinator stops
    handing out work instead. With ``parent_pid`` (a local pool) the worker exits as
    soon as that process is gone (``kill -9`` of ``loopmill auto``), publishing
    nothing more.
    """
    import signal

    from loopmill._alloc import keep_freed_memory
    from loopmill._threads import set_max_threads

    keep_freed_memory()  # no page faults for every reused buffer; before any thread starts
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent_pid is not None:
        from loopmill._parent import watch_parent

        watch_parent(parent_pid)
    set_max_threads(1)
    clean_stale_staging()  # what killed workers of earlier runs left in the temp folder


def staging_dir(*, root: Path | None = None) -> Path:
    """A private folder in ``root`` (the temp folder) named after this process."""
    return Path(tempfile.mkdtemp(prefix=f"{_STAGING}{os.getpid()}-",
                                 dir=str(root) if root else None))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def clean_stale_staging(*, root: Path | None = None) -> int:
    """Remove staging folders whose worker is dead (a SIGKILL gives no chance to clean).

    Returns
    -------
    int
        How many folders were removed.
    """
    base = Path(root or tempfile.gettempdir())
    removed = 0
    try:
        entries = list(base.glob(f"{_STAGING}*"))
    except OSError:
        return 0
    for d in entries:
        pid_text = d.name[len(_STAGING):].split("-", 1)[0]
        if not d.is_dir() or not pid_text.isdigit() or _pid_alive(int(pid_text)):
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed += not d.exists()
    return removed


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
    (result,) = run_items([job])
    if isinstance(result, BaseException):
        raise result
    return result


def run_items(jobs: list[ItemJob]) -> list[dict[str, Any] | LoopmillError]:
    """Render a batch of items (in one batched call for a model engine such as
    MusicGen; one by one for the composer), then encode and store each.

    Returns
    -------
    list
        Per job, its record (as :func:`run_item`) or the error that ended it: one
        item's failure does not lose the others.
    """
    from loopmill.engines.registry import get_engine, restore
    from loopmill.pipeline.finish import finish_many, render_many
    from loopmill.prompts.spec import MusicSpec

    if not jobs:
        return []
    first = jobs[0]
    t0 = time.perf_counter()
    specs = [MusicSpec.from_dict(j.spec) for j in jobs]
    try:
        req = first.request
        if first.engine_entry is not None:
            restore([first.engine_entry])
        eng = get_engine(req.engine, model=req.model)  # loaded once per worker process
        params = req.engine_params()
        outs = render_many(eng, specs, params, sr=req.sample_rate)
        loops = finish_many(eng, outs, specs=specs, params=params, engine=req.engine,
                            sr=req.sample_rate, max_attempts=req.max_attempts,
                            target_lufs=req.target_lufs)
    except Exception as exc:  # the whole batch failed to render
        err = _as_error(exc)
        return [err for _ in jobs]
    per_item = (time.perf_counter() - t0) / len(jobs)
    results: list[dict[str, Any] | LoopmillError] = []
    for job, spec, loop in zip(jobs, specs, loops, strict=True):
        if isinstance(loop, LoopmillError):
            results.append(loop)
            continue
        try:
            results.append(_store(job, spec, loop, render_s=per_item))
        except Exception as exc:
            results.append(_as_error(exc))
    return results


def _as_error(exc: BaseException) -> LoopmillError:
    """Errors travel back to the coordinator pickled: keep them to one simple type."""
    if isinstance(exc, LoopmillError):
        return exc
    return LoopmillError(f"{type(exc).__name__}: {exc}")


def _store(job: ItemJob, spec: MusicSpec, loop: Loop, *, render_s: float) -> dict[str, Any]:
    """Measure and publish one finished loop; its catalog record."""
    from loopmill.pipeline.loop_files import loop_tags
    from loopmill.storage.catalog import record_from_loop
    from loopmill.storage.sink import open_sink
    from loopmill.storage.writer import publish_loop

    t_render = time.perf_counter()
    record_extra: dict[str, Any] = {}
    if job.measure:
        from loopmill.analysis import analyze

        found = analyze(loop.audio, sr=loop.sr, loudness=False)
        record_extra = {"detected_bpm": round(float(found.bpm), 3), "detected_key": str(found.key)}
    t_measure = time.perf_counter()
    # The run id starts with its date and time: names sort by time, and an item
    # rendered again after a kill gets the same name (replaced, never duplicated).
    req = job.request
    stem = f"{req.file_prefix}_{job.run_id}_{job.index:05d}_{loop.extra['seed']}"
    where = (req.dest, job.spool_dir, job.s3_endpoint_url)
    if where not in _SINKS:
        _SINKS[where] = open_sink(
            req.dest, spool_dir=Path(job.spool_dir) if job.spool_dir else None,
            s3_endpoint_url=job.s3_endpoint_url,
        )
    meta = {"tool": "loopmill", "prompt": spec.text, "run_id": job.run_id, **loop.to_dict()}
    # A local folder is written once, as it is encoded; a remote one gets uploads.
    pub = publish_loop(_SINKS[where], loop, stem=stem, formats=req.formats,
                       tags=loop_tags(loop), exclusive=False,
                       sidecar=meta if req.keep_metadata else None)
    uris, spooled = pub.uris, pub.spooled
    t_store = time.perf_counter()
    timings = {
        "render": round(render_s, 3),
        "measure": round(t_measure - t_render, 3),
        "write": round(t_store - t_measure, 3),  # encode and store: one step now
        "total": round(render_s + t_store - t_render, 3),
    }
    record = record_from_loop(loop, prompt=spec.text, uris=uris, run_id=job.run_id,
                              timings=timings)
    record.update(record_extra)
    record.update({"index": job.index, "name": stem, "spooled": spooled, "uris": uris})
    return record
