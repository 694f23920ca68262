"""``dataset prepare``: the user's recordings cut into overlapping mono chunks.

As the Dadabots did for SampleRNN: whole albums are decoded, mixed to mono, resampled
(16 kHz by default) and cut into 8 s chunks with 50 % overlap; chunks with a long
silence are dropped; the rest is shuffled with a seed and split 88/6/6 into train,
validation and test, listed in ``manifest.json``. Loudness is left alone: no chunk or
file is normalised, so a quiet track stays quieter than a loud one.

Running it again with the same sources and settings does nothing (the manifest keeps
a fingerprint of both); a changed source or setting rebuilds the set.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from loopmill.errors import BadInputError, LoopmillError

__all__ = ["AUDIO_SUFFIXES", "PrepareReport", "load_split", "prepare_dataset", "read_manifest"]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".m4a", ".opus")
SPLITS = {"train": 0.88, "val": 0.06, "test": 0.06}
_MANIFEST = "manifest.json"


@dataclass
class PrepareReport:
    """What ``prepare_dataset`` made or found."""

    out: Path
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    silent_chunks: int = 0
    short_files: list[str] = field(default_factory=list)
    reused: bool = False


def _sources(paths: Iterable[str | Path], out: Path) -> list[Path]:
    files: list[Path] = []
    own = out.resolve()
    for p in map(Path, paths):
        if p.is_dir():  # the output folder may sit inside a source folder: never read it
            files += sorted(f for f in p.rglob("*") if f.suffix.lower() in AUDIO_SUFFIXES
                            and own not in f.resolve().parents)
        elif p.is_file():
            files.append(p)
        else:
            raise BadInputError(f"{p} does not exist; pass audio files or folders")
    if not files:
        raise BadInputError("no audio files found in the sources; pass .wav/.flac/.ogg/.mp3 "
                            "files or folders holding them")
    return files


def _fingerprint(files: list[Path], settings: dict[str, Any]) -> str:
    h = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for f in files:
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _longest_silence(y: np.ndarray, *, sr: int, silence_db: float) -> float:
    """Seconds of the longest run of 50 ms frames quieter than ``silence_db`` dBFS."""
    hop = max(1, sr // 20)
    n = len(y) // hop
    rms = np.sqrt(np.mean(y[: n * hop].reshape(n, hop).astype(np.float64) ** 2, axis=1))
    quiet = 20 * np.log10(np.maximum(rms, 1e-10)) < silence_db
    best = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        best = max(best, run)
    return best * hop / sr


def prepare_dataset(
    sources: Iterable[str | Path],
    *,
    out: str | Path,
    sample_rate: int = 16000,
    chunk_seconds: float = 8.0,
    overlap: float = 0.5,
    silence_db: float = -64.0,
    max_silence: float = 4.0,
    seed: int = 0,
    on_file: Callable[[Path, str | None], None] | None = None,
) -> PrepareReport:
    """Cut ``sources`` (files or folders) into a chunked, split training set in ``out``.

    Parameters
    ----------
    sample_rate : int
        Rate of the chunks (16000 for SampleRNN; 44100 for the LSTM composer).
    chunk_seconds, overlap : float
        Chunk length, and the fraction by which neighbours overlap (0 to < 1).
    silence_db, max_silence : float
        A chunk holding a run of more than ``max_silence`` seconds under
        ``silence_db`` dBFS is dropped.
    seed : int
        Shuffle seed of the split.
    on_file : callable, optional
        Called after each source with its path and an error message (or None).

    Returns
    -------
    PrepareReport
        Chunks per split, unreadable files (skipped, reported), silent chunks dropped.

    Raises
    ------
    BadInputError
        Bad settings, missing sources, or no usable chunk at all.
    """
    if not 1000 <= sample_rate <= 192000:
        raise BadInputError(f"sample_rate {sample_rate} is out of range; use e.g. 16000",
                            field="sample_rate")
    if not 0 < chunk_seconds < math.inf:  # NaN fails every comparison
        raise BadInputError(f"chunk_seconds {chunk_seconds:g} must be a positive number of "
                            "seconds, e.g. 8", field="chunk_seconds")
    if not 0 <= overlap < 1:
        raise BadInputError(f"overlap {overlap:g} must be in [0, 1), e.g. 0.5", field="overlap")
    if not 0 <= max_silence < math.inf:
        raise BadInputError(f"max_silence {max_silence:g} must be 0 or more seconds",
                            field="max_silence")
    if not math.isfinite(silence_db):
        raise BadInputError(f"silence_db {silence_db:g} must be a number of dBFS, e.g. -64",
                            field="silence_db")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BadInputError(f"out {out} is a file; pass a folder for the dataset", field="out")
    files = _sources(sources, out)
    settings = {"sample_rate": sample_rate, "chunk_seconds": chunk_seconds, "overlap": overlap,
                "silence_db": silence_db, "max_silence": max_silence, "seed": seed}
    fp = _fingerprint(files, settings)
    old = out / _MANIFEST
    if old.is_file():
        man = json.loads(old.read_text())
        if man.get("fingerprint") == fp:
            return PrepareReport(out=out, counts={k: len(v) for k, v in man["splits"].items()},
                                 skipped=list(man.get("skipped", [])),
                                 silent_chunks=int(man.get("silent_chunks", 0)), reused=True)
    out.mkdir(parents=True, exist_ok=True)
    staging = out / ".chunks.part"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        return _cut(files, out=out, staging=staging, settings=settings, fp=fp,
                    on_file=on_file)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # Ctrl-C or a crash: no .chunks.part left
        raise


def _cut(files: list[Path], *, out: Path, staging: Path, settings: dict[str, Any], fp: str,
         on_file: Callable[[Path, str | None], None] | None) -> PrepareReport:
    """Cut, split and publish the chunks (the body of :func:`prepare_dataset`)."""
    from loopmill.audio import load, save

    sample_rate, chunk_seconds = int(settings["sample_rate"]), float(settings["chunk_seconds"])
    overlap, seed = float(settings["overlap"]), int(settings["seed"])
    silence_db, max_silence = float(settings["silence_db"]), float(settings["max_silence"])
    old = out / _MANIFEST
    size = round(chunk_seconds * sample_rate)
    hop = max(1, round(size * (1 - overlap)))
    report = PrepareReport(out=out)
    names: list[str] = []
    for i, f in enumerate(files):
        try:
            y, _ = load(f, sr=sample_rate, mono=True)
        except LoopmillError as exc:
            report.skipped.append(f"{f}: {exc}")
            if on_file:
                on_file(f, str(exc))
            continue
        mono = y[0]
        if len(mono) < size:
            report.short_files.append(str(f))
        for k, start in enumerate(range(0, len(mono) - size + 1, hop)):
            chunk = mono[start: start + size]
            if _longest_silence(chunk, sr=sample_rate, silence_db=silence_db) > max_silence:
                report.silent_chunks += 1
                continue
            name = f"{i:05d}_{k:05d}.wav"
            save(staging / name, chunk[None, :], sr=sample_rate, format="wav", bit_depth=16)
            names.append(name)
        if on_file:
            on_file(f, None)
    if not names:
        shutil.rmtree(staging, ignore_errors=True)
        raise BadInputError(
            f"no usable {chunk_seconds:g} s chunk in {len(files)} file(s) (unreadable, shorter "
            "than a chunk, or silent); add recordings, lower chunk_seconds or silence_db",
            field=("chunk_seconds", "silence_db"),
        )
    order = np.random.default_rng(seed).permutation(len(names))
    n_val = max(1, round(SPLITS["val"] * len(names))) if len(names) >= 3 else 0
    n_test = max(1, round(SPLITS["test"] * len(names))) if len(names) >= 3 else 0
    shuffled = [f"chunks/{names[j]}" for j in order]
    splits = {"val": shuffled[:n_val], "test": shuffled[n_val: n_val + n_test],
              "train": shuffled[n_val + n_test:]}
    shutil.rmtree(out / "chunks", ignore_errors=True)
    staging.rename(out / "chunks")
    manifest = {"version": 1, "fingerprint": fp, **settings, "chunk_samples": size,
                "sources": [str(f) for f in files], "skipped": report.skipped,
                "silent_chunks": report.silent_chunks, "splits": splits}
    from loopmill.storage.sidecar import write_json_atomic

    write_json_atomic(old, manifest)
    report.counts = {k: len(v) for k, v in splits.items()}
    return report


def read_manifest(dataset: str | Path) -> dict[str, Any]:
    """The manifest of a prepared dataset folder.

    Raises
    ------
    BadInputError
        No manifest: the folder was not made by ``loopmill dataset prepare``.
    """
    path = Path(dataset) / _MANIFEST
    if not path.is_file():
        raise BadInputError(f"{dataset} has no {_MANIFEST}; make it with "
                            "`loopmill dataset prepare SRC... --out DIR`")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def load_split(dataset: str | Path, split: str) -> np.ndarray:
    """All chunks of one split as ``[n_chunks, chunk_samples]`` float32 (may be empty)."""
    import soundfile as sf

    man = read_manifest(dataset)
    if split not in man["splits"]:
        raise BadInputError(f"split {split!r}: use train, val or test")
    rows = [sf.read(Path(dataset) / name, dtype="float32")[0] for name in man["splits"][split]]
    if not rows:
        return np.zeros((0, int(man["chunk_samples"])), dtype=np.float32)
    return np.stack(rows)
