"""``auto``: bulk generation that keeps going, resumes and scales out.

:func:`run_auto` coordinates three parts, each in its own module and tested alone:

the prompt producer (:mod:`loopmill.pipeline.auto_producer`)
    a thread that asks the prompt provider for specs while workers render, so a slow
    LLM overlaps with rendering;
the scheduler (:mod:`loopmill.pipeline.auto_scheduler`)
    hands specs to a backend (local worker processes or a Dask cluster), retries,
    collects the results, and handles Ctrl-C;
the run journal (:mod:`loopmill.pipeline.auto_journal`)
    the run folder (``run.json``, ``plan.jsonl``, ``done.jsonl``, ``failed.jsonl``)
    from which a killed or interrupted run resumes without duplicates.

The coordinator stores each made item in the journal and then the catalog, and
reports progress. Item ``i`` of a run uses seed ``run_seed + i`` and is stored as
``<prefix>_<run_id>_<i>_<seed>.<format>``: a resumed run renders an unfinished item
again under the same name, so nothing is duplicated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopmill import settings
from loopmill.errors import BadInputError, Failure, LoopmillError
from loopmill.pipeline.auto_item import ItemJob
from loopmill.pipeline.auto_journal import RunJournal
from loopmill.pipeline.request import GenerateRequest

if TYPE_CHECKING:
    from loopmill.storage.catalog import Catalog

__all__ = ["DEFAULT_DEST", "SPOOLED_EXIT", "AutoAbortedError", "AutoOptions", "AutoProgress",
           "AutoReport", "default_runs_dir", "run_auto"]

#: exit status of a run that made its loops but left some in the local spool
#: (EX_TEMPFAIL: the destination was down; ``loopmill spool deliver`` sends them later)
SPOOLED_EXIT = 75

#: where a new run writes when no ``dest`` is given
DEFAULT_DEST = "loops"


class AutoAbortedError(LoopmillError):
    """A second Ctrl-C: the run stopped at once; resuming it (``run_dir``) makes the
    items that were in hand."""

    exit_code = 130

    def __init__(self, message: str = "", *, run_dir: Path | None = None) -> None:
        super().__init__(message)
        self.run_dir = run_dir


@dataclass(frozen=True)
class AutoOptions:
    """One bulk run. ``count=None`` runs until stopped (Ctrl-C).

    ``dest=None`` means "not given": a new run writes to :data:`DEFAULT_DEST`, and a
    resumed run to the destination it was started with. A resumed run takes every
    other option from its ``run.json``; a ``dest`` given with it must be that run's
    own (else :func:`run_auto` refuses, naming the run's destination).
    """

    count: int | None = 10
    use_case: str | None = None
    # who writes the prompts
    prompt_provider: str = settings.PROMPT_PROVIDER
    prompt_file: str | None = None
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key_env: str | None = None
    # what each item is made with
    engine: str = settings.ENGINE
    model: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    min_duration: float = settings.MIN_DURATION
    max_duration: float = settings.MAX_DURATION
    seed: int | None = None
    sample_rate: int = settings.SAMPLE_RATE
    max_attempts: int = settings.MAX_ATTEMPTS
    batch_size: int | None = None
    # where the loops go, and what is recorded of them
    dest: str | None = None
    formats: tuple[str, ...] = (settings.COMPOSED_FORMAT,)
    keep_metadata: bool = False
    file_prefix: str = settings.FILE_PREFIX
    s3_endpoint_url: str | None = None
    catalog: str | None = None
    measure: bool = True
    # who renders them
    workers: int = 1
    backend: str = "local"
    scheduler: str | None = None
    resources: dict[str, float] = field(default_factory=dict)
    connect_timeout: float = 10.0
    retries: int = 2

    def to_dict(self) -> dict[str, Any]:
        """JSON-able options (for ``run.json``)."""
        out = asdict(self)
        out["formats"] = list(self.formats)
        return out

    def request(self) -> GenerateRequest:
        """The run's one request, validated: every item is this request at its own
        index, with its provider's spec (and seed ``seed + index``)."""
        from loopmill.engines.params import GenerationParams

        return GenerateRequest(
            engine=self.engine, model=self.model, min_duration=self.min_duration,
            max_duration=self.max_duration, seed=self.seed,
            params=GenerationParams.from_dict(self.params), formats=self.formats,
            sample_rate=self.sample_rate, dest=self.dest or DEFAULT_DEST,
            file_prefix=self.file_prefix, keep_metadata=self.keep_metadata,
            max_attempts=self.max_attempts, batch_size=self.batch_size, catalog=self.catalog)

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
    """What a run made, what failed and why it stopped.

    ``failures`` holds each item that failed its last attempt (labelled
    ``item <index> ('<prompt>')``) and ``provider_error`` why the prompt provider broke
    down, each with the fields its message names.
    """

    run_id: str
    run_dir: Path
    dest: str = ""
    made: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    spooled: list[str] = field(default_factory=list)
    delivered: list[tuple[str, str]] = field(default_factory=list)
    still_spooled: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False
    provider_error: Failure | None = None
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
    return settings.runs_dir()


def _check(opts: AutoOptions) -> GenerateRequest:
    """Refuse a bad run before any worker starts or any file is written; the run's
    request."""
    from loopmill.engines.registry import get_engine

    if opts.count is not None and opts.count < 1:
        raise BadInputError(f"count {opts.count} must be at least 1 (or leave it out)",
                            field="count")
    for name, value, least in (("workers", opts.workers, 1), ("retries", opts.retries, 0)):
        if value < least:
            rule = "at least 1" if least else "0 or more"
            raise BadInputError(f"{name} {value} must be {rule}", field=name)
    request = opts.request()  # formats, prefix, durations, params, engine: checked here
    # a missing model fails here, without loading it in the coordinator
    get_engine(request.engine, model=request.model).check()
    return request


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


class _Recorder:
    """Each item's outcome into the journal, the catalog, the report and the progress."""

    def __init__(self, *, report: AutoReport, journal: RunJournal, catalog: Catalog,
                 total: int | None, on_progress: Callable[[AutoProgress], None] | None,
                 t0: float) -> None:
        self.report = report
        self.journal = journal
        self.catalog = catalog
        self.total = total
        self.on_progress = on_progress
        self.t0 = t0
        self.n_failed = 0

    def made(self, job: ItemJob, record: dict[str, Any]) -> None:
        """Journal first, then the catalog: a kill between them is repaired on resume."""
        record = {k: v for k, v in record.items() if k != "index"}
        spooled = record.pop("spooled", [])
        self.journal.done(job.index, record)
        record["catalog_id"] = self.catalog.add(record)
        self.report.spooled.extend(spooled)
        self.report.made.append(record)
        self._progress(str(record.get("name", "")))

    def failed(self, job: ItemJob, attempts: int, exc: BaseException) -> None:
        self.n_failed += 1
        failure = Failure.of(exc, label=f"item {job.index} ({job.spec.get('text', '')!r})")
        self.report.failures.append(failure)
        self.journal.failed(job.index, failure, attempts)
        self._progress(str(failure))

    def _progress(self, last: str) -> None:
        if self.on_progress:
            r = self.report
            self.on_progress(AutoProgress(len(r.made) + r.resumed, self.n_failed, self.total,
                                          r.audio_seconds, time.perf_counter() - self.t0, last))


def _job(opts: AutoOptions, request: GenerateRequest, run_id: str, index: int,
         spec: dict[str, Any]) -> ItemJob:
    from loopmill.engines.registry import entry

    return ItemJob(index=index, spec=spec, run_id=run_id, request=request,
                   s3_endpoint_url=opts.s3_endpoint_url, measure=opts.measure,
                   engine_entry=entry(request.engine))


def _options(opts: AutoOptions, resume: str | Path | None) -> tuple[AutoOptions, RunJournal | None]:
    """The run's options: a resumed run's own (refusing another destination), or
    ``opts`` with the default destination filled in."""
    if resume is None:
        return (replace(opts, dest=DEFAULT_DEST) if opts.dest is None else opts), None
    journal = RunJournal.open(resume)
    dest = journal.check_dest(opts.dest)
    return AutoOptions.from_dict({**journal.options, "dest": dest or DEFAULT_DEST}), journal


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
        The run; with ``resume`` the run folder's own options are used instead, and
        ``opts.dest`` must be None (not given) or the run's own destination.
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
        A bad option, an unwritable destination or catalog, a missing extra, a
        ``resume`` folder that holds no run or a ``dest`` that is not the resumed
        run's: before any work starts. Failures of single items never raise; they
        are reported.
    AutoAbortedError
        A second Ctrl-C (with ``handle_sigint``); its ``run_dir`` is the run to resume.
    """
    from loopmill.engines.registry import get_engine
    from loopmill.pipeline.auto_producer import PromptProducer
    from loopmill.pipeline.auto_scheduler import Scheduler
    from loopmill.pipeline.backends import make_backend
    from loopmill.pipeline.finish import batch_for
    from loopmill.prompts.providers import make_provider
    from loopmill.storage.catalog import Catalog, default_catalog_path
    from loopmill.storage.sink import open_sink

    t0 = time.perf_counter()
    opts, journal = _options(opts, resume)
    request = _check(opts)
    cautions = _credential_warnings(opts)  # an unset llm_api_key_env fails here
    catalog = Catalog(Path(opts.catalog) if opts.catalog else default_catalog_path())
    try:
        sink = open_sink(str(opts.dest), s3_endpoint_url=opts.s3_endpoint_url)  # delivers the spool
        sink.check()
        if journal is None:
            journal = RunJournal.start(Path(runs_dir or default_runs_dir()),
                                       options=opts.to_dict(), seed=opts.seed)
        state = journal.resume_state(catalog)  # adds rows the catalog missed
        report = AutoReport(run_id=journal.run_id, run_dir=journal.run_dir,
                            dest=str(opts.dest), warnings=cautions, resumed=len(state.done))
        for text in cautions:
            if on_warning:
                on_warning(text)
        _settle_spool(sink, catalog, report)  # files an earlier run spooled, now delivered
        # An engine that renders batches (MusicGen) gets a batch per call; others one loop.
        size = batch_for(get_engine(request.engine, model=request.model), request.batch_size)
        backend = make_backend(opts.backend, workers=opts.workers, scheduler=opts.scheduler,
                               resources=opts.resources, timeout=opts.connect_timeout)
    except BaseException:
        catalog.close()
        raise
    stop = stop or threading.Event()
    ask = 2 * opts.workers * size
    producer = PromptProducer(
        make_provider=partial(
            make_provider, opts.prompt_provider, use_case=opts.use_case, seed=journal.seed,
            min_duration=opts.min_duration, max_duration=opts.max_duration,
            llm_model=opts.llm_model, llm_base_url=opts.llm_base_url,
            llm_api_key_env=opts.llm_api_key_env, prompt_file=opts.prompt_file),
        seed=journal.seed, ask=ask, on_plan=journal.plan, stop=stop,
        target=None if opts.count is None else opts.count - len(state.done) - len(state.pending),
        pending=state.pending, next_index=state.next_index, used_texts=state.used_texts,
        queue_size=max(4, ask),
    )
    recorder = _Recorder(report=report, journal=journal, catalog=catalog, total=opts.count,
                         on_progress=on_progress, t0=t0)
    scheduler = Scheduler(
        backend, source=producer, make_job=partial(_job, opts, request, journal.run_id),
        on_made=recorder.made, on_failed=recorder.failed, stop=stop, batch_size=size,
        retries=opts.retries,
    )
    try:
        scheduler.run(handle_sigint=handle_sigint)
    except KeyboardInterrupt:  # the second Ctrl-C: stop now, but say how to go on
        raise AutoAbortedError(
            f"stopped at once (a second Ctrl-C); resuming the run in {journal.run_dir} "
            "makes the items that were in hand", run_dir=journal.run_dir,
        ) from None
    finally:
        report.interrupted = stop.is_set()  # only the caller or Ctrl-C sets it
        stop.set()
        scheduler.close()
        producer.join(timeout=5)
        report.provider_error = producer.error
        if report.spooled:
            sink.flush_spool()  # the destination may be back by now
        _settle_spool(sink, catalog, report)
        catalog.close()
        report.elapsed = time.perf_counter() - t0
    return report
