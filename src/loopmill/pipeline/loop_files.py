"""Turning existing tracks into loop files, one file or a whole folder tree."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from loopmill import settings
from loopmill._atomic import atomic_path
from loopmill.errors import (
    BadInputError,
    Failure,
    LoopmillError,
    UnsupportedFormatError,
)
from loopmill.loops.make import LoopPlan
from loopmill.loops.types import Loop

if TYPE_CHECKING:
    from loopmill.storage.sink import Sink

#: Suffixes picked up when a folder is given (files named directly are always tried).
AUDIO_SUFFIXES = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff", ".m4a", ".aac", ".opus", ".wma"}
)
#: Tracks whose decoded audio fits in this many bytes are decoded once, in memory.
IN_MEMORY_BYTES = 64 * 2**20
#: Rate of the mono mixdown the analysis runs on.
ANALYSIS_SR = 22050


@dataclass(frozen=True)
class LoopOptions:
    """What the ``loop`` command was asked for."""

    format: str = settings.RAW_FORMAT
    bars: int | None = None
    min_duration: float | None = None
    max_duration: float = settings.TRACK_MAX_DURATION
    bpm: float | None = None
    beats_per_bar: int | None = None
    target_lufs: float | None = None
    keep_metadata: bool = False
    max_input_duration: float = settings.MAX_INPUT_DURATION
    tag_only: bool = False


@dataclass
class ItemResult:
    """The outcome for one input file: an output and its loop, or an error (labelled
    with the file, and the fields its message names). ``output`` is a Path in a local
    folder, the URI at a remote destination (``spool://…`` while the spool keeps it)."""

    source: Path
    output: Path | str | None = None
    loop: dict[str, Any] | None = None
    error: Failure | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether this item produced a loop file."""
        return self.error is None


@dataclass
class BatchReport:
    """All item results of a batch, in input order; ``spooled`` lists the URIs the
    local spool holds files for (a remote destination was down)."""

    items: list[ItemResult] = field(default_factory=list)
    spooled: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[ItemResult]:
        """The items that failed."""
        return [it for it in self.items if not it.ok]


def expand_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders searched recursively for audio files (sorted).

    A path that does not exist is kept, so that it is reported as a failed item.
    """
    out: list[Path] = []
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            out.extend(
                sorted(
                    f
                    for f in p.rglob("*")
                    if f.is_file()
                    and f.suffix.lower() in AUDIO_SUFFIXES
                    and not f.name.startswith(".")
                )
            )
        else:
            out.append(p)
    return out


def validate_options(opts: LoopOptions) -> None:
    """Refuse inconsistent options before any file is read."""
    from loopmill.audio import WRITE_FORMATS
    from loopmill.loops.make import check_options

    if opts.format not in WRITE_FORMATS:
        raise UnsupportedFormatError(
            f"unknown format {opts.format!r}; choose one of {', '.join(WRITE_FORMATS)}",
            field="format")
    if opts.tag_only and (opts.bpm is not None or opts.target_lufs is not None):
        name = "bpm" if opts.bpm is not None else "target_lufs"
        raise BadInputError(
            f"{name} changes the audio, tag_only keeps it as it is; drop one of them",
            field=(name, "tag_only"))
    if opts.beats_per_bar is not None and opts.beats_per_bar not in (3, 4):
        raise BadInputError(f"beats_per_bar {opts.beats_per_bar} must be 3 or 4",
                            field="beats_per_bar")
    check_options(
        min_duration=opts.min_duration,
        max_duration=opts.max_duration,
        bpm=opts.bpm,
        bars=opts.bars,
    )


def loop_tags(loop: Loop) -> dict[str, str]:
    """Free-form tags written into each loop file beside its loop points."""
    tags = {
        "LOOPMILL_BPM": f"{loop.bpm:.3f}",
        "LOOPMILL_BARS": str(loop.bars),
        "LOOPMILL_BEATS_PER_BAR": str(loop.beats_per_bar),
        "LOOPMILL_SEAM_SCORE": f"{loop.seam_score:.3f}",
    }
    if loop.key:
        tags["LOOPMILL_KEY"] = loop.key
    return tags


def _unique_name(stem: str, fmt: str, taken: set[str]) -> str:
    """``<stem>_loop.<fmt>``, numbered when two inputs share a stem in one batch."""
    name = f"{stem}_loop.{fmt}"
    n = 2
    while name in taken:
        name = f"{stem}_loop_{n}.{fmt}"
        n += 1
    taken.add(name)
    return name


def loop_file(source: str | Path, output: str | Path, opts: LoopOptions, *,
              output_uri: str | None = None) -> Loop:
    """Read ``source``, cut its best loop and write it to ``output`` with loop points.

    ``output_uri`` is where the file will be, for its sidecar, when ``output`` is a
    local copy on its way to a remote destination (default: ``output``).

    Returns
    -------
    Loop
        The loop written.
    """
    from loopmill.analysis import analyze
    from loopmill.audio import LoopPoints, info, load, load_region, save, write_tags
    from loopmill.loops.make import cut_planned, measure_loop, plan_loop

    source, output = Path(source), Path(output)
    meta = info(source)
    limit = opts.max_input_duration
    if meta.frames * meta.channels * 4 <= IN_MEMORY_BYTES:
        # Short tracks: one decode, analysed and cut in memory.
        y, sr = load(source, max_duration=limit)
        an = analyze(y, sr=sr, beats_per_bar=opts.beats_per_bar, loudness=False)
        n_source, offset = y.shape[1], 0
    else:
        # Long tracks: two passes keep memory flat whatever the length. Analyse a
        # 22.05 kHz mono mixdown decoded block by block, then decode only the loop's
        # region at full rate (one pass peaked at 368 MB on a 7-minute track).
        mono, asr = load(source, sr=ANALYSIS_SR, mono=True, max_duration=limit)
        an = analyze(mono, sr=asr, beats_per_bar=opts.beats_per_bar, loudness=False)
        n_source = round(mono.shape[1] * meta.sr / asr)
        y, sr = mono, asr  # auditions candidate seams on the mixdown
    plan = plan_loop(
        an,
        sr=meta.sr,
        n_samples=n_source,
        bars=opts.bars,
        min_duration=opts.min_duration,
        max_duration=opts.max_duration,
        preview=(y, sr),
    )
    if meta.frames * meta.channels * 4 > IN_MEMORY_BYTES:
        margin = round(LoopPlan.MARGIN_S * meta.sr)
        offset = max(0, plan.start - margin)
        del y
        y, sr = load_region(source, start=offset, stop=plan.end + margin)
    if opts.tag_only:
        return _tag_copy(source, output, y=y, sr=sr, plan=plan, offset=offset, opts=opts,
                         uri=output_uri)
    cut = cut_planned(
        y, sr=sr, plan=plan, offset=offset, bpm=opts.bpm, target_lufs=opts.target_lufs
    )
    del y
    # Encode on a second core while this one measures the seam and loudness (the
    # codec and numpy both release the GIL); the tags that need the measurements go
    # into the hidden encoded file before it is renamed into view.
    with atomic_path(output, fix="choose another dest", field="dest") as hidden:
        with ThreadPoolExecutor(max_workers=1) as pool:
            encoding = pool.submit(
                save,
                hidden,
                cut.audio,
                sr=sr,
                format=opts.format,
                loop=LoopPoints(start=0, length=cut.audio.shape[1]),
            )
            loop = measure_loop(cut, sr=sr, plan=plan)
            encoding.result()
        write_tags(hidden, loop_tags(loop))
    _write_sidecar(source, output, loop, opts, uri=output_uri)
    return loop


def _write_sidecar(source: Path, output: Path, loop: Loop, opts: LoopOptions, *,
                   uri: str | None) -> None:
    """The JSON sidecar next to ``output`` when ``keep_metadata`` asked for it."""
    from loopmill.storage.sidecar import sidecar_path, write_json_atomic

    if opts.keep_metadata:
        write_json_atomic(
            sidecar_path(output),
            {"source": str(source), "output": uri or str(output), "tool": "loopmill",
             **loop.to_dict()},
        )


def _tag_copy(
    source: Path,
    output: Path,
    *,
    y: np.ndarray,
    sr: int,
    plan: LoopPlan,
    offset: int,
    opts: LoopOptions,
    uri: str | None = None,
) -> Loop:
    """Write the planned loop points into a byte copy of ``source`` (no re-encoding).

    The intro before the loop is kept, as games that read ``LOOPSTART`` expect; the
    wrap is a hard cut, so the splice is phase-aligned and moved to a zero crossing
    but not cross-faded.
    """
    from loopmill.audio import LoopPoints, integrated_loudness, true_peak, write_tags
    from loopmill.audio.looptags import file_kind, write_loop_points
    from loopmill.loops.seam import seam_score
    from loopmill.loops.splice import align_splice

    file_kind(source)  # loop points need wav, flac, ogg or mp3: fail before copying
    start, end = align_splice(y, sr=sr, start=plan.start - offset, end=plan.end - offset)
    body = y[:, start:end]
    loop = Loop(
        audio=body,
        sr=sr,
        start=start + offset,
        end=end + offset,
        bars=plan.bars,
        beats_per_bar=plan.beats_per_bar,
        bpm=60.0 * plan.bars * plan.beats_per_bar * sr / (end - start),
        source_bpm=plan.source_bpm,
        key=plan.key,
        seam_score=seam_score(y, sr=sr, start=start, end=end),
        loudness_lufs=integrated_loudness(body, sr=sr),
        true_peak_db=true_peak(body, sr=sr),
        extra={
            "tag_only": True,
            "loop_start": start + offset,
            "candidate_distance": round(plan.distance, 4),
        },
    )
    with atomic_path(output, fix="choose another dest", field="dest") as hidden:
        shutil.copyfile(source, hidden)
        write_loop_points(hidden, LoopPoints(start=loop.start, length=end - start), sr=sr)
        write_tags(hidden, loop_tags(loop))
    _write_sidecar(source, output, loop, opts, uri=uri)
    return loop


def loop_files(
    inputs: Sequence[str | Path],
    *,
    dest: str | Path,
    options: LoopOptions | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
    s3_endpoint_url: str | None = None,
) -> BatchReport:
    """Cut a loop from every input; a failing file is reported, the others go on.

    Parameters
    ----------
    inputs : sequence of str or Path
        Files and folders (searched recursively).
    dest : str or Path
        Output folder, created when missing (each file is written once, atomically, in
        place), or an fsspec URL (``s3://bucket/prefix``): each item is made in a local
        scratch folder and uploaded when it is done
        (:func:`loopmill.storage.writer.write_folder`).
    options : LoopOptions, optional
        What to make; defaults to :class:`LoopOptions`'s defaults.
    on_item : callable, optional
        Called with each :class:`ItemResult` as soon as it is done (progress bars).
    s3_endpoint_url : str, optional
        The S3-compatible endpoint for an ``s3://`` dest (else ``AWS_ENDPOINT_URL``).

    Returns
    -------
    BatchReport
        One result per input file.
    """
    from loopmill.storage.sink import open_sink

    opts = options or LoopOptions()
    validate_options(opts)
    files = expand_inputs(inputs)
    if not files:
        raise BadInputError(
            "no audio files found in the inputs; pass files or folders holding "
            f"{', '.join(sorted(AUDIO_SUFFIXES))}"
        )
    sink = open_sink(dest, s3_endpoint_url=s3_endpoint_url)
    made_dirs = [] if sink.remote else _missing_dirs(Path(sink.dest))
    sink.check()
    report = BatchReport()
    try:
        _loop_all(files, sink, opts, report, on_item)
    finally:
        if not any(item.output for item in report.items):
            for d in made_dirs:  # every input failed: leave no empty folder behind
                try:
                    d.rmdir()
                except OSError:
                    break
    return report


def _missing_dirs(dest: Path) -> list[Path]:
    """The folders ``dest.mkdir(parents=True)`` would create, deepest first."""
    out: list[Path] = []
    p = dest.absolute()
    while not p.exists() and p != p.parent:
        out.append(p)
        p = p.parent
    return out


def _loop_all(files: list[Path], sink: Sink, opts: LoopOptions, report: BatchReport,
              on_item: Callable[[ItemResult], None] | None) -> None:
    from loopmill.storage.writer import write_folder

    taken: set[str] = set()
    for src in files:
        t0 = time.perf_counter()
        item = ItemResult(source=src)
        try:
            fmt = src.suffix.lower().lstrip(".") if opts.tag_only else opts.format
            name = _unique_name(src.stem, fmt, taken)
            before = len(sink.spooled)
            # one item at a time: a remote item is uploaded as soon as it is made
            with write_folder(sink) as folder:
                loop = loop_file(src, folder.path / name, opts,
                                 output_uri=sink.uri(name) if sink.remote else None)
            item.output = folder.sent[name] if folder.remote else folder.path / name
            item.loop = loop.to_dict()
            report.spooled.extend(uri for _, uri in sink.spooled[before:])
        except LoopmillError as exc:  # a message that starts with the file needs no label
            item.error = Failure.of(exc, label="" if str(exc).startswith(str(src)) else str(src))
        except MemoryError:
            item.error = Failure(str(src), "out of memory; trim the file or lower "
                                 "max_input_duration", ("max_input_duration",))
        item.seconds = time.perf_counter() - t0
        report.items.append(item)
        if on_item is not None:
            on_item(item)
