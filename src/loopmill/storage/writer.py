"""The one writer: a finished loop's files published at a destination (see :mod:`.sink`).

Every command that makes loops (``generate``, ``suite``, ``auto``, ``evolve``) hands its
loops here. A local folder is written once: each format is encoded straight to a
hidden name in the destination folder and then claimed (a hard link, never a copy);
a remote destination (any fsspec URL) gets files encoded in a local scratch folder,
then uploaded whole (retries, then the spool).

Two naming rules:

- ``exclusive=True`` (``generate``): the loop's stem is claimed for all its formats at
  once; a taken name moves the whole loop to ``<stem>_2``, ``<stem>_3``… Nothing is
  ever replaced.
- ``exclusive=False`` (``auto``, ``suite``, variations): the names are the caller's;
  a file written again (an item rendered again after a kill) replaces the old one
  atomically.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopmill._atomic import json_text
from loopmill.storage.claim import candidates, claim_names, staging_name
from loopmill.storage.sink import SCRATCH_PREFIX

if TYPE_CHECKING:
    from loopmill.loops.types import Loop
    from loopmill.storage.sink import Sink

__all__ = ["FolderWrite", "Published", "encode_all", "publish_loop",
           "write_folder"]

def encode_all(paths: Sequence[Path], loop: Loop, *, tags: Mapping[str, str]) -> None:
    """Write ``loop`` to every path (format from the suffix), the encoders in parallel.

    Each file is written atomically (:func:`loopmill.audio.save`), with the loop points
    and ``tags``. libvorbis, LAME and FLAC run in C and release the GIL, so OGG and
    MP3 of one loop encode at once on two cores.

    Raises
    ------
    StorageError
        A file cannot be written; nothing half-written is left.
    """
    from concurrent.futures import ThreadPoolExecutor

    from loopmill._threads import max_threads
    from loopmill.audio import LoopPoints, save

    def one(path: Path) -> Path:
        return save(path, loop.audio, sr=loop.sr, format=path.suffix[1:],
                    loop=LoopPoints(start=0, length=loop.length), tags=dict(tags))

    if len(paths) == 1:  # no pool for one file
        one(paths[0])
        return
    with ThreadPoolExecutor(max_workers=max_threads()) as pool:
        list(pool.map(one, paths))


@dataclass
class Published:
    """Where one loop's files went.

    Attributes
    ----------
    stem : str
        The name the files share (for ``exclusive``, the one that was free).
    files : list of str
        The audio files' URIs, one per format, in the order asked (a local path for a
        folder; ``spool://…`` for a file kept in the spool).
    sidecar, midi : str or None
        The sidecar's and the MIDI file's URIs, when written.
    spooled : list of str
        The URIs meant for the files the spool kept (the destination was down).
    """

    stem: str
    files: list[str]
    sidecar: str | None = None
    midi: str | None = None
    spooled: list[str] = field(default_factory=list)

    @property
    def uris(self) -> list[str]:
        """Every file's URI: the formats, then the sidecar and the MIDI file."""
        return [*self.files, *(u for u in (self.sidecar, self.midi) if u is not None)]


def publish_loop(
    sink: Sink,
    loop: Loop,
    *,
    stem: str,
    formats: Sequence[str],
    tags: Mapping[str, str],
    exclusive: bool = True,
    sidecar: Mapping[str, Any] | Callable[[str], Mapping[str, Any]] | None = None,
    midi: bytes | None = None,
    attachments: Mapping[str, bytes] | None = None,
) -> Published:
    """Publish ``loop`` in every format, and its sidecar and MIDI file, at ``sink``.

    Parameters
    ----------
    sink : Sink
        The destination (:func:`loopmill.storage.sink.open_sink`).
    loop : Loop
        The finished loop; its loop points go into every file.
    stem : str
        The file name without suffix (the first candidate when ``exclusive``).
    formats : sequence of str
        ``ogg``, ``mp3``, ``flac``, ``wav``.
    tags : mapping
        Text tags for every audio file (``pipeline.loop_files.loop_tags``).
    exclusive : bool
        Claim a free stem (never replace anything) or write ``stem`` as given
        (replacing an older file of that name); see the module notes.
    sidecar : mapping or callable, optional
        The content of ``<stem>.json``, after an ``output`` key with the first audio
        file's path or URI; a callable gets the stem that was claimed (content that
        names the loop's own files).
    midi : bytes, optional
        The content of ``<stem>.mid``.
    attachments : mapping of str to bytes, optional
        More files beside the loop, by suffix: ``{".conditioning.npy": data}`` is
        written as ``<stem>.conditioning.npy``.

    With ``exclusive``, the stem is claimed for the sidecar, MIDI file and
    attachments too, in the same step as the audio: two processes never share any
    of them, and none replaces a file that was there.

    Returns
    -------
    Published

    Raises
    ------
    StorageError
        A local folder that cannot be written, or a spool that cannot either (a
        remote destination that is down spools instead of raising).
    """
    suffixes = [f".{f}" for f in formats]
    more = dict(attachments or {})
    if midi is not None:
        more[".mid"] = midi
    reserve = [*([".json"] if sidecar is not None else []), *more]
    before = len(sink.spooled)
    placeholders: list[Path] = []
    if not sink.remote:
        folder = Path(sink.dest)
        if exclusive:
            staged = [staging_name(folder, stem, s) for s in suffixes]
            try:
                encode_all(staged, loop, tags=tags)
                stem, paths = claim_names(staged, dest_dir=folder, stems=candidates(stem),
                                          suffixes=suffixes, reserve=reserve)
                placeholders = [folder / f"{stem}{x}" for x in reserve]
            finally:
                for p in staged:
                    p.unlink(missing_ok=True)
        else:
            paths = [folder / f"{stem}{s}" for s in suffixes]
            encode_all(paths, loop, tags=tags)
        files = [str(p) for p in paths]
    else:
        if exclusive:
            stem = next(s for s in candidates(stem)
                        if not any(sink.exists(f"{s}{x}") for x in [*suffixes, *reserve]))
        with _scratch() as tmp:
            local = [tmp / f"{stem}{s}" for s in suffixes]
            encode_all(local, loop, tags=tags)
            files = [sink.put(p, p.name) for p in local]
    done = Published(stem=stem, files=files)
    try:
        if sidecar is not None:
            name = f"{stem}.json"
            content = sidecar(stem) if callable(sidecar) else sidecar
            # where the first file is meant to be (even while the spool keeps it)
            output = sink.uri(f"{stem}{suffixes[0]}") if sink.remote else files[0]
            done.sidecar = sink.write_bytes(
                name, json_text({"output": output, **content}, path=sink.uri(name)).encode())
        for suffix, data in more.items():
            uri = sink.write_bytes(f"{stem}{suffix}", data)
            if suffix == ".mid":
                done.midi = uri
    finally:
        for p in placeholders:  # a claim never filled (a failed write) is not left empty
            if p.is_file() and p.stat().st_size == 0:
                p.unlink(missing_ok=True)
    done.spooled = [uri for _, uri in sink.spooled[before:]]
    return done


@contextmanager
def _scratch() -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class FolderWrite:
    """A folder of files being written for a destination (see :func:`write_folder`).

    Attributes
    ----------
    path : Path
        Where to write them: the destination folder itself, or a local scratch
        folder for a remote destination.
    sent : dict of str to str
        After the block, for a remote destination: each file's name and its URI.
    """

    path: Path
    remote: bool
    sent: dict[str, str] = field(default_factory=dict)

    def uri(self, name: str) -> str:
        """Where file ``name`` is: its absolute path, or the URI it was sent to."""
        if self.remote:
            return self.sent[name]
        return str((self.path / name).resolve())


@contextmanager
def write_folder(sink: Sink) -> Iterator[FolderWrite]:
    """A folder to write a set of files in that must be read back before they go out.

    A suite writes its files, then verifies them from disk, then its report: for a
    local destination that is the destination folder itself (each file written once,
    atomically); for a remote one it is a local scratch folder whose files are all
    uploaded at the end of the block (and removed). A failure inside the block
    uploads nothing.

    Yields
    ------
    FolderWrite
    """
    if not sink.remote:
        yield FolderWrite(path=Path(sink.dest), remote=False)
        return
    with _scratch() as tmp:
        out = FolderWrite(path=tmp, remote=True)
        yield out
        for p in sorted(tmp.iterdir()):
            if p.is_file() and not p.name.startswith("."):
                out.sent[p.name] = sink.put(p, p.name)
