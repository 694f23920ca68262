"""The ask/tell session: propose candidates, take ratings, step the search; on disk.

This is what ``loopmill evolve`` and the studio drive. Stable API::

    from loopmill.evolve.session import EvolveSession
    from loopmill.evolve.config import resolve_config

    s = EvolveSession.create(resolve_config("evolve.yaml"), "runs/mine", audition=True)
    for c in s.propose():          # list[Candidate]; rendered, measured, files written
        print(c.id, c.path, c.predicted)
    s.rate(c.id, 4)                # stars 1..5 (kind="like": +1/-1)
    s.rate_pair(winner_id, loser_id)
    if s.question() == "pair":     # stars saturated (user_model.pairwise)
        s.rate_vs_champion(c.id, preferred=True)   # "this one or the champion?"
    summary = s.step()             # scores, tells the searcher; a history row (dict)
    s = EvolveSession.open("runs/mine")   # after a restart: the same state

* ``propose()`` returns the current generation's candidates, rendering them the first
  time; calling it again (or after a restart) gives the same candidates, not new ones.
* ``rate(id, score, kind="stars")`` records a rating of a current candidate (and in the
  catalog when there is one); ``dynamic`` fitness learns from every rating.
* ``question()`` says whether to ask for stars or for a pairwise choice against the
  champion (``rate_vs_champion``): by default pairs once the stars saturate.
* ``step()`` scores the candidates (the listener model is retrained first), tells the
  searcher, writes the generation's best loop, appends to ``history.jsonl`` and
  returns that row.
* Every call that changes the state saves it atomically to ``session.pkl``.

A run folder holds ``config.yaml`` (the resolved settings), ``session.pkl``,
``history.jsonl`` and, with auditions, ``candidates/<id>.wav``.
"""

from __future__ import annotations

import json
import pickle
import time
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from loopmill.errors import BadInputError, LoopmillError
from loopmill.evolve.config import EvolveConfig
from loopmill.evolve.evaluate import Evaluated, Evaluator
from loopmill.evolve.fitness import Fitness, Measures
from loopmill.evolve.genomes import Genome, make_genome
from loopmill.evolve.listener import ListenerConfig, ListenerModel, default_listener_path
from loopmill.evolve.pairwise import ask_pair, best_rated
from loopmill.evolve.publish import catalog_rating
from loopmill.evolve.searchers import Searcher, make_searcher

__all__ = ["Candidate", "EvolveSession"]

_FORMAT = "loopmill-evolve-session/1"
#: fitness given to a candidate that failed to render (reported in the history)
FAILED_FITNESS = -10.0


@dataclass
class Candidate:
    """One proposed individual of the current generation.

    Attributes
    ----------
    id : str
        ``g0003-07``: generation and index.
    generation, index : int
    genome : dict
        The genome's description (controls, prompt …).
    design : dict
        The render request (engine, spec, params).
    path : str or None
        Its rendered audio (WAV at the scoring rate) when auditions are on.
    predicted : float or None
        The listener model's score when it has one.
    rating : float or None
        The last rating given.
    preferred : bool or None
        The answer to "this one or the champion?" (:meth:`EvolveSession.rate_vs_champion`).
    fitness : float or None
        Set by ``step()``.
    error : str or None
        Why it failed to render.
    """

    id: str
    generation: int
    index: int
    genome: dict[str, Any]
    design: dict[str, Any]
    path: str | None = None
    predicted: float | None = None
    rating: float | None = None
    preferred: bool | None = None
    fitness: float | None = None
    error: str | None = None
    catalog_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able."""
        return asdict(self)


@dataclass
class _State:
    """Everything that survives a restart."""

    searcher: Searcher
    listener: ListenerModel | None
    generation: int = 0
    individuals: list[Any] | None = None
    candidates: list[Candidate] = field(default_factory=list)
    measures: list[Measures | None] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    ratings: int = 0
    evaluations: int = 0
    best: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: measures of every vector individual seen, by searcher key (dynamic re-scoring)
    archive: dict[bytes, Measures] = field(default_factory=dict)
    #: the star ratings given, in order (mapped to 1..5; what saturation is judged on)
    stars: list[float] = field(default_factory=list)
    #: the loop pairwise questions compare with: {"id", "embedding"} (None before any)
    champion: dict[str, Any] | None = None
    #: pairwise answers, all and in the current generation
    pairs: int = 0
    generation_pairs: int = 0


def _listener(cfg: EvolveConfig, dim: int, mode: str) -> ListenerModel | None:
    um = cfg.user_model
    lc = ListenerConfig(memory_length=um.memory_length, init=um.init, lr=um.lr,
                        epochs=um.epochs, projection=um.projection,
                        temperature=um.temperature, prior=um.prior,
                        seed=cfg.evolution.seed)
    path = Path(um.path) if um.path else default_listener_path(um.name)
    if mode == "user":
        model = ListenerModel.load(path)
        if model.dim != dim:
            raise BadInputError(f"listener model {path} was made for {model.dim}-value "
                                f"embeddings, not {dim}; use the embedder it was made with")
        return model
    if mode == "dynamic":
        return ListenerModel(dim, lc, name=um.name)
    return None


class EvolveSession:
    """An evolution run that is driven one call at a time; see the module docstring."""

    def __init__(self, config: EvolveConfig, run_dir: Path, state: _State | None, *,
                 audition: bool) -> None:
        from loopmill.evolve.embed import make_embedder
        from loopmill.evolve.fitness import load_targets
        from loopmill.prompts import parse_prompt

        self.config, self.run_dir, self.audition = config, Path(run_dir), audition
        g, ev = config.generator, config.evolution
        self.mode = config.fitness_mode
        base = parse_prompt(g.prompt)
        opts: dict[str, Any] = {}
        if g.genome == "composer":
            opts = {"tempo": g.tempo, "mode": g.mode}
        elif g.genome == "prompt":
            opts = {"engine": g.engine}
        elif g.genome == "embedding":
            opts = {"scale": g.scale}
        self.genome: Genome = make_genome(g.genome, base, seconds=g.seconds, seed=ev.seed,
                                          model=g.model, **opts)
        self.embedder = make_embedder(config.fitness.embedder)
        self.evaluator = Evaluator(embedder=config.fitness.embedder, sr=g.sample_rate,
                                   workers=g.workers, seam=config.fitness.seam_weight > 0,
                                   loudness=config.fitness.loudness_weight > 0)
        targets = None
        if self.mode == "music":
            targets = load_targets(config.fitness.target, embedder=self.embedder,
                                   sr=g.sample_rate)
        if state is None:
            state = _State(searcher=self._new_searcher(),
                           listener=_listener(config, self.embedder.dim, self.mode))
        self.state = state
        self.fitness = Fitness(self.mode, targets=targets, listener=state.listener,
                               noise_weight=config.fitness.noise_weight,
                               seam_weight=config.fitness.seam_weight,
                               loudness_weight=config.fitness.loudness_weight)

    def _new_searcher(self) -> Searcher:
        c = self.config
        ev = c.evolution
        api_key = None
        if c.LLM.api_key_env:
            from loopmill import settings

            api_key = settings.api_key(c.LLM.api_key_env)
        # One file configures both families: prompt searchers take LLM_genetic_operators,
        # vector searchers GA_operators; each gets only its own section.
        section = c.LLM_genetic_operators if self.genome.kind == "text" else c.GA_operators
        return make_searcher(
            c.searcher, self.genome, popsize=ev.population, seed=ev.seed,
            stdev_init=c.evotorch.stdev_init, start=c.evotorch.start,
            elitist=c.evotorch.elitist, proposals=c.search.proposals, pool=c.search.pool,
            beta=c.search.beta,
            operators=[o.model_dump() for o in section] if section else None,
            elites=ev.elites, tournament=ev.tournament, novel=ev.novel,
            mutation_rate=ev.mutation_rate, crossover_rate=ev.crossover_rate,
            llm={**c.LLM.model_dump(), "api_key": api_key},
            meta_prompt=c.LLM.meta_prompt)

    # --- creation and persistence ----------------------------------------------------
    @classmethod
    def create(cls, config: EvolveConfig, run_dir: str | Path, *,
               audition: bool = False) -> EvolveSession:
        """A new session in ``run_dir`` (which must not hold one yet).

        Raises
        ------
        BadInputError
            ``run_dir`` already holds a session (open it, or choose another folder), or
            the config cannot be used (unknown searcher, bad target …).
        """
        from loopmill._atomic import write_text_atomic

        run = Path(run_dir)
        if (run / "session.pkl").exists():
            raise BadInputError(f"{run} already holds an evolution run; resume it or choose "
                                "another run name")
        session = cls(config, run, None, audition=audition)
        import yaml

        write_text_atomic(run / "config.yaml", yaml.safe_dump(config.dump(), sort_keys=False))
        session.state.meta["created"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        session.state.meta["audition"] = audition
        session.save()
        return session

    @classmethod
    def open(cls, run_dir: str | Path) -> EvolveSession:
        """The session saved in ``run_dir``, exactly where it stopped.

        Raises
        ------
        BadInputError
            No session there, or an unreadable one.
        """
        from loopmill.evolve.config import resolve_config

        run = Path(run_dir)
        path = run / "session.pkl"
        if not path.is_file():
            raise BadInputError(f"{run} holds no evolution run to resume (no session.pkl)")
        config = resolve_config(run / "config.yaml")
        try:
            with path.open("rb") as fh:
                data = pickle.load(fh)  # the run's own checkpoint, written by save()
            if data.get("format") != _FORMAT:
                raise ValueError("not a loopmill session")
        except (OSError, pickle.UnpicklingError, ValueError, EOFError, AttributeError) as exc:
            raise BadInputError(f"{path} cannot be read ({exc}); start a new run") from None
        state: _State = data["state"]
        for f in fields(_State):  # saved before a field existed: its default
            if not hasattr(state, f.name):
                setattr(state, f.name, f.default if f.default_factory is MISSING
                        else f.default_factory())
        return cls(config, run, state, audition=bool(state.meta.get("audition")))

    def save(self) -> None:
        """Write the state atomically (``session.pkl`` and ``history.jsonl``)."""
        from loopmill._atomic import write_bytes_atomic, write_text_atomic

        raw = pickle.dumps({"format": _FORMAT, "state": self.state})
        write_bytes_atomic(self.run_dir / "session.pkl", raw,
                           fix="choose another run folder")
        write_text_atomic(self.run_dir / "history.jsonl",
                          "".join(json.dumps(r) + "\n" for r in self.state.history))

    # --- the API ---------------------------------------------------------------------
    @property
    def generation(self) -> int:
        """Finished generations."""
        return self.state.generation

    @property
    def history(self) -> list[dict[str, Any]]:
        """One row per finished generation."""
        return list(self.state.history)

    @property
    def best(self) -> dict[str, Any] | None:
        """The best candidate so far (``fitness``, ``genome``, ``design``, ``generation``)."""
        return self.state.best

    def propose(self) -> list[Candidate]:
        """The current generation's candidates, rendered and measured (once)."""
        st = self.state
        if st.individuals is not None:
            return list(st.candidates)
        inds = st.searcher.ask()
        designs = [self.genome.decode(x) for x in inds]
        results = self.evaluator(designs, keep_audio=self.audition)
        st.evaluations += len(designs)
        cands: list[Candidate] = []
        measures: list[Measures | None] = []
        for i, (x, d, r) in enumerate(zip(inds, designs, results, strict=True)):
            c = Candidate(id=f"g{st.generation:04d}-{i:02d}", generation=st.generation,
                          index=i, genome=self.genome.describe(x), design=d.to_dict())
            if isinstance(r, LoopmillError):
                c.error = str(r)
                measures.append(None)
            else:
                measures.append(r.measures)
                if self.audition:
                    c.path = self._write_audition(c.id, r)
            cands.append(c)
        self._predict(cands, measures)
        if self.mode == "dynamic" and hasattr(st.searcher, "rescore"):
            from loopmill.evolve.searchers import _key

            st.archive.update({_key(x): m for x, m in zip(inds, measures, strict=True)
                               if m is not None})
        st.individuals, st.candidates, st.measures = list(inds), cands, measures
        self.save()
        return list(cands)

    def _write_audition(self, cid: str, r: Evaluated) -> str:
        from loopmill.audio import LoopPoints, save

        assert r.audio is not None  # auditions keep the audio
        path = self.run_dir / "candidates" / f"{cid}.wav"
        save(path, r.audio, sr=self.config.generator.sample_rate, format="wav",
             loop=LoopPoints(start=0, length=r.audio.shape[1]))
        return str(path)

    def _predict(self, cands: list[Candidate], measures: list[Measures | None]) -> None:
        lm = self.state.listener
        if lm is None:
            return
        for c, m in zip(cands, measures, strict=True):
            if m is not None:
                c.predicted = round(float(lm.predict(m.embedding)[0]), 4)

    def _current(self, cid: str) -> tuple[Candidate, Measures]:
        for c, m in zip(self.state.candidates, self.state.measures, strict=True):
            if c.id == cid:
                if m is None:
                    raise BadInputError(f"candidate {cid} failed to render; it cannot be rated")
                return c, m
        ids = ", ".join(c.id for c in self.state.candidates) or "none (call propose first)"
        raise BadInputError(f"no current candidate {cid!r}; the current ones are {ids}")

    def embedding(self, candidate_id: str) -> np.ndarray:
        """A current candidate's embedding ``[D]``."""
        return self._current(candidate_id)[1].embedding

    def rate(self, candidate_id: str, score: float, *, kind: str = "stars") -> None:
        """Record a rating of a current candidate: ``stars`` 1..5 or ``like`` +1/-1.

        Raises
        ------
        BadInputError
            Not a current candidate, a failed one, or a score out of range.
        """
        c, m = self._current(candidate_id)
        if self.state.listener is not None:
            self.state.listener.observe(m.embedding[None, :], [score], kind=kind)
        elif kind not in ("stars", "like"):
            raise BadInputError(f"rating kind {kind!r} is unknown; use stars or like")
        c.rating = float(score)
        self.state.ratings += 1
        if kind in ("stars", "like"):
            self.state.stars.append(float(score) if kind == "stars" else 3.0 + 2.0 * float(score))
        catalog_rating(self, c, score, kind)
        self.save()

    def rate_pair(self, winner_id: str, loser_id: str) -> None:
        """Record that the listener preferred one current candidate to another."""
        _, mw = self._current(winner_id)
        _, ml = self._current(loser_id)
        if self.state.listener is not None:
            self.state.listener.observe_pair(mw.embedding, ml.embedding)
        self.state.ratings += 1
        self.save()

    def question(self) -> str:
        """What to ask the listener about the next candidate: ``"stars"`` (:meth:`rate`)
        or ``"pair"`` ("this one or the champion?", :meth:`rate_vs_champion`), as
        ``user_model.pairwise`` says (:mod:`loopmill.evolve.pairwise`)."""
        um, st = self.config.user_model, self.state
        pair = ask_pair(um.pairwise, st.stars, pairs=st.pairs,
                        champion=st.champion is not None and st.listener is not None,
                        saturation=um.saturation, window=um.saturation_window)
        return "pair" if pair else "stars"

    @property
    def champion(self) -> dict[str, Any] | None:
        """The loop pairwise questions compare with: ``{"id", "embedding"}`` (``[D]``
        array), or None before the first generation is scored. Until the first pairwise
        answer it is the rated loop the listener model scores best; after, the loop the
        listener last preferred."""
        ch = self.state.champion
        return None if ch is None else {"id": ch["id"],
                                        "embedding": np.asarray(ch["embedding"])}

    def rate_vs_champion(self, candidate_id: str, preferred: bool) -> None:
        """Record the answer to "this one or the champion?" about a current candidate;
        a preferred candidate becomes the champion.

        Raises
        ------
        BadInputError
            Not a current candidate, a failed one, or no champion yet (ask stars first:
            :meth:`question`).
        """
        c, m = self._current(candidate_id)
        st = self.state
        if st.champion is None:
            raise BadInputError("there is no champion to compare with yet; rate the first "
                                "generation with stars (see question())")
        champ = np.asarray(st.champion["embedding"])
        if st.listener is not None:
            win, lose = (m.embedding, champ) if preferred else (champ, m.embedding)
            st.listener.observe_pair(win, lose)
        c.preferred = bool(preferred)
        if preferred:
            st.champion = {"id": c.id, "embedding": m.embedding.tolist()}
        st.ratings += 1
        st.pairs += 1
        st.generation_pairs += 1
        self.save()

    def _update_champion(self) -> None:
        """Before any pairwise answer: the rated loop the retrained model scores best,
        of this generation's and the champion so far."""
        st = self.state
        if st.listener is None or st.pairs:
            return
        rated = [(c.id, m.embedding) for c, m in zip(st.candidates, st.measures, strict=True)
                 if m is not None and c.rating is not None]
        if st.champion is not None:
            rated.append((st.champion["id"], np.asarray(st.champion["embedding"])))
        st.champion = best_rated(st.listener.predict, rated) or st.champion

    def step(self, *, note: dict[str, Any] | None = None) -> dict[str, Any]:
        """Score the current candidates, tell the searcher, write the best; the history row
        (``note``: more JSON-able facts for that row, e.g. a synthetic listener's view).

        Raises
        ------
        BadInputError
            NaN fitness (the message names the candidates).
        """
        st = self.state
        if st.individuals is None:
            self.propose()
        t0 = time.perf_counter()
        if self.mode == "dynamic" and st.listener is not None:
            st.listener.train()
            rescore = getattr(st.searcher, "rescore", None)
            if callable(rescore) and st.archive:  # remembered solutions, scored anew
                archive = st.archive
                rescore(lambda keys: [float(self.fitness([archive[k]])[0]) if k in archive
                                      else FAILED_FITNESS for k in keys])
        ok = [i for i, m in enumerate(st.measures) if m is not None]
        fit = np.full(len(st.candidates), FAILED_FITNESS)
        if ok:
            fit[ok] = self.fitness([m for m in st.measures if m is not None])
        for c, f in zip(st.candidates, fit, strict=True):
            c.fitness = round(float(f), 6)
        st.searcher.tell(fit)
        self._update_champion()
        row = self._row(fit, ok, t0) | dict(note or {})
        row["pairs"] = st.generation_pairs
        st.generation_pairs = 0
        st.history.append(row)
        if st.listener is not None and self.mode == "dynamic" and self.config.user_model.save:
            um = self.config.user_model
            st.listener.save(Path(um.path) if um.path else default_listener_path(um.name))
        if self.config.logger.write_best and ok:
            from loopmill.evolve.publish import publish_best

            best_i = int(np.argmax(fit))
            assert st.individuals is not None  # proposed above
            try:
                pub = publish_best(self, st.candidates[best_i],
                                   self.genome.decode(st.individuals[best_i]))
                row["best_file"] = pub.files[0]
                if pub.spooled:  # the destination was down: `loopmill spool deliver`
                    row["spooled"] = pub.spooled
            except LoopmillError as exc:  # e.g. no loop in a model's audio: the run goes on
                row["best_file_error"] = str(exc)
        st.generation += 1
        st.individuals, st.candidates, st.measures = None, [], []
        self.save()
        return row

    def _row(self, fit: np.ndarray, ok: list[int], t0: float) -> dict[str, Any]:
        st = self.state
        good = fit[ok] if ok else np.array([FAILED_FITNESS])
        best_i = int(np.argmax(fit))
        emb = np.stack([m.embedding for m in st.measures if m is not None]) if ok else None
        diversity = 0.0
        if emb is not None and len(emb) > 1:
            n = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
            sim = n @ n.T
            diversity = float(1 - sim[np.triu_indices(len(n), 1)].mean())
        best = st.candidates[best_i]
        if ok and (st.best is None or fit[best_i] > st.best["fitness"]):
            st.best = {"fitness": float(fit[best_i]), "generation": st.generation,
                       "id": best.id, "genome": best.genome, "design": best.design}
        row: dict[str, Any] = {
            "generation": st.generation, "evaluations": st.evaluations, "ratings": st.ratings,
            "best": round(float(good.max()), 6), "mean": round(float(good.mean()), 6),
            "std": round(float(good.std()), 6), "diversity": round(diversity, 6),
            "best_so_far": round(float(st.best["fitness"]), 6) if st.best else None,
            "failures": len(fit) - len(ok), "best_genome": best.genome,
            "step_seconds": round(time.perf_counter() - t0, 3),
        }
        fallbacks = getattr(st.searcher, "fallbacks", None)
        if fallbacks is not None:
            row["llm_fallbacks"] = int(fallbacks)
        if st.listener is not None:
            row["listener_tau"] = round(st.listener.tau, 4)
        return row

    def close(self) -> None:
        """Stop worker processes."""
        self.evaluator.close()
