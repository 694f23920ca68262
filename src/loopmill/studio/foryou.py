"""The "for you" sort: loops ordered by the listener model's predicted score.

Each loop's embedding (evolve's offline ``features`` embedder, of its first
:data:`EMBED_SECONDS` at 22.05 kHz) is computed once and kept in a small SQLite file
beside the catalog (``<catalog>.embeddings.sqlite``, keyed by loop id and file). A
listener model (evolve's ``ListenerModel``) is trained on the studio listener's ratings
in the catalog — the page's stars and likes and the ratings given in evolve sessions —
and retrained only when a rating is added. Loops not embedded yet (a background thread
embeds them, newest first, once the sort has been asked for) sort after the scored ones.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np

from loopmill.errors import BadInputError, LoopmillError

__all__ = ["MIN_RATED", "ForYou", "for_you_page"]

#: rated loops needed before the sort means anything
MIN_RATED = 3
EMBED_SECONDS = 12.0
EMBED_SR = 22050


class ForYou:
    """Embeddings, the trained model and the background embedder of one studio."""

    def __init__(self, studio: Any) -> None:
        self.studio = studio
        cat = Path(studio.config.catalog)
        self.path = cat.with_name(cat.name + ".embeddings.sqlite")
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (loop_id INTEGER PRIMARY KEY, "
                         "path TEXT, mtime INTEGER, dim INTEGER, vec BLOB)")
        self._lock = threading.Lock()
        self._model: tuple[tuple[int, int], Any] | None = None
        self._thread: threading.Thread | None = None
        self._embedder: Any = None
        self._mem: dict[int, np.ndarray] | None = None
        self._version = 0  # bumped whenever an embedding is added
        self._pred: tuple[tuple[Any, ...], np.ndarray, np.ndarray] | None = None

    def _embedder_(self) -> Any:
        if self._embedder is None:
            from loopmill.evolve.embed import make_embedder

            self._embedder = make_embedder("features")
        return self._embedder

    def embedding(self, row: dict[str, Any]) -> np.ndarray | None:
        """The loop's embedding (computed now if it is not stored); None without a file."""
        from loopmill.studio.media import file_for

        path = file_for(row, None, self.studio.config.roots)
        if path is None:
            return None
        mtime = path.stat().st_mtime_ns
        with self._lock:
            got = self._db.execute("SELECT path, mtime, vec FROM emb WHERE loop_id = ?",
                                   (int(row["id"]),)).fetchone()
        if got and got[0] == str(path) and got[1] == mtime:
            return np.frombuffer(got[2], dtype=np.float64)
        from loopmill.audio import load

        try:
            y, sr = load(path, sr=EMBED_SR, max_duration=None)
            vec = self._embedder_().embed(y[:, : int(EMBED_SECONDS * sr)], sr=sr)
        except LoopmillError:
            return None
        vec = np.asarray(vec, np.float64)
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO emb VALUES (?, ?, ?, ?, ?)",
                             (int(row["id"]), str(path), mtime, vec.size, vec.tobytes()))
            if self._mem is not None:
                self._mem[int(row["id"])] = vec
            self._version += 1
        return vec

    def stored(self, ids: list[int]) -> dict[int, np.ndarray]:
        """The stored embeddings of these loops (all read into memory once, ~1 kB each)."""
        with self._lock:
            if self._mem is None:
                self._mem = {int(i): np.frombuffer(v, dtype=np.float64) for i, v in
                             self._db.execute("SELECT loop_id, vec FROM emb")}
            mem = self._mem
        return {i: mem[i] for i in ids if i in mem}

    def predictions(self) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, scores)`` of every embedded loop under the current model, both ``[N]``
        (computed again only when a rating or an embedding is added).

        Raises
        ------
        BadInputError
            Not enough ratings (see :meth:`model`).
        """
        model, _ = self.model()
        self.stored([])  # the embeddings in memory
        assert self._model is not None  # model() set it
        key = (self._model[0], self._version)  # the ratings it learned, the embeddings
        if self._pred is None or self._pred[0] != key:
            with self._lock:
                mem = dict(self._mem or {})
            ids = np.fromiter(mem, dtype=np.int64, count=len(mem))
            pred = (model.predict(np.stack([mem[int(i)] for i in ids])) if ids.size
                    else np.zeros(0))
            self._pred = (key, ids, np.asarray(pred, dtype=np.float64))
        return self._pred[1], self._pred[2]

    def model(self) -> tuple[Any, int]:
        """The listener model trained on the studio listener's ratings, and how many
        loops those ratings cover.

        Raises
        ------
        BadInputError
            Fewer than :data:`MIN_RATED` rated loops.
        """
        from loopmill.evolve.listener import ListenerConfig, ListenerModel

        listener = self.studio.config.listener
        ratings = [r for r in self.studio.db(lambda c: c.ratings(listener=listener))
                   if r["kind"] in ("stars", "like")]
        rated = {r["loop_id"] for r in ratings}
        if len(rated) < MIN_RATED:
            raise BadInputError(
                f"the for-you sort learns from ratings: rate {MIN_RATED - len(rated)} more "
                f"loop{'s' if MIN_RATED - len(rated) > 1 else ''} (listener {listener!r})")
        key = (len(ratings), max(r["id"] for r in ratings))
        if self._model is not None and self._model[0] == key:
            return self._model[1], len(rated)
        m = ListenerModel(self._embedder_().dim, ListenerConfig(seed=0), name=listener)
        rows = {r["id"]: r for r in self.studio.db(lambda c: c.get_many(sorted(rated)))}
        for r in ratings:
            row = rows.get(r["loop_id"])
            vec = self.embedding(row) if row else None
            if vec is not None:
                m.observe(vec[None, :], [r["score"]], kind=r["kind"])
        m.train()
        self._model = (key, m)
        return m, len(rated)

    def start_indexing(self) -> None:
        """Embed every loop that has no embedding yet, newest first, in the background."""
        if self._thread is not None and self._thread.is_alive():
            return

        def run() -> None:
            ids = self.studio.db(lambda c: c.ids())[::-1]
            have = set(self.stored(ids))
            for i in ids:
                if self.studio.stopping.is_set():
                    return
                if i not in have:
                    row = self.studio.db(lambda c, i=i: c.get(i))
                    if row is not None:
                        self.embedding(row)

        self._thread = threading.Thread(target=run, name="loopmill-studio-embed", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop (the indexer checks the studio's stop flag) and close the file."""
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._db.close()


def for_you_page(studio: Any, filters: dict[str, Any], *, offset: int,
                 limit: int) -> tuple[list[dict[str, Any]], int, dict[int, float]]:
    """One page of the loops matching ``filters``, best predicted first.

    Raises
    ------
    BadInputError
        Not enough ratings yet (the message says how many more).
    """
    fy: ForYou = studio.for_you
    all_ids, all_pred = fy.predictions()
    fy.start_indexing()
    ids = studio.db(lambda c: c.ids(**filters))
    keep = np.isin(all_ids, np.asarray(ids, dtype=np.int64))
    scored, pred = all_ids[keep], all_pred[keep]
    rank = np.lexsort((-scored, -pred))  # best first, ties newest first
    order = scored[rank].tolist()
    scores = dict(zip(order, np.round(pred[rank], 4).tolist(), strict=True))
    rest = [i for i in reversed(ids) if i not in scores]  # not embedded yet: newest first
    page = (order + rest)[offset: offset + limit]
    return studio.db(lambda c: c.get_many(page)), len(ids), scores
