"""The run journal of a bulk run: the run folder a killed or stopped run resumes from.

``run.json``
    the run's id, seed and options (written once, atomically);
``plan.jsonl``
    every spec handed out, written before it is rendered;
``done.jsonl``
    every made item's catalog record, written before the catalog row;
``failed.jsonl``
    every item that failed all its attempts, with the last error and the fields its
    message names.

Every line of the three JSONL files names its item in an explicit ``"index"`` field,
and a resumed run reads the indices from there (never from file names). Lines are
appended one fsync'd line at a time, so a kill loses at most the line being written,
which the reader skips.

A made item is journalled before its catalog row is added: the journal is the truth,
and :meth:`RunJournal.resume_state` adds a row the catalog missed (a kill between the
two writes). Journals of older versions wrote the catalog row first; for those, a
catalog row of the run whose prompt is a planned spec's text marks that item as made
(prompts are unique within a run).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from loopmill.errors import BadInputError, Failure

__all__ = ["DONE_FILE", "FAILED_FILE", "PLAN_FILE", "RUN_FILE", "CatalogLike", "ResumeState",
           "RunJournal", "append_jsonl", "read_jsonl", "same_dest"]

RUN_FILE, PLAN_FILE, DONE_FILE, FAILED_FILE = "run.json", "plan.jsonl", "done.jsonl", "failed.jsonl"


class CatalogLike(Protocol):
    """What the journal needs of a catalog (:class:`loopmill.storage.catalog.Catalog`)."""

    def query(self, *, run_id: str | None = None) -> list[dict[str, Any]]:
        """Rows of one run."""
        ...

    def add(self, record: dict[str, Any]) -> int:
        """Insert one row; its id."""
        ...


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Lines of a JSONL file; a torn line (a kill mid-write) is skipped."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict):
                yield rec


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one record as a line, on disk before this returns."""
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _indexed(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(index, line)`` for each line with a whole-number ``"index"``."""
    for rec in read_jsonl(path):
        index = rec.get("index")
        if isinstance(index, int) and not isinstance(index, bool):
            yield index, rec


def same_dest(a: str, b: str) -> bool:
    """Whether two destinations are one: URLs compared as written (less a trailing
    ``/``), local folders after resolving them against the current folder."""
    if "://" in a or "://" in b:
        return a.rstrip("/") == b.rstrip("/")
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


@dataclass(frozen=True)
class ResumeState:
    """Where a run stands, read from its journal.

    Attributes
    ----------
    done : frozenset of int
        Indices of the items made.
    pending : list of (int, dict)
        Planned items not made yet (failed ones included), by index, with their specs.
    next_index : int
        The index the next new spec gets.
    used_texts : frozenset of str
        Every planned prompt text (a new spec must not repeat one).
    repaired : int
        Catalog rows added for made items the catalog missed.
    """

    done: frozenset[int] = frozenset()
    pending: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    next_index: int = 0
    used_texts: frozenset[str] = frozenset()
    repaired: int = 0


class RunJournal:
    """One run folder: create it with :meth:`start`, reopen it with :meth:`open`.

    Parameters
    ----------
    run_dir : Path
        The run folder.
    run_id : str
        The run's id (the start of every file name of the run).
    seed : int
        The run's seed; item ``i`` uses ``seed + i``.
    options : dict
        The run's options as written to ``run.json``.
    """

    def __init__(self, run_dir: Path, *, run_id: str, seed: int, options: dict[str, Any]) -> None:
        self.run_dir = run_dir
        self.run_id = run_id
        self.seed = seed
        self.options = options

    @classmethod
    def start(cls, runs_dir: Path, *, options: dict[str, Any], seed: int | None = None
              ) -> RunJournal:
        """A new run folder in ``runs_dir`` with its ``run.json``.

        ``seed`` None draws one. The run id starts with the date and time, so run
        folders and file names sort by time.
        """
        from loopmill.storage.sidecar import write_json_atomic

        run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
        run_seed = seed if seed is not None else secrets.randbelow(2**31 - 100_000)
        run_dir = runs_dir / run_id
        write_json_atomic(run_dir / RUN_FILE, {
            "run_id": run_id, "seed": run_seed,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "options": options,
        })
        return cls(run_dir, run_id=run_id, seed=run_seed, options=options)

    @classmethod
    def open(cls, run_dir: str | Path) -> RunJournal:
        """The run in ``run_dir``.

        Raises
        ------
        BadInputError
            ``run_dir`` holds no readable ``run.json`` (field ``resume``).
        """
        run_dir = Path(run_dir)
        try:
            meta = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
            run_id, seed, options = str(meta["run_id"]), int(meta["seed"]), meta["options"]
            if not isinstance(options, dict):
                raise TypeError("its options are not an object")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BadInputError(
                f"resume {run_dir} is not a loopmill run folder ({exc}); pass the run "
                "folder that the run reported", field="resume",
            ) from None
        return cls(run_dir, run_id=run_id, seed=seed, options=dict(options))

    @property
    def dest(self) -> str:
        """The destination the run writes to."""
        return str(self.options.get("dest") or "")

    def check_dest(self, dest: str | None) -> str:
        """The destination a resumed run writes to: the run's own.

        Parameters
        ----------
        dest : str or None
            The destination the caller asked for; None (not given) or the run's own.

        Raises
        ------
        BadInputError
            ``dest`` is another destination (field ``dest``): resuming there would
            split the run between two places.
        """
        if dest is not None and not same_dest(dest, self.dest):
            raise BadInputError(
                f"dest {dest!r} is not the destination of run {self.run_id}, which uses "
                f"{self.dest!r}; resume it without dest or with that one", field="dest",
            )
        return self.dest

    # -- writing -------------------------------------------------------------------

    def plan(self, index: int, spec: dict[str, Any]) -> None:
        """Record a spec handed out (before it is rendered)."""
        append_jsonl(self.run_dir / PLAN_FILE, {"index": index, "spec": spec})

    def done(self, index: int, record: dict[str, Any]) -> None:
        """Record a made item's catalog record (before the catalog row is added)."""
        rest = {k: v for k, v in record.items() if k != "index"}
        append_jsonl(self.run_dir / DONE_FILE, {"index": index, **rest})

    def failed(self, index: int, error: str | Failure, attempts: int) -> None:
        """Record an item that failed all its attempts: its last error's message and,
        for a :class:`~loopmill.errors.Failure` that names fields, its ``"fields"``."""
        line: dict[str, Any] = {"index": index, "error": str(error), "attempts": attempts}
        if isinstance(error, Failure):
            line["error"] = error.message  # the label is the line's index
            if error.fields:
                line["fields"] = list(error.fields)
        append_jsonl(self.run_dir / FAILED_FILE, line)

    # -- reading -------------------------------------------------------------------

    def planned(self) -> dict[int, dict[str, Any]]:
        """Index → spec of every item handed out."""
        return {i: rec["spec"] for i, rec in _indexed(self.run_dir / PLAN_FILE)
                if isinstance(rec.get("spec"), dict)}

    def made(self) -> dict[int, dict[str, Any]]:
        """Index → catalog record of every item made (without ``index``)."""
        return {i: {k: v for k, v in rec.items() if k != "index"}
                for i, rec in _indexed(self.run_dir / DONE_FILE)}

    def failures(self) -> dict[int, dict[str, Any]]:
        """Index → the last failure line of every item that failed all its attempts."""
        return dict(_indexed(self.run_dir / FAILED_FILE))

    def resume_state(self, catalog: CatalogLike | None = None) -> ResumeState:
        """What is made, what is left, and the next index; with ``catalog``, first
        add the rows it misses for made items (a kill between journal and catalog).
        """
        planned = self.planned()
        made = self.made()
        done = set(made)
        repaired = 0
        if catalog is not None:
            rows = catalog.query(run_id=self.run_id)
            names = {str(r.get("name") or "") for r in rows}
            for record in made.values():
                name = str(record.get("name") or "")
                if name and name not in names:
                    row = {k: v for k, v in record.items() if k != "catalog_id"}
                    catalog.add(row)
                    names.add(name)
                    repaired += 1
            # older journals: the catalog row came first, so it may be the only trace
            by_text = {str(s.get("text", "")): i for i, s in planned.items()}
            done.update(by_text[str(r["prompt"])] for r in rows
                        if str(r.get("prompt")) in by_text)
        pending = [(i, s) for i, s in sorted(planned.items()) if i not in done]
        return ResumeState(
            done=frozenset(done), pending=pending,
            next_index=max([*planned, *done], default=-1) + 1,
            used_texts=frozenset(str(s.get("text", "")) for s in planned.values()),
            repaired=repaired,
        )
