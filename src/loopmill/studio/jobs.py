"""The studio's generation queue: requests from the page become :class:`ItemJob` batches
on the same local worker pool ``auto`` uses; every finished loop goes into the catalog
and every change is an event the page streams.

Cancelling drops a job's items that have not started; the loop a worker already has in
hand is finished and kept (its files are written by then), exactly as ``auto`` stops.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from loopmill import settings
from loopmill.errors import BadInputError, LoopmillError

if TYPE_CHECKING:
    from loopmill.pipeline.request import GenerateRequest as PipelineRequest

__all__ = ["GenerateRequest", "Job", "JobQueue"]

_RUNNING_STATES = ("queued", "running")


class GenerateRequest(BaseModel):
    """The page's generate form; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(default="", max_length=1000)
    engine: str = settings.ENGINE
    model: str | None = Field(default=None, max_length=500)
    bpm: float | None = Field(default=None, ge=settings.BPM_RANGE[0], le=settings.BPM_RANGE[1])
    key: str | None = Field(default=None, max_length=24)
    genre: str | None = Field(default=None, max_length=40)
    min_duration: float | None = None
    max_duration: float | None = None
    count: int = Field(default=1, ge=1, le=100)
    formats: list[str] = Field(default_factory=lambda: [settings.COMPOSED_FORMAT], min_length=1,
                               max_length=4)
    seed: int | None = Field(default=None, ge=-1, lt=2**31)
    sample_rate: int = settings.SAMPLE_RATE


@dataclass
class Job:
    """One generate request and how far it got."""

    id: str
    request: dict[str, Any]
    run_id: str
    items: list[tuple[int, dict[str, Any]]]
    #: the pipeline's request the page's form became (what every item renders)
    plan: PipelineRequest
    status: str = "queued"
    done: int = 0
    failed: int = 0
    loop_ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    finished: float | None = None
    next_item: int = 0
    in_flight: int = 0

    @property
    def total(self) -> int:
        """Loops asked for."""
        return len(self.items)

    def to_dict(self) -> dict[str, Any]:
        """What the page shows."""
        return {"id": self.id, "status": self.status, "total": self.total, "done": self.done,
                "failed": self.failed, "loop_ids": list(self.loop_ids),
                "errors": list(self.errors), "prompt": self.request.get("prompt", ""),
                "engine": self.request.get("engine"), "run_id": self.run_id,
                "created": self.created, "finished": self.finished,
                "seed": self.items[0][1].get("seed") if self.items else None}


class JobQueue:
    """A FIFO of generate jobs run by ``workers`` worker processes.

    Parameters
    ----------
    dest : Path
        Where the loops' files go.
    on_record : callable
        Stores one finished loop's catalog record; returns its id.
    workers : int
        Worker processes (started at the first job, kept until :meth:`close`).
    measure : bool
        Detect each loop's tempo and key for the catalog.
    """

    def __init__(self, *, dest: Path, on_record: Callable[[dict[str, Any]], int],
                 workers: int = 1, measure: bool = True) -> None:
        self.dest = dest
        self.on_record = on_record
        self.workers = workers
        self.measure = measure
        self._jobs: dict[str, Job] = {}
        self._cond = threading.Condition()
        self._events: deque[tuple[int, dict[str, Any]]] = deque(maxlen=2000)
        self._seq = itertools.count(1)
        self._last = 0
        self._stop = threading.Event()
        self._backend: Any = None
        self._thread = threading.Thread(target=self._run, name="loopmill-studio-jobs",
                                        daemon=True)
        self._thread.start()

    # -- the API the routes call -------------------------------------------------------

    def submit(self, req: GenerateRequest) -> Job:
        """Check a request and queue it.

        Raises
        ------
        BadInputError
            An unknown engine or format, or a prompt/duration/seed the spec refuses.
        """
        from loopmill.pipeline.request import GenerateRequest as Request

        seed = req.seed if req.seed is not None and req.seed >= 0 else secrets.randbelow(2**31)
        # the pipeline's own request checks everything, as for `loopmill generate`
        request = Request(prompt=req.prompt, engine=req.engine, model=req.model, bpm=req.bpm,
                          key=req.key, genre=req.genre, min_duration=req.min_duration,
                          max_duration=req.max_duration, seed=seed,
                          formats=tuple(req.formats), sample_rate=req.sample_rate,
                          count=req.count, catalog=False, dest=str(self.dest),
                          file_prefix="studio")
        items = [(i, request.item_spec(i).to_dict()) for i in range(req.count)]
        job_id = secrets.token_hex(4)
        job = Job(id=job_id, request=req.model_dump(), items=items, plan=request,
                  run_id=f"studio-{time.strftime('%Y%m%d-%H%M%S')}-{job_id}")
        with self._cond:
            self._jobs[job_id] = job
        self._publish("job", job)
        return job

    def cancel(self, job_id: str) -> Job:
        """Stop handing out a job's items (the one in hand still finishes).

        Raises
        ------
        BadInputError
            No job has this id.
        """
        job = self.get(job_id)
        with self._cond:
            if job.status in _RUNNING_STATES:
                job.status = "cancelled" if job.in_flight == 0 else "cancelling"
                if job.in_flight == 0:
                    job.finished = time.time()
        self._publish("job", job)
        return job

    def get(self, job_id: str) -> Job:
        """The job with this id (BadInputError if none)."""
        with self._cond:
            job = self._jobs.get(job_id)
        if job is None:
            raise BadInputError(f"no job with id {job_id!r}")
        return job

    def all(self) -> list[Job]:
        """Every job, newest first."""
        with self._cond:
            return sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)

    def wait_events(self, after: int, timeout: float) -> list[tuple[int, dict[str, Any]]]:
        """Events with a sequence number over ``after``; waits up to ``timeout`` for one."""
        with self._cond:
            if self._last <= after and not self._stop.is_set():
                self._cond.wait(timeout)
            return [(s, e) for s, e in self._events if s > after]

    def close(self) -> None:
        """Stop the queue and the workers (a loop in hand is finished first)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=60)

    # -- the coordinator thread ---------------------------------------------------------

    def notify(self, kind: str, payload: dict[str, Any]) -> None:
        """Publish an event that is not about a job (an evolve session's progress)."""
        with self._cond:
            seq = next(self._seq)
            self._events.append((seq, {"type": kind, **payload}))
            self._last = seq
            self._cond.notify_all()

    def _publish(self, kind: str, job: Job, **extra: Any) -> None:
        with self._cond:
            seq = next(self._seq)
            self._events.append((seq, {"type": kind, "job": job.to_dict(), **extra}))
            self._last = seq
            self._cond.notify_all()

    def _next_items(self, room: int) -> list[tuple[Job, Any]]:
        """Up to ``room`` ItemJobs, oldest job first."""
        from loopmill.pipeline.auto_item import ItemJob

        out: list[tuple[Job, Any]] = []
        with self._cond:
            for job in sorted(self._jobs.values(), key=lambda j: j.created):
                while job.status in _RUNNING_STATES and job.next_item < job.total and room:
                    index, spec = job.items[job.next_item]
                    out.append((job, ItemJob(index=index, spec=spec, run_id=job.run_id,
                                             request=job.plan, measure=self.measure)))
                    job.next_item += 1
                    job.in_flight += 1
                    job.status = "running"
                    room -= 1
        return out

    def _run(self) -> None:
        inflight: dict[Future[list[Any]], tuple[Job, Any, int]] = {}
        try:
            while not self._stop.is_set():
                room = 2 * self.workers - len(inflight)
                for job, item in self._next_items(room) if room > 0 else []:
                    self._publish("job", job)
                    inflight[self._submit(item)] = (job, item, 1)
                if not inflight:
                    with self._cond:
                        self._cond.wait(0.2)
                    continue
                finished, _ = wait(list(inflight), timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in finished:
                    job, item, attempt = inflight.pop(fut)
                    try:
                        (result,) = fut.result()
                    except BrokenProcessPool:
                        self._backend.restart()
                        if attempt < 2:
                            inflight[self._submit(item)] = (job, item, attempt + 1)
                            continue
                        result = LoopmillError("a worker process died; see the server log")
                    except Exception as exc:  # one item's failure never stops the queue
                        result = LoopmillError(f"{type(exc).__name__}: {exc}")
                    self._finish_item(job, result)
        finally:
            if self._backend is not None:
                self._backend.close()

    def _submit(self, item: Any) -> Future[list[Any]]:
        if self._backend is None:
            from loopmill.pipeline.backends import make_backend

            self._backend = make_backend("local", workers=self.workers)
        fut: Future[list[Any]] = self._backend.submit([item])
        return fut

    def _finish_item(self, job: Job, result: Any) -> None:
        loop_id = None
        if isinstance(result, BaseException):
            with self._cond:
                job.failed += 1
                job.errors.append(str(result))
        else:
            result.pop("index", None)
            result.pop("spooled", None)
            try:
                loop_id = self.on_record(result)
            except LoopmillError as exc:
                with self._cond:
                    job.failed += 1
                    job.errors.append(str(exc))
            else:
                with self._cond:
                    job.done += 1
                    job.loop_ids.append(loop_id)
        with self._cond:
            job.in_flight -= 1
            if job.status == "cancelling" and job.in_flight == 0:
                job.status = "cancelled"
            elif job.status == "running" and job.done + job.failed == job.total:
                job.status = "failed" if job.done == 0 else "done"
            if job.status not in (*_RUNNING_STATES, "cancelling"):
                job.finished = job.finished or time.time()
        self._publish("item", job, loop_id=loop_id)
