"""Catalog files with damaged pages, and other programs' SQLite files."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from loopmill.storage.catalog import Catalog


def healthy(path: Path, rows: int = 120) -> Path:
    """A real catalog with enough rows to span many pages."""
    with Catalog(path) as cat:
        for i in range(rows):
            cat.add({"prompt": f"loop {i} " + "x" * 300, "seed": i, "genre": "lofi",
                     "uris": [f"/nowhere/{i}.ogg"], "name": f"loop_{i}"})
    return path


def damage(path: Path, *, page: int = 3, pages: int = 4) -> Path:
    """Overwrite ``pages`` pages from ``page`` on with garbage (a dying disk)."""
    size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    assert len(data) > (page + pages) * size, "catalog too small to damage"
    for k in range((page - 1) * size, (page - 1 + pages) * size):
        data[k] = (k * 7919 + 13) % 251
    path.write_bytes(bytes(data))
    return path


def foreign(path: Path) -> Path:
    """Someone else's database that happens to have a ``loops`` table."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE loops (id INTEGER PRIMARY KEY, lap_time REAL, driver TEXT)")
        db.execute("CREATE TABLE drivers (name TEXT)")
        db.executemany("INSERT INTO loops (lap_time, driver) VALUES (?, ?)",
                       [(61.2 + i, f"d{i}") for i in range(20)])
    db.close()
    return path


def digest(path: Path) -> str:
    """The file's hash, with its -wal/-shm siblings' presence."""
    extra = "".join(s for s in ("-wal", "-shm") if path.with_name(path.name + s).exists())
    return hashlib.sha256(path.read_bytes()).hexdigest() + extra
