"""Destinations: a local folder or any fsspec URL (``s3://``, ``gs://``, ``memory://``…).

A sink takes complete local files and makes them appear at the destination whole or
not at all: a local copy goes to a hidden name and is renamed; a remote object is
uploaded in one put (S3 shows an object only once its upload completes). Uploads
retry with exponential backoff; when the destination stays down, the file goes to a
local spool folder instead, the run goes on and says so, and the spool is delivered
by :meth:`Sink.flush_spool` (also tried whenever the same destination is opened).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

from loopmill._atomic import atomic_path, write_bytes_atomic
from loopmill.errors import MissingDependencyError, StorageError
from loopmill.storage.sidecar import ensure_writable_dir

__all__ = ["SCRATCH_PREFIX", "Sink", "is_url", "join_dest", "open_sink"]

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
#: local scratch folders for files on their way to a remote destination:
#: ``<prefix><pid>-…`` in the temp folder (a killed worker's are removed by
#: ``pipeline.auto_item.clean_stale_staging``, which looks for this prefix)
SCRATCH_PREFIX = "loopmill-item-"


def is_url(dest: str | Path) -> bool:
    """True for ``scheme://…`` destinations other than ``file://``."""
    text = str(dest)
    return bool(_URL.match(text)) and not text.startswith("file://")


def join_dest(dest: str | Path, name: str) -> str:
    """The destination ``name`` inside ``dest`` (a folder or a URL)."""
    text = str(dest)
    return f"{text.rstrip('/')}/{name}" if is_url(text) else str(Path(text) / name)


def _spool_root(dest: str, spool_dir: Path | None) -> Path:
    if spool_dir is not None:
        return spool_dir
    from loopmill import settings

    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", dest).strip("_")[:120] or "dest"
    return settings.user_cache_dir() / "spool" / safe


class Sink:
    """One destination. Use :func:`open_sink` to make one.

    Attributes
    ----------
    dest : str
        The folder or URL, without a trailing slash.
    spooled : list of (Path, str)
        Files kept in the local spool this session, and the URI each was meant for.
    delivered : list of (str, str)
        Files :meth:`flush_spool` delivered: their ``spool://`` URI and where they are now.
    """

    def __init__(self, dest: str, *, spool_dir: Path, fs: Any = None, retries: int = 4,
                 backoff: float = 0.5, endpoint_url: str | None = None) -> None:
        self.dest = dest.rstrip("/")
        self.spool_dir = spool_dir
        self.retries = max(1, retries)
        self.backoff = backoff
        self.endpoint_url = endpoint_url
        self.spooled: list[tuple[Path, str]] = []
        self.delivered: list[tuple[str, str]] = []
        self._fs = fs

    @property
    def remote(self) -> bool:
        """True for an fsspec URL."""
        return self._fs is not None

    def uri(self, name: str) -> str:
        """Where ``name`` lands."""
        return f"{self.dest}/{name}"

    def exists(self, name: str) -> bool:
        """Whether ``name`` is already at the destination."""
        if self._fs is None:
            return (Path(self.dest) / name).exists()
        try:
            return bool(self._fs.exists(self.uri(name)))
        except Exception:  # an unreachable server: "not there (yet)"
            return False

    def check(self) -> None:
        """Prove the destination is writable before a run starts.

        Raises
        ------
        StorageError
            One line with the destination, the reason and the fix.
        """
        if self._fs is None:
            ensure_writable_dir(self.dest)
            return
        probe = self.uri(f".loopmill-probe-{os.getpid()}")
        try:
            self._fs.pipe_file(probe, b"ok")
            self._fs.rm_file(probe)
        except Exception as exc:
            raise StorageError(
                f"cannot write to {self.dest}: {_reason(exc)}; check the URL, s3_endpoint_url "
                "and the AWS_* credentials", field="s3_endpoint_url"
            ) from None

    def _deliver(self, local: Path, name: str) -> str:
        target = self.uri(name)
        if self._fs is None:
            with atomic_path(target, fix="choose another dest", field="dest") as hidden:
                shutil.copyfile(local, hidden)
            return str(Path(target))
        self._fs.put_file(str(local), target)
        return target

    def write_bytes(self, name: str, data: bytes) -> str:
        """Make ``<dest>/<name>`` hold ``data``, whole or not at all; return its URI.

        A local folder is written once, atomically, in place; a remote one gets the
        bytes through :meth:`put` (retries, then the spool).

        Raises
        ------
        StorageError
            As :meth:`put`.
        """
        if self._fs is None:
            write_bytes_atomic(self.uri(name), data, fix="choose another dest", field="dest")
            return self.uri(name)
        import tempfile

        with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as tmp:
            local = Path(tmp) / name
            local.write_bytes(data)
            return self.put(local, name)

    def put(self, local_path: str | Path, name: str) -> str:
        """Send a complete local file to ``<dest>/<name>``; return its URI.

        Retries ``retries`` times with exponential backoff. If the destination stays
        down, the file is moved to the spool (``spool://…`` URI returned, and listed
        in :attr:`spooled`) instead of raising: a bulk run keeps going.

        Raises
        ------
        StorageError
            A local destination that cannot be written (a disk or permission
            problem is not worth spooling), or a spool that cannot be written either.
        """
        local = Path(local_path)
        delay = self.backoff
        for attempt in range(self.retries):
            try:
                return self._deliver(local, name)
            except Exception as exc:
                if self._fs is None:
                    if isinstance(exc, StorageError):
                        raise
                    raise StorageError(
                        f"cannot write {self.uri(name)}: {_reason(exc)}; choose another dest",
                        field="dest") from None
                if attempt + 1 < self.retries:
                    time.sleep(delay)
                    delay *= 2
        return self._spool(local, name)

    def _spool(self, local: Path, name: str) -> str:
        try:
            self.spool_dir.mkdir(parents=True, exist_ok=True)
            from loopmill.storage.spool import remember_dest

            remember_dest(self.spool_dir, self.dest, self.endpoint_url)
            kept = self.spool_dir / name
            with atomic_path(kept) as hidden:
                shutil.copyfile(local, hidden)
        except (OSError, StorageError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else None
            raise StorageError(
                f"{self.dest} is down and the spool {self.spool_dir} cannot be written: "
                f"{reason or exc}"
            ) from None
        self.spooled.append((kept, self.uri(name)))
        return f"spool://{kept}"

    def flush_spool(self, *, give_up_after: int | None = 3) -> int:
        """Try to deliver every file waiting in this destination's spool.

        Parameters
        ----------
        give_up_after : int, optional
            Stop after this many failures in a row (the destination is still down:
            trying a thousand files would take a connect timeout each); None tries all.

        Returns
        -------
        int
            How many files were delivered (and removed from the spool).
        """
        if not self.spool_dir.is_dir():
            return 0
        sent = failed = 0
        for kept in sorted(self.spool_dir.iterdir()):
            if kept.name.startswith(".") or not kept.is_file():
                continue
            if give_up_after is not None and failed >= give_up_after:
                break
            try:
                target = self._deliver(kept, kept.name)
            except Exception:
                failed += 1
                continue  # still down: stays in the spool
            failed = 0
            kept.unlink()
            self.delivered.append((f"spool://{kept}", target))
            sent += 1
        self.spooled = [(p, u) for p, u in self.spooled if p.exists()]
        return sent


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def open_sink(
    dest: str | Path,
    *,
    spool_dir: Path | None = None,
    s3_endpoint_url: str | None = None,
    retries: int = 4,
    backoff: float = 0.5,
) -> Sink:
    """A sink for a local folder or an fsspec URL; spooled files are retried first.

    S3 credentials and endpoint come from the standard ``AWS_*`` variables (or
    ``s3_endpoint_url``); s3fs is used with short timeouts and no retry loop of its
    own, so a dead endpoint costs seconds, not minutes.

    Raises
    ------
    MissingDependencyError
        A URL without fsspec (or s3fs for ``s3://``) installed.
    """
    text = str(dest)
    spool = _spool_root(text, spool_dir)
    if not is_url(text):
        path = text[len("file://"):] if text.startswith("file://") else text
        return Sink(path, spool_dir=spool, retries=retries, backoff=backoff)
    try:
        import fsspec
    except ImportError:
        raise MissingDependencyError(
            f"dest {text} needs fsspec; pip install 'loopmill[s3]'", field="dest"
        ) from None
    protocol = text.split("://", 1)[0]
    options: dict[str, Any] = {"skip_instance_cache": True}
    if protocol in ("s3", "s3a"):
        try:
            import s3fs  # noqa: F401
        except ImportError:
            raise MissingDependencyError(
                f"dest {text} needs s3fs; pip install 'loopmill[s3]'", field="dest"
            ) from None
        from loopmill import settings

        endpoint = s3_endpoint_url or settings.s3_endpoint_url()
        if endpoint:
            options["endpoint_url"] = endpoint
        options["config_kwargs"] = {"connect_timeout": 2, "read_timeout": 5,
                                    "retries": {"max_attempts": 1}}
    elif protocol == "memory":
        options = {}
    fs = fsspec.filesystem(protocol, **options)
    sink = Sink(text, spool_dir=spool, fs=fs, retries=retries, backoff=backoff,
                endpoint_url=options.get("endpoint_url"))
    sink.flush_spool()
    return sink
