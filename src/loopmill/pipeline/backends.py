"""Where bulk work runs: local worker processes (default) or a Dask cluster.

Both hand back ``concurrent.futures.Future`` objects, so the scheduler in
:mod:`loopmill.pipeline.auto_scheduler` does not care which one it talks to.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol

from loopmill.errors import BadInputError, MissingDependencyError, StorageError
from loopmill.pipeline.auto_item import ItemJob, run_items, worker_setup

__all__ = ["BACKENDS", "Backend", "DaskBackend", "LocalBackend", "make_backend"]

BACKENDS = ("local", "dask")


class Backend(Protocol):
    """Runs :func:`run_item` jobs somewhere and returns futures of their records."""

    workers: int

    def submit(self, jobs: list[ItemJob]) -> Future[list[Any]]:
        """Start a batch of jobs (one, or a model engine's batch); the future holds
        one record or error per job."""
        ...

    def restart(self) -> None:
        """Replace workers that died (a crashed process breaks a local pool)."""
        ...

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers this backend started (``wait``: let them finish first)."""
        ...


class LocalBackend:
    """``workers`` spawned processes on this machine, each one thread per loop."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the coordinator runs threads (the prompt producer). Workers
        # are started by submit() in the coordinator's own thread, which outlives the
        # pool, so their parent-death signal fires only when the coordinator dies.
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker_setup,
            initargs=(os.getpid(),),
        )

    def submit(self, jobs: list[ItemJob]) -> Future[list[Any]]:
        """Start a batch of jobs in a worker process."""
        return self._pool.submit(run_items, jobs)

    def restart(self) -> None:
        """Throw away a broken pool and start fresh workers."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def close(self, *, wait: bool = True) -> None:
        """Wait for the workers to exit; ``wait=False`` stops them now (an abort: their
        items in hand are not recorded, and a resumed run makes them again)."""
        procs = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=wait, cancel_futures=True)
        if not wait:
            for proc in procs:  # else interpreter exit would still wait for them
                proc.terminate()


class DaskBackend:
    """A Dask cluster: the scheduler at ``scheduler``, or a local one on 127.0.0.1.

    Each Dask worker loads the engine once (a per-process cache in
    :mod:`loopmill.pipeline.auto_item`) and renders one loop per thread; give it
    ``--nthreads 1`` or a GPU resource (``dask worker --resources GPU=1``) and pass
    ``resources={"GPU": 1}`` so that each job holds one.
    """

    def __init__(
        self, workers: int, *, scheduler: str | None = None,
        resources: dict[str, float] | None = None, timeout: float = 10.0,
    ) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise MissingDependencyError(
                "backend 'dask' needs dask.distributed; pip install 'loopmill[cluster]'",
                field="backend",
            ) from None
        self.resources = dict(resources or {})
        self._cluster: Any = None
        try:
            if scheduler:
                self._client = Client(scheduler, timeout=timeout)
            else:
                self._cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None,
                    resources=self.resources or None,
                )
                self._client = Client(self._cluster, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise StorageError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}; start it with "
                "`dask scheduler` or fix its address"
            ) from None
        self._client.run(worker_setup)
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))

    def submit(self, jobs: list[ItemJob]) -> Future[list[Any]]:
        """Submit a batch of jobs to the cluster; a plain Future mirrors the Dask one."""
        out: Future[list[Any]] = Future()
        out.set_running_or_notify_cancel()
        task = self._client.submit(run_items, jobs, pure=False,
                                   resources=self.resources or None)

        def relay(done: Any) -> None:
            try:
                out.set_result(done.result())
            except BaseException as exc:  # the worker's exception, re-raised here
                out.set_exception(exc)

        task.add_done_callback(relay)
        out.dask_future = task  # type: ignore[attr-defined]  # keeps the task alive
        return out

    def restart(self) -> None:
        """Dask replaces lost workers itself."""

    def close(self, *, wait: bool = True) -> None:
        """Close the client and the local cluster, if this backend started one."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_backend(
    name: str, *, workers: int, scheduler: str | None = None,
    resources: dict[str, float] | None = None, timeout: float = 10.0,
) -> Backend:
    """The backend called ``name`` (``local`` or ``dask``) with ``workers`` workers.

    Raises
    ------
    BadInputError
        An unknown backend or a worker count under 1.
    """
    if workers < 1:
        raise BadInputError(f"workers {workers} must be at least 1", field="workers")
    if name == "local":
        if scheduler:
            raise BadInputError("scheduler needs backend 'dask'",
                                field=("scheduler", "backend"))
        return LocalBackend(workers)
    if name == "dask":
        return DaskBackend(workers, scheduler=scheduler, resources=resources, timeout=timeout)
    raise BadInputError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}",
                        field="backend")
