"""The studio's evolve sessions: the evolve ask/tell session API driven from the page.

A session is a run folder under the studio's sessions folder: the evolve session's own
state (``session.pkl``, saved by it after every change) plus ``studio.json`` (what the
page lists: genome, prompt, target, favourites). Rendering a generation takes seconds
to minutes, so ``start`` and ``next`` run in a thread and report through events; one
operation per session at a time. A restarted server finds every session again.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from loopmill.errors import BadInputError, LoopmillError

__all__ = ["EvolveRequest", "Sessions"]

_META = "studio.json"


class EvolveRequest(BaseModel):
    """The page's "new session" form."""

    model_config = ConfigDict(extra="forbid")
    genome: Literal["composer", "prompt"] = "composer"
    prompt: str = Field(default="synthwave", min_length=1, max_length=500)
    population: int = Field(default=6, ge=2, le=32)
    seconds: float = Field(default=8.0, ge=4.0, le=30.0)
    target: str | None = Field(default=None, max_length=40)  # an upload id
    seed: int = Field(default=0, ge=0, lt=2**31)


def _design(d: dict[str, Any]) -> Any:
    """A render request back from its JSON form (composer and prompt genomes)."""
    from loopmill.engines.params import GenerationParams
    from loopmill.evolve.genomes import Design
    from loopmill.prompts.spec import MusicSpec

    return Design(d["engine"], MusicSpec.from_dict(d["spec"]),
                  GenerationParams.from_dict(d["params"]), model=d.get("model"))


class Sessions:
    """Every evolve session of a studio.

    Parameters
    ----------
    folder : Path
        The sessions folder (one run folder per session).
    catalog : Path
        Ratings and written loops go into this catalog.
    dest : Path
        Where "write the best" puts loops.
    listener : str
        The listener model's name.
    notify : callable
        ``notify(kind, payload)`` publishes an event to the page.
    """

    def __init__(self, *, folder: Path, catalog: Path, dest: Path, listener: str,
                 notify: Callable[[str, dict[str, Any]], None]) -> None:
        self.folder, self.catalog, self.dest, self.listener = folder, catalog, dest, listener
        self.notify = notify
        self._open: dict[str, Any] = {}
        self._busy: dict[str, str] = {}
        self._errors: dict[str, str] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # -- listing and opening ---------------------------------------------------------

    def _dir(self, sid: str) -> Path:
        if not sid.replace("-", "").isalnum() or not (self.folder / sid / _META).is_file():
            raise BadInputError(f"no evolve session {sid!r}; start one")
        return self.folder / sid

    def _meta(self, sid: str) -> dict[str, Any]:
        import json

        data: dict[str, Any] = json.loads((self._dir(sid) / _META).read_text(encoding="utf-8"))
        return data

    def _write_meta(self, sid: str, meta: dict[str, Any]) -> None:
        from loopmill._atomic import write_json_atomic

        write_json_atomic(self.folder / sid / _META, meta)

    def all(self) -> list[dict[str, Any]]:
        """Every session's summary, newest first."""
        out = []
        for meta_path in sorted(self.folder.glob(f"*/{_META}"), reverse=True):
            sid = meta_path.parent.name
            meta = self._meta(sid)
            out.append(meta | {"busy": self._busy.get(sid), "error": self._errors.get(sid)})
        return out

    def session(self, sid: str) -> Any:
        """The open evolve session (opened from its folder after a restart)."""
        from loopmill.evolve.session import EvolveSession

        run = self._dir(sid)
        with self._lock:
            if sid not in self._open:
                if not (run / "session.pkl").is_file():
                    raise BadInputError(f"session {sid} is still being created; wait for it")
                self._open[sid] = EvolveSession.open(run)
            return self._open[sid]

    def get(self, sid: str) -> dict[str, Any]:
        """A session's summary, current candidates, history and best."""
        meta = self._meta(sid) | {"busy": self._busy.get(sid), "error": self._errors.get(sid)}
        if not (self.folder / sid / "session.pkl").is_file():
            return meta | {"candidates": [], "history": [], "best": None, "generation": 0}
        s = self.session(sid)
        cands = s.state.candidates if s.state.individuals is not None else []
        favs = {f["id"] for f in meta.get("favourites", [])}
        from loopmill.evolve.session import Candidate

        champ = s.champion if cands else None
        return meta | {
            "generation": s.generation, "history": s.history, "best": s.best,
            # what to ask: stars, or "this one or the champion?" once stars saturate
            "question": s.question() if cands else "stars",
            "champion": None if champ is None else {
                "id": champ["id"], "source": f"evolve/{sid}/candidates/{champ['id']}",
                "playable": self._audition(s, champ["id"]).is_file()},
            "candidates": [self._cand(sid, c) | {"favourite": c.id in favs} for c in cands],
            "favourites": [self._cand(sid, Candidate(**f)) | {"favourite": True}
                           for f in meta.get("favourites", [])]}

    @staticmethod
    def _cand(sid: str, c: Any) -> dict[str, Any]:
        d = c.to_dict()
        spec = d["design"]["spec"]
        return {"id": c.id, "generation": c.generation, "index": c.index,
                "genome": d["genome"], "prompt": spec.get("text"), "bpm": spec.get("bpm"),
                "key": spec.get("key"), "predicted": c.predicted, "rating": c.rating,
                "preferred": getattr(c, "preferred", None),
                "fitness": c.fitness, "error": c.error, "playable": c.path is not None,
                "source": f"evolve/{sid}/candidates/{c.id}"}

    @staticmethod
    def _audition(s: Any, cid: str) -> Path:
        return Path(s.run_dir) / "candidates" / f"{cid}.wav"

    def candidate(self, sid: str, cid: str) -> tuple[Any, Path]:
        """A current (or favourite) candidate, or the champion, and its audition file.

        Raises
        ------
        BadInputError
            Not a current candidate, or one without audio.
        """
        from loopmill.evolve.session import Candidate

        s = self.session(sid)
        favs = [Candidate(**f) for f in self._meta(sid).get("favourites", [])]
        for c in [*s.state.candidates, *favs]:  # favourites stay playable
            if c.id == cid:
                if c.path is None:
                    raise BadInputError(f"candidate {cid} has no audio ({c.error or 'none'})")
                return c, Path(c.path)
        champ = s.champion
        if champ is not None and champ["id"] == cid and self._audition(s, cid).is_file():
            # the loop pairwise questions compare with, from an earlier generation
            gen, _, index = cid[1:].partition("-")
            return Candidate(id=cid, generation=int(gen), index=int(index), genome={},
                             design={}), self._audition(s, cid)
        raise BadInputError(f"no candidate {cid!r} in session {sid}")

    # -- what the page does ----------------------------------------------------------

    def start(self, req: EvolveRequest, *, target: Path | None) -> dict[str, Any]:
        """Create a session and render its first generation (in a thread)."""
        from loopmill.evolve.config import resolve_config

        sid = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        overrides: dict[str, Any] = {
            "generator.genome": req.genome, "generator.prompt": req.prompt,
            "generator.seconds": req.seconds, "evolution.population": req.population,
            "evolution.seed": req.seed, "fitness.mode": "music" if target else "dynamic",
            "fitness.target": [str(target)] if target else None,
            "logger.catalog": str(self.catalog), "logger.dest": str(self.dest),
            "logger.name": sid, "logger.write_best": False, "logger.tensorboard": False,
            "user_model.name": self.listener,
        }
        config = resolve_config(None, overrides=overrides)  # bad settings fail here
        meta = {"id": sid, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "genome": req.genome, "prompt": req.prompt, "population": req.population,
                "seconds": req.seconds, "seed": req.seed,
                "mode": "music" if target else "dynamic",
                "target": target.name if target else None, "favourites": [], "written": []}
        (self.folder / sid).mkdir(parents=True)
        self._write_meta(sid, meta)

        def work() -> None:
            from loopmill.evolve.session import EvolveSession

            s = EvolveSession.create(config, self.folder / sid, audition=True)
            with self._lock:
                self._open[sid] = s
            s.propose()

        self._run(sid, "rendering generation 0", work)
        return meta | {"busy": self._busy.get(sid)}

    def rate(self, sid: str, cid: str, score: float, kind: str) -> dict[str, Any]:
        """Rate a current candidate (stars 1..5 or like ±1)."""
        self._idle(sid)
        self.session(sid).rate(cid, score, kind=kind)
        return self.get(sid)

    def prefer(self, sid: str, cid: str, preferred: bool) -> dict[str, Any]:
        """Answer "this one or the champion?" about a current candidate."""
        self._idle(sid)
        self.session(sid).rate_vs_champion(cid, preferred)
        return self.get(sid)

    def next(self, sid: str) -> dict[str, Any]:
        """Score this generation, tell the searcher, render the next (in a thread)."""
        self._idle(sid)
        s = self.session(sid)

        def work() -> None:
            row = s.step()
            self.notify("evolve", {"session": sid, "step": row})
            s.propose()

        self._run(sid, f"scoring generation {s.generation}, rendering the next", work)
        return self.get(sid)

    def favourite(self, sid: str, cid: str, on: bool) -> dict[str, Any]:
        """Keep (or drop) a current candidate among the session's favourites."""
        meta = self._meta(sid)
        if on:
            c, _ = self.candidate(sid, cid)
        favs = [f for f in meta.get("favourites", []) if f["id"] != cid]
        if on:
            favs.append(c.to_dict())
        self._write_meta(sid, meta | {"favourites": favs})
        return self.get(sid)

    def write(self, sid: str, which: str) -> dict[str, Any]:
        """Write the best so far (``best``) or every favourite (``favourites``) as loops
        into the destination and the catalog (in a thread)."""
        from loopmill.evolve.session import Candidate

        self._idle(sid)
        s = self.session(sid)
        meta = self._meta(sid)
        if which == "best":
            if s.best is None:
                raise BadInputError("no best yet: rate and press next generation first")
            b = s.best
            picks = [Candidate(id=b["id"], generation=b["generation"], index=0,
                               genome=b["genome"], design=b["design"], fitness=b["fitness"])]
        elif which == "favourites":
            picks = [Candidate(**f) for f in meta.get("favourites", [])]
            if not picks:
                raise BadInputError("no favourites yet: mark candidates with ♥ first")
        else:
            raise BadInputError(f"write {which!r}: use best or favourites")

        def work() -> None:
            from loopmill.evolve.publish import publish_best

            written = [publish_best(s, c, _design(c.design)) for c in picks]
            m = self._meta(sid)
            self._write_meta(sid, m | {"written": [*m.get("written", []), *written]})
            self.notify("evolve", {"session": sid, "written": written})

        self._run(sid, f"writing {which}", work)
        return self.get(sid)

    # -- threads -----------------------------------------------------------------------

    def _idle(self, sid: str) -> None:
        busy = self._busy.get(sid)
        if busy:
            raise BadInputError(f"session {sid} is busy ({busy}); wait for it")

    def _run(self, sid: str, what: str, work: Callable[[], None]) -> None:
        with self._lock:
            if self._busy.get(sid):
                raise BadInputError(f"session {sid} is busy ({self._busy[sid]}); wait for it")
            self._busy[sid] = what
            self._errors.pop(sid, None)
        self.notify("evolve", {"session": sid, "busy": what})

        def run() -> None:
            try:
                work()
            except LoopmillError as exc:
                self._errors[sid] = str(exc)
            except Exception as exc:  # a bug must not kill the server; the page shows it
                self._errors[sid] = f"{type(exc).__name__}: {exc}"
            finally:
                with self._lock:
                    self._busy.pop(sid, None)
                self.notify("evolve", {"session": sid, "busy": None,
                                       "error": self._errors.get(sid)})

        t = threading.Thread(target=run, name=f"loopmill-evolve-{sid}", daemon=True)
        self._threads.append(t)
        t.start()

    def close(self) -> None:
        """Wait for running work (a generation being rendered), then stop workers."""
        for t in self._threads:
            t.join(timeout=120)
        for s in self._open.values():
            with contextlib.suppress(Exception):  # closing is best effort at shutdown
                s.close()
