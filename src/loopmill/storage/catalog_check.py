"""Is this file a healthy loopmill catalog? Asked before any work, and by ``catalog check``.

A loopmill catalog carries its own mark: SQLite's ``application_id`` header field set
to :data:`APPLICATION_ID`. The header is read as plain bytes, so a foreign database
(someone else's SQLite file, even one with a ``loops`` table) is refused without a
single write to it. A marked catalog of reasonable size gets ``PRAGMA quick_check``
on a read-only connection when it is opened: damaged pages are found before a
``generate`` renders audio or an ``auto`` run starts, and reported in one line with
the way out (``catalog check``, ``catalog rebuild``). Catalogs from before the mark
(``user_version`` 1, a ``loops`` table with exactly loopmill's columns) are adopted.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopmill.errors import StorageError

__all__ = ["APPLICATION_ID", "CatalogDamagedError", "CatalogHealth", "ForeignCatalogError",
           "check_catalog", "verify_catalog"]

#: "LMil" in the SQLite header's application_id field (offset 68)
APPLICATION_ID = 0x4C4D696C
_MAGIC = b"SQLite format 3\x00"
#: quick_check reads every page; past this size opening a catalog would be slow
QUICK_CHECK_LIMIT = 64 * 2**20
_LOOPMILL_TABLES = {"loops", "ratings"}


class CatalogDamagedError(StorageError):
    """The catalog file is damaged; ``catalog rebuild`` makes a new one from the files."""


class ForeignCatalogError(StorageError):
    """The file is a database (or file) that loopmill did not make; it is left untouched."""


@dataclass
class CatalogHealth:
    """What :func:`check_catalog` found.

    ``state`` is ``ok``, ``new`` (no file yet), ``legacy`` (a loopmill catalog from
    before the mark; it is marked when opened for writing), ``damaged`` or
    ``foreign``. ``missing`` lists ``(id, uri)`` of rows whose local file is gone;
    ``spooled`` rows still waiting in the spool (``spool://`` URIs).
    """

    path: Path
    state: str
    detail: str = ""
    rows: int = 0
    missing: list[tuple[int, str]] = field(default_factory=list)
    spooled: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """A usable catalog whose every row's files exist."""
        return self.state in ("ok", "new", "legacy") and not self.missing


def _header(path: Path) -> bytes | None:
    """The first 100 bytes, or None when there is no file (or an empty one)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(f"cannot read the catalog {path}: {exc.strerror or exc}; pass "
                           "another catalog file") from None
    return head or None


def _read_only(path: Path) -> sqlite3.Connection:
    """A connection that writes nothing, not even a ``-wal``/``-shm`` beside the file.

    Without a ``-wal`` file nobody has the database open for writing (the last
    connection removes it), so the main file is all there is: read it as immutable.
    With one, a live writer may be checkpointing: read through the WAL, whose files
    exist already.
    """
    uri = path.resolve().as_uri()
    if path.with_name(path.name + "-wal").exists():
        return sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30)
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, timeout=30)


def _classify(path: Path) -> tuple[str, str]:
    """(state, detail) from the header and, for unmarked files, the schema."""
    head = _header(path)
    if head is None:
        return "new", ""
    if len(head) < 100 or not head.startswith(_MAGIC):
        # a zeroed or overwritten header looks the same as any other file: refuse it
        # untouched, like a foreign one (catalog rebuild can replace it)
        return "foreign", "not an SQLite database"
    app_id = int.from_bytes(head[68:72], "big")
    if app_id == APPLICATION_ID:
        return "ok", ""
    if app_id != 0:
        return "foreign", f"application id {app_id:#x} belongs to another program"
    from loopmill.storage.catalog import _SCHEMA_VERSION, COLUMNS

    db = _read_only(path)
    try:
        tables = {r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        if not tables:
            return "new", ""
        if "loops" not in tables or not tables <= _LOOPMILL_TABLES:
            extra = sorted(tables - _LOOPMILL_TABLES)
            return "foreign", "tables " + ", ".join(extra[:5]) + " are not loopmill's"
        cols = {r[1] for r in db.execute("PRAGMA table_info(loops)")}
        if cols != {"id", *COLUMNS}:
            return "foreign", "its loops table has other columns than loopmill's"
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if not 1 <= version <= _SCHEMA_VERSION:  # a newer one is refused by Catalog itself
            return "foreign", f"user_version {version} is not a loopmill schema"
    finally:
        db.close()
    return "legacy", ""


def _quick_check(path: Path) -> str:
    """``ok`` or the first problem ``PRAGMA quick_check`` names."""
    db = _read_only(path)
    try:
        first = db.execute("PRAGMA quick_check").fetchone()
        return str(first[0]) if first else "ok"
    finally:
        db.close()


def _one_line(text: str) -> str:
    """quick_check lists one problem per line, after a header line: keep the first."""
    lines = [ln.strip(" *") for ln in text.splitlines() if ln.strip(" *")]
    first = next((ln for ln in lines if not ln.startswith("in database")), text.strip())
    return first[:160]


def _damaged(path: Path, detail: str) -> CatalogDamagedError:
    return CatalogDamagedError(
        f"the catalog {path} is damaged ({_one_line(detail)}); run `loopmill catalog check "
        f"--catalog {path}` to see what it holds, and `loopmill catalog rebuild --from DEST "
        f"--catalog {path}` to make it again from the loops' files and sidecars"
    )


def _foreign(path: Path, detail: str) -> ForeignCatalogError:
    return ForeignCatalogError(
        f"{path} is not a loopmill catalog ({detail}); it was left untouched; pass another "
        "catalog file"
    )


def verify_catalog(path: str | Path, *, quick_check_limit: int = QUICK_CHECK_LIMIT) -> str:
    """Refuse a damaged or foreign catalog before it is opened for writing.

    Parameters
    ----------
    path : path
        The catalog file (it may not exist yet).
    quick_check_limit : int
        Run ``PRAGMA quick_check`` when the file is at most this many bytes.

    Returns
    -------
    str
        ``ok``, ``new`` or ``legacy`` (see :class:`CatalogHealth`).

    Raises
    ------
    CatalogDamagedError
        Damaged pages, a broken header, or a file SQLite cannot read.
    ForeignCatalogError
        Another program's database; nothing was written to it.
    """
    path = Path(path)
    try:
        state, detail = _classify(path)
        if state == "foreign":
            raise _foreign(path, detail)
        if state == "damaged":
            raise _damaged(path, detail)
        if state != "new" and os.path.getsize(path) <= quick_check_limit:
            problem = _quick_check(path)
            if problem != "ok":
                raise _damaged(path, problem)
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, str(exc)) from None
    return state


def _local(uri: str) -> Path | None:
    if uri.startswith("file://"):
        return Path(uri[len("file://"):])
    if "://" in uri:
        return None
    return Path(uri)


def check_catalog(path: str | Path, *, files: bool = True) -> CatalogHealth:
    """Everything ``catalog check`` reports; never raises for a bad catalog.

    Parameters
    ----------
    path : path
    files : bool
        Also look for every row's local files (``missing``) and spooled rows.
    """
    path = Path(path)
    try:
        state, detail = _classify(path)
        if state in ("ok", "legacy"):
            problem = _quick_check(path)
            if problem != "ok":
                state, detail = "damaged", _one_line(problem)
    except sqlite3.DatabaseError as exc:
        state, detail = "damaged", str(exc)
    health = CatalogHealth(path=path, state=state, detail=detail)
    if state not in ("ok", "legacy"):
        return health
    import json

    db = _read_only(path)
    try:
        rows: list[Any] = list(db.execute("SELECT id, uris FROM loops ORDER BY id"))
    except sqlite3.DatabaseError as exc:
        health.state, health.detail = "damaged", str(exc)
        return health
    finally:
        db.close()
    health.rows = len(rows)
    if files:
        for loop_id, text in rows:
            try:
                uris = json.loads(text) if text else []
            except ValueError:
                uris = []
            for uri in uris if isinstance(uris, list) else []:
                uri = str(uri)
                if uri.startswith("spool://"):
                    if not Path(uri[len("spool://"):]).exists():
                        health.missing.append((int(loop_id), uri))
                    else:
                        health.spooled.append((int(loop_id), uri))
                    continue
                local = _local(uri)
                if local is not None and not local.exists():
                    health.missing.append((int(loop_id), uri))
    return health
