"""The scheduler alone, with an in-process backend: batches, retries, broken pools, Ctrl-C."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pytest

from loopmill.errors import BadInputError, LoopmillError
from loopmill.pipeline.auto_item import ItemJob
from loopmill.pipeline.auto_scheduler import Scheduler

Run = Callable[[list[ItemJob]], list[Any]]


class FakeBackend:
    """Runs each batch in this process: at once, or on a thread pool (``threads``)."""

    def __init__(self, run: Run, *, workers: int = 2, threads: bool = False) -> None:
        self.run = run
        self.workers = workers
        self.submitted: list[list[int]] = []
        self.restarts = 0
        self.closed: bool | None = None
        self.most_in_flight = 0
        self._futures: list[Future[list[Any]]] = []
        self._pool = ThreadPoolExecutor(workers) if threads else None

    def submit(self, jobs: list[ItemJob]) -> Future[list[Any]]:
        self.submitted.append([j.index for j in jobs])
        if self._pool is not None:
            fut = self._pool.submit(self.run, jobs)
        else:
            fut = Future()
            try:
                fut.set_result(self.run(jobs))
            except Exception as exc:
                fut.set_exception(exc)
        self._futures.append(fut)
        self.most_in_flight = max(self.most_in_flight,
                                  sum(not f.done() for f in self._futures))
        return fut

    def restart(self) -> None:
        self.restarts += 1

    def close(self, *, wait: bool = True) -> None:
        self.closed = wait
        if self._pool is not None:
            self._pool.shutdown(wait=wait)


class ListSource:
    def __init__(self, n: int) -> None:
        self.items = [(i, {"text": f"prompt {i}", "seed": i}) for i in range(n)]
        self.started = False

    def start(self) -> None:
        self.started = True

    def get(self, timeout: float) -> tuple[int, dict[str, Any]] | None:
        assert self.started
        return self.items.pop(0) if self.items else None

    def exhausted(self) -> bool:
        return not self.items


def _job(index: int, spec: dict[str, Any]) -> ItemJob:
    return ItemJob(index=index, spec=spec, run_id="r")


class Outcomes:
    def __init__(self) -> None:
        self.made: list[int] = []
        self.failed: list[tuple[int, int, str]] = []

    def on_made(self, job: ItemJob, record: dict[str, Any]) -> None:
        assert record == {"name": f"n{job.index}"}
        self.made.append(job.index)

    def on_failed(self, job: ItemJob, attempts: int, exc: BaseException) -> None:
        self.failed.append((job.index, attempts, str(exc)))


def _scheduler(backend: FakeBackend, source: ListSource, out: Outcomes, **kw: Any) -> Scheduler:
    kw.setdefault("stop", threading.Event())
    return Scheduler(backend, source=source, make_job=_job, on_made=out.on_made,
                     on_failed=out.on_failed, **kw)


def _records(jobs: list[ItemJob]) -> list[Any]:
    return [{"name": f"n{j.index}"} for j in jobs]


def test_every_item_made_once_in_batches() -> None:
    backend = FakeBackend(_records)
    out = Outcomes()
    sch = _scheduler(backend, ListSource(7), out, batch_size=3)
    sch.run()
    assert sorted(out.made) == list(range(7)) and not out.failed
    assert backend.submitted == [[0, 1, 2], [3, 4, 5], [6]]
    sch.close()
    assert backend.closed is True


def test_a_failing_item_is_retried_then_lands_in_failed() -> None:
    def run(jobs: list[ItemJob]) -> list[Any]:
        return [LoopmillError("no loop found") if j.index == 1 else {"name": f"n{j.index}"}
                for j in jobs]

    backend = FakeBackend(run)
    out = Outcomes()
    _scheduler(backend, ListSource(3), out, retries=2).run()
    assert sorted(out.made) == [0, 2]
    assert out.failed == [(1, 3, "no loop found")]  # 1 + 2 retries, reported once
    assert [b for b in backend.submitted if b == [1]] == [[1]] * 3


def test_bad_input_is_not_retried_and_a_raising_batch_fails_each_item() -> None:
    def run(jobs: list[ItemJob]) -> list[Any]:
        if any(j.index >= 2 for j in jobs):
            raise RuntimeError("worker bug")
        return [BadInputError("bars 3 do not fit") if j.index == 0 else {"name": f"n{j.index}"}
                for j in jobs]

    backend = FakeBackend(run, workers=1)
    out = Outcomes()
    _scheduler(backend, ListSource(4), out, retries=1, batch_size=2).run()
    assert out.made == [1]  # its batch-mate's bad input does not take it down
    assert sorted(out.failed) == [(0, 1, "bars 3 do not fit"), (2, 2, "worker bug"),
                                  (3, 2, "worker bug")]
    assert backend.submitted == [[0, 1], [2, 3], [2, 3]]


def test_a_broken_pool_is_restarted_and_its_batches_handed_out_again() -> None:
    broken = {"left": 1}

    def run(jobs: list[ItemJob]) -> list[Any]:
        if broken["left"]:
            broken["left"] -= 1
            raise BrokenProcessPool("a worker died")
        return _records(jobs)

    backend = FakeBackend(run)
    out = Outcomes()
    _scheduler(backend, ListSource(4), out).run()
    assert sorted(out.made) == [0, 1, 2, 3] and not out.failed
    assert backend.restarts == 1


def test_an_item_that_kills_its_worker_every_time_fails_in_the_end() -> None:
    stop = threading.Event()
    tries = {"n": 0}

    def run(jobs: list[ItemJob]) -> list[Any]:
        if jobs[0].index == 0:
            tries["n"] += 1
            if tries["n"] > 10:  # without a limit this would go on for ever
                stop.set()
            raise BrokenProcessPool("a worker died")
        return _records(jobs)

    backend = FakeBackend(run, workers=1)
    out = Outcomes()
    _scheduler(backend, ListSource(2), out, retries=2, stop=stop).run()
    assert tries["n"] == 3 and not stop.is_set()
    assert out.made == [1]
    assert out.failed == [(0, 3, "its worker process died (killed, or out of memory)")]
    assert backend.restarts == 3


def test_stop_hands_out_nothing_more_and_does_not_retry() -> None:
    stop = threading.Event()
    out = Outcomes()

    def run(jobs: list[ItemJob]) -> list[Any]:
        stop.set()  # as if Ctrl-C came while this batch rendered
        return [LoopmillError("flaky")]

    backend = FakeBackend(run, workers=1)
    _scheduler(backend, ListSource(5), out, stop=stop, retries=5).run()
    assert backend.submitted == [[0]]
    assert out.failed == [(0, 1, "flaky")]


def test_keeps_two_batches_per_worker_in_flight() -> None:
    def run(jobs: list[ItemJob]) -> list[Any]:
        time.sleep(0.05)
        return _records(jobs)

    backend = FakeBackend(run, workers=2, threads=True)
    out = Outcomes()
    sch = _scheduler(backend, ListSource(12), out)
    sch.run()
    sch.close()
    assert sorted(out.made) == list(range(12))
    assert backend.most_in_flight == 4  # two per worker: none waits for the coordinator
    assert max(len(b) for b in backend.submitted) == 1


def test_first_ctrl_c_stops_the_second_aborts() -> None:
    assert threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGINT)
    stop = threading.Event()
    out = Outcomes()

    def once(jobs: list[ItemJob]) -> list[Any]:
        signal.raise_signal(signal.SIGINT)
        return _records(jobs)

    backend = FakeBackend(once, workers=1)
    sch = _scheduler(backend, ListSource(5), out, stop=stop)
    sch.run(handle_sigint=True)  # the first: no exception, the item in hand is made
    assert stop.is_set() and out.made == [0] and not sch.aborted
    assert signal.getsignal(signal.SIGINT) is before

    def twice(jobs: list[ItemJob]) -> list[Any]:
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
        return _records(jobs)

    backend = FakeBackend(twice, workers=1)
    sch = _scheduler(backend, ListSource(5), Outcomes())
    with pytest.raises(KeyboardInterrupt):
        sch.run(handle_sigint=True)
    assert sch.aborted
    sch.close()
    assert backend.closed is False  # the workers are stopped, not waited for
    assert signal.getsignal(signal.SIGINT) is before
