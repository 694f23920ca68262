"""``auto``: bulk generation that keeps going, resumes and scales out.

A producer thread asks the prompt provider for specs while workers render (so a slow
LLM overlaps with rendering), the coordinator hands specs to a backend (local worker
processes or a Dask cluster), stores each record in the catalog, and keeps a run
folder from which a killed or interrupted run resumes without duplicates:

``run.json``
    the options and the run's seed;
``plan.jsonl``
    every spec handed out, with its index (written before it is rendered);
``done.jsonl`` / ``failed.jsonl``
    every finished item's record, and every item that failed all its attempts.

Item ``i`` of a run uses seed ``run_seed + i`` and is stored as
``<prefix>_<run_id>_<i>_<seed>.<format>``: a resumed run renders an unfinished item
again under the same name, so nothing is duplicated.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from loopmill.errors import BadInputError, LoopmillError, ProviderError
from loopmill.pipeline.auto_item import ItemJob
from loopmill.pipeline.auto_run import append_jsonl as _append
from loopmill.pipeline.auto_run import read_jsonl as _read_jsonl
from loopmill.pipeline.auto_run import sigint_sets as _sigint_sets

__all__ = ["SPOOLED_EXIT", "AutoAbortedError", "AutoOptions", "AutoProgress", "AutoReport",
           "default_runs_dir", "run_auto"]

#: exit status of a run that made its loops but left some in the local spool
#: (EX_TEMPFAIL: the destination was down; ``loopmill spool deliver`` sends them later)
SPOOLED_EXIT = 75

_RUN, _PLAN, _DONE, _FAILED = "run.json", "plan.jsonl", "done.jsonl", "failed.jsonl"


class AutoAbortedError(LoopmillError):
    """A second Ctrl-C: the run stopped at once; ``--resume`` makes the items in hand."""

    exit_code = 130


@dataclass(frozen=True)
class AutoOptions:
    """One bulk run. ``count=None`` runs until stopped (Ctrl-C)."""

    count: int | None = 10
    prompt_provider: str = "template"
    use_case: str | None = None
    engine: str = "composer"
    model: str | None = None
    workers: int = 1
    backend: str = "local"
    scheduler: str | None = None
    resources: dict[str, float] = field(default_factory=dict)
    dest: str = "loops"
    formats: tuple[str, ...] = ("ogg",)
    keep_metadata: bool = False
    file_prefix: str = "loop"
    min_duration: float = 8.0
    max_duration: float = 30.0
    seed: int | None = None
    sample_rate: int = 44100
    retries: int = 2
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key_env: str | None = None
    prompt_file: str | None = None
    s3_endpoint_url: str | None = None
    catalog: str | None = None
    measure: bool = True
    connect_timeout: float = 10.0
    params: dict[str, Any] = field(default_factory=dict)
    max_attempts: int = 3
    batch_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able options (for ``run.json``)."""
        out = asdict(self)
        out["formats"] = list(self.formats)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AutoOptions:
        """Options from ``to_dict`` output; unknown keys are ignored (older runs)."""
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in data.items() if k in known}
        if "formats" in kw:
            kw["formats"] = tuple(kw["formats"])
        return cls(**kw)


@dataclass(frozen=True)
class AutoProgress:
    """What the progress bar shows after each finished or failed item."""

    done: int
    failed: int
    total: int | None
    audio_seconds: float
    elapsed: float
    last: str = ""


@dataclass
class AutoReport:
    """What a run made, what failed and why it stopped."""

    run_id: str
    run_dir: Path
    dest: str = ""
    made: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    spooled: list[str] = field(default_factory=list)
    delivered: list[tuple[str, str]] = field(default_factory=list)
    still_spooled: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False
    provider_error: str | None = None
    resumed: int = 0
    elapsed: float = 0.0

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio made in this session."""
        return float(sum(r.get("duration") or 0.0 for r in self.made))

    @property
    def ok(self) -> bool:
        """True when nothing failed and the provider did not break down."""
        return not self.failures and self.provider_error is None


def default_runs_dir() -> Path:
    """Where run folders go: ``LOOPMILL_RUNS`` or the user data folder's ``runs``."""
    env = os.environ.get("LOOPMILL_RUNS")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("loopmill")) / "runs"


def _check(opts: AutoOptions) -> None:
    """Refuse a bad run before any worker starts or any file is written."""
    from loopmill.audio import WRITE_FORMATS
    from loopmill.pipeline.generate import get_engine, make_spec

    if opts.count is not None and opts.count < 1:
        raise BadInputError(f"--count {opts.count} must be at least 1 (or leave it out)")
    if opts.workers < 1:
        raise BadInputError(f"--workers {opts.workers} must be at least 1")
    if opts.retries < 0:
        raise BadInputError(f"--retries {opts.retries} must be 0 or more")
    if opts.batch_size is not None and opts.batch_size < 1:
        raise BadInputError(f"--batch-size {opts.batch_size} must be at least 1")
    if opts.max_attempts < 1:
        raise BadInputError(f"--max-attempts {opts.max_attempts} must be at least 1")
    from loopmill.engines.params import GenerationParams

    GenerationParams.from_dict(opts.params)  # a bad --temperature etc. fails here
    for fmt in opts.formats or ("",):
        if fmt not in WRITE_FORMATS:
            raise BadInputError(
                f"unknown --format {fmt!r}; choose one of {', '.join(WRITE_FORMATS)}"
            )
    from loopmill.storage.claim import check_file_prefix

    check_file_prefix(opts.file_prefix)
    make_spec("", min_duration=opts.min_duration, max_duration=opts.max_duration)
    eng = get_engine(opts.engine, model=opts.model)  # an unknown engine fails here
    check = getattr(eng, "check", None)
    if callable(check):  # a missing model fails here, without loading it in the coordinator
        check()


def _start_run(opts: AutoOptions, runs_dir: Path) -> tuple[str, Path, int]:
    run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
    run_dir = runs_dir / run_id
    run_seed = opts.seed if opts.seed is not None else secrets.randbelow(2**31 - 100_000)
    from loopmill.storage.sidecar import write_json_atomic

    write_json_atomic(run_dir / _RUN, {"run_id": run_id, "seed": run_seed,
                                       "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                                       "options": opts.to_dict()})
    return run_id, run_dir, run_seed


def _load_run(run_dir: Path) -> tuple[str, AutoOptions, int]:
    try:
        meta = json.loads((run_dir / _RUN).read_text(encoding="utf-8"))
        return str(meta["run_id"]), AutoOptions.from_dict(meta["options"]), int(meta["seed"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInputError(
            f"--resume {run_dir} is not a loopmill run folder ({exc}); pass the folder "
            "that `loopmill auto` printed"
        ) from None


def _credential_warnings(opts: AutoOptions) -> list[str]:
    """Where the LLM provider's key would travel, checked before any request."""
    if opts.prompt_provider not in ("openai", "ollama"):
        return []
    from loopmill.prompts.llm import api_key_for, default_base_url, key_warnings

    url = opts.llm_base_url or default_base_url(opts.prompt_provider)
    return key_warnings(url, api_key_for(url, key_env=opts.llm_api_key_env))


def _settle_spool(sink: Any, catalog: Any, report: AutoReport) -> None:
    """Rows of delivered files point at their real URIs; list what is still waiting."""
    from loopmill.storage.spool import relink

    fresh = [d for d in sink.delivered if d not in report.delivered]
    relink(catalog, fresh)
    report.delivered.extend(fresh)
    folder = sink.spool_dir
    report.still_spooled = sorted(
        f"spool://{p}" for p in (folder.iterdir() if folder.is_dir() else [])
        if p.is_file() and not p.name.startswith("."))


def run_auto(
    opts: AutoOptions,
    *,
    resume: str | Path | None = None,
    runs_dir: str | Path | None = None,
    stop: threading.Event | None = None,
    on_progress: Callable[[AutoProgress], None] | None = None,
    handle_sigint: bool = False,
    on_warning: Callable[[str], None] | None = None,
) -> AutoReport:
    """Generate loops in bulk until ``opts.count`` are made (or ``stop`` is set).

    Parameters
    ----------
    opts : AutoOptions
        The run; with ``resume`` the run folder's own options are used instead.
    resume : path, optional
        A run folder from an earlier, interrupted or killed run: its unfinished items
        are made first, then new prompts (never one it already used) up to its count.
    runs_dir : path, optional
        Where new run folders go (default :func:`default_runs_dir`).
    stop : threading.Event, optional
        Set it to stop handing out work; the items in hand are finished and stored.
    on_progress : callable, optional
        Called with an :class:`AutoProgress` after every finished or failed item.
    handle_sigint : bool
        Let the first Ctrl-C set ``stop`` (a second one aborts); for the command line.
    on_warning : callable, optional
        Called with each warning before work starts (an API key over plain http);
        they are also in ``report.warnings``.

    Returns
    -------
    AutoReport

    Raises
    ------
    BadInputError, StorageError, MissingDependencyError
        A bad option, an unwritable destination or catalog, a missing extra: before
        any work starts. Failures of single items never raise; they are reported.
    """
    from loopmill.pipeline.backends import make_backend
    from loopmill.prompts.providers import make_provider
    from loopmill.storage.catalog import Catalog, default_catalog_path
    from loopmill.storage.sink import open_sink

    t0 = time.perf_counter()
    if resume is not None:
        run_id, opts, run_seed = _load_run(Path(resume))
        run_dir = Path(resume)
    _check(opts)
    cautions = _credential_warnings(opts)  # an unset --llm-api-key-env fails here
    catalog = Catalog(Path(opts.catalog) if opts.catalog else default_catalog_path())
    try:
        sink = open_sink(opts.dest, s3_endpoint_url=opts.s3_endpoint_url)  # delivers the spool
        sink.check()
    except BaseException:
        catalog.close()
        raise
    if resume is None:
        run_id, run_dir, run_seed = _start_run(opts, Path(runs_dir or default_runs_dir()))
    report = AutoReport(run_id=run_id, run_dir=run_dir, dest=opts.dest)  # a resumed run's own
    report.warnings = cautions
    for text in report.warnings:
        if on_warning:
            on_warning(text)
    _settle_spool(sink, catalog, report)  # files an earlier run spooled, now delivered

    planned = {int(r["index"]): r["spec"] for r in _read_jsonl(run_dir / _PLAN)}
    done_idx = {int(r["index"]) for r in _read_jsonl(run_dir / _DONE)}
    # A kill between the catalog and done.jsonl: the catalog knows the item is made.
    for row in catalog.query(run_id=run_id):
        name = str(row.get("name") or "")
        parts = name.split("_")
        if len(parts) >= 2 and parts[-2].isdigit():
            done_idx.add(int(parts[-2]))
    report.resumed = len(done_idx)
    # An engine that renders batches (MusicGen) gets a batch per call; others one loop.
    from loopmill.pipeline.finish import batch_for
    from loopmill.pipeline.generate import get_engine

    size = batch_for(get_engine(opts.engine, model=opts.model), opts.batch_size)
    todo: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue(
        maxsize=max(4, 2 * opts.workers * size))
    pending = [(i, s) for i, s in sorted(planned.items()) if i not in done_idx]
    used_texts = {str(s.get("text", "")) for s in planned.values()}
    next_index = max(planned, default=-1) + 1
    stop = stop or threading.Event()
    producer_done = threading.Event()

    def produce() -> None:
        nonlocal next_index
        try:
            for item in pending:
                if stop.is_set():
                    return
                todo.put(item)
            provider = make_provider(
                opts.prompt_provider, use_case=opts.use_case, seed=run_seed,
                min_duration=opts.min_duration, max_duration=opts.max_duration,
                llm_model=opts.llm_model, llm_base_url=opts.llm_base_url,
                llm_api_key_env=opts.llm_api_key_env, prompt_file=opts.prompt_file,
            )
            target = None if opts.count is None else opts.count - len(done_idx) - len(pending)
            made = 0
            while not stop.is_set() and (target is None or made < target):
                want = 2 * opts.workers * size
                if target is not None:
                    want = min(want, target - made)
                batch = provider.batch(want)
                if not batch:
                    return  # a file or the terminal ran out of prompts
                for spec in batch:
                    if spec.text in used_texts:
                        continue
                    used_texts.add(spec.text)
                    spec = spec.with_overrides(seed=(run_seed + next_index) % 2**31)
                    item = (next_index, spec.to_dict())
                    _append(run_dir / _PLAN, {"index": item[0], "spec": item[1]})
                    next_index += 1
                    made += 1
                    while not stop.is_set():
                        try:
                            todo.put(item, timeout=0.2)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set() or (target is not None and made >= target):
                        return
        except ProviderError as exc:
            report.provider_error = str(exc)
        except LoopmillError as exc:
            report.provider_error = str(exc)
        finally:
            producer_done.set()

    def job(index: int, spec: dict[str, Any]) -> ItemJob:
        return ItemJob(
            index=index, spec=spec, run_id=run_id, engine=opts.engine, model=opts.model,
            formats=tuple(opts.formats), dest=opts.dest, file_prefix=opts.file_prefix,
            keep_metadata=opts.keep_metadata, sample_rate=opts.sample_rate,
            s3_endpoint_url=opts.s3_endpoint_url, measure=opts.measure,
            params=dict(opts.params), max_attempts=opts.max_attempts,
        )

    backend = make_backend(opts.backend, workers=opts.workers, scheduler=opts.scheduler,
                           resources=opts.resources, timeout=opts.connect_timeout)
    producer = threading.Thread(target=produce, name="loopmill-prompts", daemon=True)
    inflight: dict[Future[list[Any]], tuple[list[ItemJob], int]] = {}
    n_failed = 0
    aborted = False

    def failed(j: ItemJob, attempt: int, exc: BaseException) -> None:
        nonlocal n_failed
        n_failed += 1
        msg = f"item {j.index} ({j.spec.get('text', '')!r}): {exc}"
        report.failures.append(msg)
        _append(run_dir / _FAILED, {"index": j.index, "error": str(exc), "attempts": attempt})
        if on_progress:
            on_progress(AutoProgress(len(report.made), n_failed, opts.count,
                                     report.audio_seconds, time.perf_counter() - t0, msg))

    def made(j: ItemJob, record: dict[str, Any]) -> None:
        record.pop("index", None)
        spooled = record.pop("spooled", [])
        record["catalog_id"] = catalog.add(record)
        report.spooled.extend(spooled)
        _append(run_dir / _DONE, {"index": j.index, **record})
        report.made.append(record)
        if on_progress:
            on_progress(AutoProgress(len(report.made) + report.resumed, n_failed, opts.count,
                                     report.audio_seconds, time.perf_counter() - t0,
                                     str(record.get("name", ""))))

    try:
        with _sigint_sets(stop, handle_sigint):
            producer.start()
            while True:
                while not stop.is_set() and len(inflight) < 2 * backend.workers:
                    jobs: list[ItemJob] = []
                    while len(jobs) < size:
                        try:
                            index, spec = todo.get(timeout=0.05 if inflight or jobs else 0.2)
                        except queue.Empty:
                            break
                        jobs.append(job(index, spec))
                    if not jobs:
                        break
                    inflight[backend.submit(jobs)] = (jobs, 1)
                if not inflight:
                    if stop.is_set() or (producer_done.is_set() and todo.empty()):
                        break
                    continue
                finished, _ = wait(list(inflight), timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in finished:
                    jobs, attempt = inflight.pop(fut)
                    try:
                        results = fut.result()
                    except BrokenProcessPool:
                        backend.restart()
                        for other, (ojobs, oa) in list(inflight.items()):
                            inflight.pop(other)
                            inflight[backend.submit(ojobs)] = (ojobs, oa)
                        inflight[backend.submit(jobs)] = (jobs, attempt + 1)
                        continue
                    except Exception as exc:  # one batch's failure never stops the run
                        results = [exc] * len(jobs)
                    again: list[ItemJob] = []
                    for j, res in zip(jobs, results, strict=True):
                        if not isinstance(res, BaseException):
                            made(j, res)
                        elif (attempt <= opts.retries and not isinstance(res, BadInputError)
                              and not stop.is_set()):
                            again.append(j)
                        else:
                            failed(j, attempt, res)
                    if again:
                        inflight[backend.submit(again)] = (again, attempt + 1)
    except KeyboardInterrupt:  # the second Ctrl-C: stop now, but say how to go on
        aborted = True
        raise AutoAbortedError(
            f"stopped at once (a second Ctrl-C); the items in hand are made again by: "
            f"loopmill auto --resume {run_dir}"
        ) from None
    finally:
        report.interrupted = stop.is_set()  # only the caller or Ctrl-C sets it
        stop.set()
        backend.close(wait=not aborted)
        producer.join(timeout=5)
        if report.spooled:
            sink.flush_spool()  # the destination may be back by now
        _settle_spool(sink, catalog, report)
        catalog.close()
        report.elapsed = time.perf_counter() - t0
    return report
