"""The local spool: loop files kept while their destination was down, and their delivery.

A file the destination refused (S3 down, after the retries) waits in a spool folder
under the user cache (``~/.cache/loopmill/spool/<destination>/``), with a hidden
``.dest`` note of where it was going; its catalog row points at ``spool://<path>``.
When the files are delivered (the next run to the same destination, or ``loopmill
spool deliver``), the rows are pointed at the delivered URIs, so the catalog never
names a file that no longer exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from loopmill.errors import BadInputError, StorageError

if TYPE_CHECKING:
    from loopmill.storage.catalog import Catalog

__all__ = ["DeliverReport", "SpoolEntry", "deliver_spool", "relink", "remember_dest",
           "spool_base", "spool_status"]

_NOTE = ".dest"


def spool_base() -> Path:
    """The folder that holds one spool folder per destination."""
    from loopmill import settings

    return settings.user_cache_dir() / "spool"


def remember_dest(spool_dir: Path, dest: str, endpoint_url: str | None) -> None:
    """Note beside the spooled files where they go (``spool deliver`` reads it)."""
    note = spool_dir / _NOTE
    if note.exists():
        return
    from loopmill._atomic import write_json_atomic

    write_json_atomic(note, {"dest": dest, "endpoint_url": endpoint_url})


@dataclass
class SpoolEntry:
    """One destination's spool folder and the files waiting in it."""

    folder: Path
    dest: str | None
    endpoint_url: str | None
    files: list[Path] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        """Total size of the waiting files."""
        return sum(p.stat().st_size for p in self.files if p.exists())


def _entry(folder: Path) -> SpoolEntry:
    dest = endpoint = None
    try:
        note = json.loads((folder / _NOTE).read_text(encoding="utf-8"))
        dest, endpoint = note.get("dest"), note.get("endpoint_url")
    except (OSError, ValueError, AttributeError):
        pass
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return SpoolEntry(folder=folder, dest=dest, endpoint_url=endpoint, files=files)


def spool_status(base: Path | None = None) -> list[SpoolEntry]:
    """Every spool folder that holds files, with its destination."""
    base = base or spool_base()
    if not base.is_dir():
        return []
    entries = [_entry(d) for d in sorted(base.iterdir()) if d.is_dir()]
    return [e for e in entries if e.files]


def relink(catalog: Catalog, delivered: list[tuple[str, str]]) -> int:
    """Point catalog rows at the delivered URIs instead of ``spool://`` ones.

    Returns
    -------
    int
        How many rows changed.
    """
    if not delivered:
        return 0
    moved = dict(delivered)
    db = catalog._db  # the catalog's own connection and lock
    changed = 0
    with catalog._lock, db:
        rows = list(db.execute("SELECT id, uris FROM loops WHERE uris LIKE '%spool://%'"))
        for row in rows:
            uris = json.loads(row[1])
            new = [moved.get(str(u), u) for u in uris]
            if new != uris:
                db.execute("UPDATE loops SET uris = ? WHERE id = ?", (json.dumps(new), row[0]))
                changed += 1
    return changed


@dataclass
class DeliverReport:
    """What :func:`deliver_spool` sent, what is still waiting, and the rows updated."""

    delivered: list[tuple[str, str]] = field(default_factory=list)
    left: list[Path] = field(default_factory=list)
    rows_updated: int = 0
    errors: list[str] = field(default_factory=list)


def deliver_spool(
    dest: str | None = None, *, s3_endpoint_url: str | None = None,
    catalog: str | Path | None = None, base: Path | None = None,
) -> DeliverReport:
    """Send spooled files to their destinations and update the catalog's rows.

    Parameters
    ----------
    dest : str, optional
        Only this destination's spool (default: every spool folder).
    s3_endpoint_url : str, optional
        Override the endpoint noted when the files were spooled.
    catalog : path, optional
        The catalog whose rows to update (default: ``LOOPMILL_CATALOG`` or user data).
    base : Path, optional
        The spool base folder (default :func:`spool_base`).

    Raises
    ------
    BadInputError
        ``dest`` has nothing spooled.
    """
    from loopmill.storage.catalog import Catalog
    from loopmill.storage.sink import open_sink

    entries = spool_status(base)
    if dest is not None:
        entries = [e for e in entries if e.dest == dest.rstrip("/")]
        if not entries:
            raise BadInputError(f"nothing is spooled for {dest}; see `loopmill spool status`")
    report = DeliverReport()
    for entry in entries:
        if entry.dest is None:
            report.errors.append(f"{entry.folder}: no .dest note; move its files by hand")
            report.left.extend(entry.files)
            continue
        try:
            sink = open_sink(entry.dest, spool_dir=entry.folder,
                             s3_endpoint_url=s3_endpoint_url or entry.endpoint_url)
        except StorageError as exc:
            report.errors.append(str(exc))
            report.left.extend(entry.files)
            continue
        report.delivered.extend(sink.delivered)
        report.left.extend(p for p in entry.files if p.exists())
    if report.delivered:
        with Catalog(catalog) as cat:
            report.rows_updated = relink(cat, report.delivered)
    return report

