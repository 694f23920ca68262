"""The catalog: one SQLite file (WAL mode) with every loop loopmill made.

Where: ``--catalog PATH``, else ``LOOPMILL_CATALOG``, else the user data folder
(``~/.local/share/loopmill/catalog.sqlite`` on Linux). WAL lets readers (``catalog
list``, the studio) look while a bulk run writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from loopmill import settings
from loopmill.errors import BadInputError, StorageError

if TYPE_CHECKING:
    from loopmill.loops.types import Loop

__all__ = ["COLUMNS", "FILTERS", "RATING_KINDS", "SORTS", "Catalog", "default_catalog_path",
           "record_from_loop"]

_SCHEMA_VERSION = 2  # 2: the ratings table
#: column -> SQL type; JSON columns hold lists/dicts
COLUMNS: dict[str, str] = {
    "created": "TEXT", "run_id": "TEXT", "name": "TEXT", "prompt": "TEXT",
    "engine": "TEXT", "seed": "INTEGER", "genre": "TEXT", "bpm": "REAL", "key": "TEXT",
    "bars": "INTEGER", "duration": "REAL", "loudness_lufs": "REAL", "true_peak_db": "REAL",
    "seam_score": "REAL", "detected_bpm": "REAL", "detected_key": "TEXT", "uris": "TEXT",
    "spec": "TEXT", "params": "TEXT", "timings": "TEXT", "extra": "TEXT", "rating": "REAL",
}
_JSON = ("uris", "spec", "params", "timings", "extra")
#: rating kind -> (lowest, highest) score
RATING_KINDS: dict[str, tuple[float, float]] = {"stars": (1.0, 5.0), "like": (-1.0, 1.0),
                                                "pair": (1.0, 1.0)}
#: columns :meth:`Catalog.page` sorts by, and the filters it takes
SORTS = ("created", "id", "name", "genre", "bpm", "key", "bars", "duration", "loudness_lufs",
         "seam_score", "rating")
FILTERS = ("genre", "bpm_min", "bpm_max", "key", "text", "run_id", "rating_min", "since",
           "until", "suite")
_RATINGS = (
    "CREATE TABLE IF NOT EXISTS ratings (id INTEGER PRIMARY KEY, "
    "loop_id INTEGER NOT NULL, listener TEXT NOT NULL, score REAL NOT NULL, "
    "kind TEXT NOT NULL, other_id INTEGER, created TEXT NOT NULL)"
)


def default_catalog_path() -> Path:
    """``LOOPMILL_CATALOG`` or ``<user data>/loopmill/catalog.sqlite``."""
    return settings.catalog_path()


def record_from_loop(
    loop: Loop, *, prompt: str, uris: Sequence[str], run_id: str | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """A catalog record for a made loop (``loop.extra`` holds engine, seed, spec, params)."""
    ex = dict(loop.extra)

    def num(x: float) -> float | None:
        return None if x != x else round(float(x), 4)  # NaN -> NULL

    return {
        "run_id": run_id, "prompt": prompt, "engine": ex.pop("engine", None),
        "seed": ex.pop("seed", None), "genre": ex.get("genre"), "bpm": round(loop.bpm, 4),
        "key": loop.key, "bars": loop.bars, "duration": round(loop.duration, 4),
        "loudness_lufs": num(loop.loudness_lufs), "true_peak_db": num(loop.true_peak_db),
        "seam_score": num(loop.seam_score), "uris": list(uris), "spec": ex.pop("spec", None),
        "params": ex.pop("params", None), "timings": timings or {},
        "extra": {k: v for k, v in ex.items()
                  if isinstance(v, str | int | float | list | dict)},
    }


def _date(value: str | dt.date | None, name: str) -> str | None:
    """``value`` as an ISO time; ``name`` is the field it came from (``since``)."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.datetime.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise BadInputError(f"{name} {value!r} is not a date; write it as 2026-11-22",
                            field=name) from None


def _created_between(since: str | dt.date | None, until: str | dt.date | None,
                     where: list[str], args: list[Any]) -> None:
    """Add the SQL for "made between ``since`` and ``until``" (``until`` of a bare date
    includes that whole day) to ``where`` and ``args``; errors name the field."""
    if since:
        where.append("created >= ?")
        args.append(_date(since, "since"))
    if until:
        end = _date(until, "until")
        if isinstance(until, dt.date) or len(str(until)) == 10:  # a whole day
            end = (dt.date.fromisoformat(str(end)[:10]) + dt.timedelta(days=1)).isoformat()
            where.append("created < ?")
        else:
            where.append("created <= ?")
        args.append(end)


class Catalog:
    """The SQLite catalog; safe to share between threads (one lock per write).

    Parameters
    ----------
    path : path, optional
        The file (created with its folder); default :func:`default_catalog_path`.

    Raises
    ------
    StorageError
        The file cannot be created, or is not a loopmill catalog.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_catalog_path()
        self._lock = threading.Lock()
        from loopmill.storage.catalog_check import verify_catalog

        verify_catalog(self.path)  # damaged or foreign: refused before a single write
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=30000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StorageError(
                f"{self.path} is not a loopmill catalog: {exc}; pass another catalog file"
            ) from None
        except OSError as exc:
            raise StorageError(
                f"cannot open the catalog {self.path}: {exc.strerror or exc}; pass another "
                "catalog file"
            ) from None

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > _SCHEMA_VERSION:
            raise StorageError(
                f"{self.path} was written by a newer loopmill (schema {version}); upgrade"
            )
        cols = ", ".join(f'"{c}" {t}' for c, t in COLUMNS.items())
        # one explicit transaction: Python's sqlite3 commits each CREATE on its own, so a
        # second process opening the catalog meanwhile saw tables without the schema
        # version and refused the file as foreign; BEGIN IMMEDIATE also serialises two
        # processes creating the same catalog
        self._db.execute("BEGIN IMMEDIATE")
        with self._db:
            self._db.execute(f"CREATE TABLE IF NOT EXISTS loops (id INTEGER PRIMARY KEY, {cols})")
            for col in ("genre", "bpm", "created", "run_id"):
                self._db.execute(f'CREATE INDEX IF NOT EXISTS loops_{col} ON loops("{col}")')
            self._db.execute(_RATINGS)
            self._db.execute(
                "CREATE INDEX IF NOT EXISTS ratings_listener ON ratings(listener, loop_id)")
            self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
            from loopmill.storage.catalog_check import APPLICATION_ID

            self._db.execute(f"PRAGMA application_id={APPLICATION_ID}")  # loopmill's mark

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def add(self, record: dict[str, Any]) -> int:
        """Insert one loop; unknown keys go into ``extra``. Returns the new id."""
        row = {c: record.get(c) for c in COLUMNS}
        row["created"] = row["created"] or dt.datetime.now(dt.timezone.utc).isoformat(
            timespec="seconds")
        extra = dict(record.get("extra") or {})
        extra.update({k: v for k, v in record.items() if k not in COLUMNS and k != "id"})
        row["extra"] = extra
        for c in _JSON:
            row[c] = json.dumps(row[c], default=str) if row[c] is not None else None
        names = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        with self._lock, self._db:
            cur = self._db.execute(f"INSERT INTO loops ({names}) VALUES ({marks})",
                                   list(row.values()))
        return int(cur.lastrowid or 0)

    @staticmethod
    def _decode(row: sqlite3.Row) -> dict[str, Any]:
        out = dict(row)
        for c in _JSON:
            if out.get(c) is not None:
                out[c] = json.loads(out[c])
        return out

    def get(self, loop_id: int) -> dict[str, Any] | None:
        """The loop with this id, or None."""
        row = self._db.execute("SELECT * FROM loops WHERE id = ?", (loop_id,)).fetchone()
        return None if row is None else self._decode(row)

    def query(
        self, *, genre: str | None = None, bpm_min: float | None = None,
        bpm_max: float | None = None, key: str | None = None,
        since: str | dt.date | None = None, until: str | dt.date | None = None,
        run_id: str | None = None, limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Loops matching every given filter, oldest first.

        ``key`` matches case-insensitively (``"d minor"``); ``since``/``until`` are
        dates or ISO times (``until`` of a bare date includes that whole day).
        """
        where: list[str] = []
        args: list[Any] = []
        for clause, value in (("genre = ? COLLATE NOCASE", genre), ("bpm >= ?", bpm_min),
                              ("bpm <= ?", bpm_max), ("key = ? COLLATE NOCASE", key),
                              ("run_id = ?", run_id)):
            if value is not None:
                where.append(clause)
                args.append(value)
        _created_between(since, until, where, args)
        sql = "SELECT * FROM loops" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [self._decode(r) for r in self._db.execute(sql, args)]

    def rate(self, loop_id: int, value: float) -> None:
        """Store a listener's rating for a loop.

        Raises
        ------
        BadInputError
            No loop has this id.
        """
        with self._lock, self._db:
            cur = self._db.execute("UPDATE loops SET rating = ? WHERE id = ?",
                                   (float(value), loop_id))
        if cur.rowcount == 0:
            raise BadInputError(f"no loop with id {loop_id} in {self.path}")

    def add_rating(
        self, loop_id: int, score: float, *, listener: str = "default", kind: str = "stars",
        other_id: int | None = None,
    ) -> int:
        """Record one rating; returns its id.

        ``kind`` is ``stars`` (1..5), ``like`` (1 like, -1 dislike) or ``pair`` (``loop_id``
        was preferred to ``other_id``; ``score`` 1). A ``stars`` rating also sets the loop's
        ``rating`` column to that listener's mean stars for it.

        Raises
        ------
        BadInputError
            An unknown kind, a score out of its range, an empty listener, or no loop with
            ``loop_id`` (or ``other_id``).
        """
        if kind not in RATING_KINDS:
            raise BadInputError(f"rating kind {kind!r} is unknown; use {', '.join(RATING_KINDS)}")
        lo, hi = RATING_KINDS[kind]
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not lo <= score <= hi:
            raise BadInputError(f"a {kind} score {score!r} is out of range; use {lo:g} to {hi:g}")
        if not listener or not listener.strip():
            raise BadInputError("listener is empty; name the listener, e.g. 'default'")
        if (kind == "pair") != (other_id is not None):
            raise BadInputError("other_id is needed with kind 'pair' and only with it")
        for lid in (loop_id, other_id):
            if lid is not None and self.get(lid) is None:
                raise BadInputError(f"no loop with id {lid} in {self.path}")
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with self._lock, self._db:
            cur = self._db.execute(
                "INSERT INTO ratings (loop_id, listener, score, kind, other_id, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (loop_id, listener, float(score), kind, other_id, now),
            )
            if kind == "stars":
                self._db.execute(
                    "UPDATE loops SET rating = (SELECT avg(score) FROM ratings WHERE "
                    "loop_id = ? AND listener = ? AND kind = 'stars') WHERE id = ?",
                    (loop_id, listener, loop_id),
                )
        return int(cur.lastrowid or 0)

    def ratings(
        self, *, listener: str | None = None, loop_id: int | None = None,
        kind: str | None = None,
    ) -> list[dict[str, Any]]:
        """Ratings matching every given filter, oldest first (id, loop_id, listener,
        score, kind, other_id, created)."""
        where, args = [], []
        for col, value in (("listener", listener), ("loop_id", loop_id), ("kind", kind)):
            if value is not None:
                where.append(f"{col} = ?")
                args.append(value)
        sql = "SELECT * FROM ratings" + (" WHERE " + " AND ".join(where) if where else "")
        return [dict(r) for r in self._db.execute(sql + " ORDER BY id", args)]

    def count(self) -> int:
        """How many loops the catalog holds."""
        return int(self._db.execute("SELECT count(*) FROM loops").fetchone()[0])

    # -- pages, facets and delete: what a browsing client (the studio) needs -------------

    def _where(
        self, *, genre: str | None = None, bpm_min: float | None = None,
        bpm_max: float | None = None, key: str | None = None, text: str | None = None,
        run_id: str | None = None, rating_min: float | None = None,
        since: str | dt.date | None = None, until: str | dt.date | None = None,
        suite: str | None = None,
    ) -> tuple[str, list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        for clause, value in (("genre = ? COLLATE NOCASE", genre), ("bpm >= ?", bpm_min),
                              ("bpm <= ?", bpm_max), ("key = ? COLLATE NOCASE", key),
                              ("run_id = ?", run_id), ("rating >= ?", rating_min),
                              ("json_extract(extra, '$.suite') = ?", suite)):
            if value is not None and value != "":
                where.append(clause)
                args.append(value)
        if text:
            esc = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = f"%{esc}%"
            where.append("(name LIKE ? ESCAPE '\\' OR prompt LIKE ? ESCAPE '\\' OR "
                         "genre LIKE ? ESCAPE '\\' OR key LIKE ? ESCAPE '\\')")
            args.extend([like] * 4)
        _created_between(since, until, where, args)
        return (" WHERE " + " AND ".join(where) if where else ""), args

    def page(
        self, *, sort: str = "created", descending: bool = True, offset: int = 0,
        limit: int = 50, **filters: Any,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of loops and the count of all that match.

        Parameters
        ----------
        sort : str
            A column of :data:`SORTS`; empty values sort last, ties by id.
        descending : bool
            Highest (newest) first.
        offset, limit : int
            The page: ``limit`` rows (1..500) after the first ``offset``.
        **filters
            ``genre``, ``bpm_min``, ``bpm_max``, ``key`` (case-insensitive), ``text``
            (in name, prompt, genre or key), ``run_id``, ``rating_min``, ``since``,
            ``until`` (dates or ISO times), ``suite``.

        Raises
        ------
        BadInputError
            An unknown sort column or filter, a bad date, or a page out of range.
        """
        if sort not in SORTS:
            raise BadInputError(f"sort {sort!r} is unknown; use one of {', '.join(SORTS)}")
        if not 1 <= limit <= 500 or offset < 0:
            raise BadInputError(f"page offset={offset} limit={limit} is out of range; "
                                "use offset >= 0 and limit 1 to 500")
        unknown = set(filters) - set(FILTERS)
        if unknown:
            raise BadInputError(f"filter {sorted(unknown)[0]!r} is unknown; use one of "
                                f"{', '.join(FILTERS)}")
        self._page_indexes()
        where, args = self._where(**filters)
        total = int(self._db.execute(f"SELECT count(*) FROM loops{where}", args).fetchone()[0])
        order = "DESC" if descending else "ASC"
        col = f'"{sort}"'
        # Sort narrow (id, column) pairs, then read only the page's rows: SQLite's sorter
        # would otherwise carry every matching row whole (JSON columns and all).
        sql = (f"SELECT id FROM loops{where} ORDER BY ({col} IS NULL), {col} {order}, "
               f"id {order} LIMIT ? OFFSET ?")
        ids = [int(r[0]) for r in self._db.execute(sql, [*args, limit, offset])]
        return self.get_many(ids), total

    def ids(self, **filters: Any) -> list[int]:
        """The ids of every loop matching ``filters`` (as :meth:`page`), oldest first."""
        where, args = self._where(**filters)
        return [int(r[0]) for r in self._db.execute(f"SELECT id FROM loops{where} ORDER BY id",
                                                     args)]

    def get_many(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The loops with these ids, in the order given (unknown ids are left out)."""
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = {int(r["id"]): self._decode(r) for r in self._db.execute(
            f"SELECT * FROM loops WHERE id IN ({marks})", [int(i) for i in ids])}
        return [rows[i] for i in ids if i in rows]

    def facets(self) -> dict[str, list[Any]]:
        """The distinct genres, keys, run ids and suites, for a client's filter menus."""
        out: dict[str, list[Any]] = {}
        for name, expr in (("genre", "genre"), ("key", "key"), ("run_id", "run_id"),
                           ("suite", "json_extract(extra, '$.suite')")):
            out[name] = [r[0] for r in self._db.execute(
                f"SELECT DISTINCT {expr} AS v FROM loops WHERE v IS NOT NULL ORDER BY v")]
        return out

    def delete(self, loop_id: int) -> dict[str, Any]:
        """Remove a loop's row and its ratings; returns the removed row (its files are the
        caller's to remove).

        Raises
        ------
        BadInputError
            No loop has this id.
        """
        row = self.get(loop_id)
        if row is None:
            raise BadInputError(f"no loop with id {loop_id} in {self.path}")
        with self._lock, self._db:
            self._db.execute("DELETE FROM ratings WHERE loop_id = ? OR other_id = ?",
                             (loop_id, loop_id))
            self._db.execute("DELETE FROM loops WHERE id = ?", (loop_id,))
        return row

    def latest_scores(self, ids: Sequence[int], *, listener: str, kind: str) -> dict[int, float]:
        """Each loop's latest ``kind`` score by ``listener`` (loops without one left out)."""
        if not ids:
            return {}
        self._page_indexes()
        marks = ", ".join("?" for _ in ids)
        out: dict[int, float] = {}
        for r in self._db.execute(
                f"SELECT loop_id, score FROM ratings WHERE listener = ? AND kind = ? AND "
                f"loop_id IN ({marks}) ORDER BY id", [listener, kind, *map(int, ids)]):
            out[int(r[0])] = float(r[1])
        return out

    def stamp(self) -> tuple[int, int]:
        """``(count, largest id)``: changes whenever a loop is added or deleted."""
        n, top = self._db.execute("SELECT count(*), coalesce(max(id), 0) FROM loops").fetchone()
        return int(n), int(top)

    def _page_indexes(self) -> None:
        # Indexes for the sort columns a browsing client uses; made once, on first use.
        if getattr(self, "_paged", False):
            return
        with self._lock, self._db:
            for col in ("rating", "seam_score", "loudness_lufs", "key", "name"):
                self._db.execute(f'CREATE INDEX IF NOT EXISTS loops_{col} ON loops("{col}")')
            self._db.execute("CREATE INDEX IF NOT EXISTS ratings_loop ON ratings(loop_id)")
        self._paged = True


def export(rows: Iterable[dict[str, Any]], *, fmt: str, out: IO[str]) -> int:
    """Write rows as CSV (JSON columns as JSON text) or a JSON list; returns the count.

    Raises
    ------
    BadInputError
        An unknown format.
    """
    rows = list(rows)
    if fmt == "json":
        json.dump(rows, out, indent=2, default=str)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=["id", *COLUMNS])
        writer.writeheader()
        for r in rows:
            writer.writerow({k: json.dumps(v) if k in _JSON and v is not None else v
                             for k, v in r.items()})
    else:
        raise BadInputError(f"unknown export format {fmt!r}; use csv or json")
    return len(rows)
