"""The scheduler of a bulk run: items from a source to a backend, and results back.

It keeps every worker busy (two batches in flight per worker, so a worker never waits
for the coordinator), retries a failed item up to ``retries`` more times, replaces a
local pool whose worker process died, and reports each item once: made or failed.

Ctrl-C (with ``handle_sigint``): the first one sets ``stop``, so no more work is
handed out and the items in hand are finished and reported; a second one raises
:class:`KeyboardInterrupt` at once, and :meth:`Scheduler.close` then stops the
workers without waiting for them.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from loopmill.errors import BadInputError, LoopmillError

if TYPE_CHECKING:
    from loopmill.pipeline.auto_item import ItemJob
    from loopmill.pipeline.backends import Backend

__all__ = ["Scheduler", "WorkSource", "sigint_sets"]


class WorkSource(Protocol):
    """Where the scheduler takes items from (a
    :class:`~loopmill.pipeline.auto_producer.PromptProducer`)."""

    def start(self) -> None:
        """Begin producing items."""
        ...

    def get(self, timeout: float) -> tuple[int, dict[str, Any]] | None:
        """The next ``(index, spec_dict)``, or None if none came within ``timeout``."""
        ...

    def exhausted(self) -> bool:
        """True when no item will come any more."""
        ...


@contextmanager
def sigint_sets(stop: threading.Event, enabled: bool) -> Iterator[None]:
    """First Ctrl-C: set ``stop`` (finish the items in hand); a second one raises
    KeyboardInterrupt. Only in the main thread, and only when ``enabled``."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    old = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@dataclass(eq=False)
class Scheduler:
    """Hands a source's items to a backend in batches until the source is exhausted
    (or ``stop`` is set), and reports each item's outcome.

    Parameters
    ----------
    backend : Backend
        Where the jobs run (:func:`loopmill.pipeline.backends.make_backend`).
    source : WorkSource
        Where the items come from.
    make_job : callable
        ``(index, spec_dict)`` → the job a worker runs.
    on_made : callable
        Called with ``(job, record)`` for each item made, in the caller's thread.
    on_failed : callable
        Called with ``(job, attempts, error)`` for each item that failed its last
        attempt (a :class:`~loopmill.errors.BadInputError` is not retried, nor is any
        item once ``stop`` is set).
    stop : threading.Event
        Set it to stop handing out work; what is in flight is still collected.
    batch_size : int
        Items per job batch (a model engine renders a batch in one call).
    retries : int
        Attempts after an item's first failed one.
    """

    backend: Backend
    _: KW_ONLY
    source: WorkSource
    make_job: Callable[[int, dict[str, Any]], ItemJob]
    on_made: Callable[[ItemJob, dict[str, Any]], None]
    on_failed: Callable[[ItemJob, int, BaseException], None]
    stop: threading.Event
    batch_size: int = 1
    retries: int = 2
    #: a second Ctrl-C ended :meth:`run`: :meth:`close` does not wait for the workers
    aborted: bool = field(default=False, init=False)
    _inflight: dict[Future[list[Any]], tuple[list[ItemJob], int]] = field(
        default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.batch_size = max(1, self.batch_size)

    def run(self, *, handle_sigint: bool = False) -> None:
        """Start the source and schedule until it is exhausted or ``stop`` is set and
        nothing is in flight.

        Raises
        ------
        KeyboardInterrupt
            A second Ctrl-C (with ``handle_sigint``): the items in flight are dropped.
        """
        try:
            with sigint_sets(self.stop, handle_sigint):
                self.source.start()
                self._loop()
        except KeyboardInterrupt:
            self.aborted = True
            raise

    def close(self) -> None:
        """Stop the backend: after the workers finish, or at once after an abort."""
        self.backend.close(wait=not self.aborted)

    def _loop(self) -> None:
        while True:
            self._fill()
            if not self._inflight:
                if self.stop.is_set() or self.source.exhausted():
                    return
                continue
            finished, _ = wait(list(self._inflight), timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in finished:
                if fut in self._inflight:  # a broken pool's restart resubmits the others
                    self._collect(fut)

    def _fill(self) -> None:
        """Submit batches until two per worker are in flight or the source has none."""
        while not self.stop.is_set() and len(self._inflight) < 2 * self.backend.workers:
            jobs: list[ItemJob] = []
            while len(jobs) < self.batch_size:
                item = self.source.get(0.05 if self._inflight or jobs else 0.2)
                if item is None:
                    break
                jobs.append(self.make_job(*item))
            if not jobs:
                return
            self._submit(jobs, 1)

    def _submit(self, jobs: list[ItemJob], attempt: int) -> None:
        self._inflight[self.backend.submit(jobs)] = (jobs, attempt)

    def _collect(self, fut: Future[list[Any]]) -> None:
        jobs, attempt = self._inflight.pop(fut)
        try:
            results = fut.result()
        except BrokenProcessPool:
            self._restart(jobs, attempt)
            return
        except Exception as exc:  # one batch's failure never stops the run
            results = [exc] * len(jobs)
        again: list[ItemJob] = []
        for job, res in zip(jobs, results, strict=True):
            if not isinstance(res, BaseException):
                self.on_made(job, res)
            elif self._retry(res, attempt):
                again.append(job)
            else:
                self.on_failed(job, attempt, res)
        if again:
            self._submit(again, attempt + 1)

    def _retry(self, exc: BaseException, attempt: int) -> bool:
        return (attempt <= self.retries and not isinstance(exc, BadInputError)
                and not self.stop.is_set())

    def _restart(self, jobs: list[ItemJob], attempt: int) -> None:
        """A worker process died and took the local pool with it: start fresh workers,
        hand them every batch in flight again, and count one attempt against the batch
        whose result told (so an item that kills its worker every time fails in the end)."""
        self.backend.restart()
        others = list(self._inflight.values())
        self._inflight.clear()
        for ojobs, oattempt in others:
            self._submit(ojobs, oattempt)
        if attempt <= self.retries:
            self._submit(jobs, attempt + 1)
            return
        err = LoopmillError("its worker process died (killed, or out of memory)")
        for job in jobs:
            self.on_failed(job, attempt, err)
