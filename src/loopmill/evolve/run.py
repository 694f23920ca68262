"""A whole evolution run: the session driven for ``evolution.generations`` generations,
with feedback from nobody, a synthetic listener, or a person at the terminal, and the
loggers (TensorBoard when installed; wandb only when asked and installed).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from loopmill import settings
from loopmill.errors import BadInputError, LoopmillError, MissingDependencyError
from loopmill.evolve.config import EvolveConfig
from loopmill.evolve.listener import SyntheticListener
from loopmill.evolve.session import Candidate, EvolveSession

__all__ = ["EvolveReport", "RunStopped", "evolve", "run_evolution", "runs_dir"]


class RunStopped(LoopmillError):
    """A run stopped by Ctrl-C; its state is saved and it can be resumed."""

    exit_code = 130

#: (candidate) -> stars 1..5, or None to skip it
AskRating = Callable[[Candidate], float | None]


@dataclass
class EvolveReport:
    """What a run did.

    Attributes
    ----------
    run_dir : Path
    history : list of dict
        One row per generation (also in ``history.jsonl``).
    best : dict or None
        The best candidate: fitness, generation, genome, design.
    best_files : list of str
        Each generation's best loop, as written.
    spooled : list of str
        The URIs meant for best-loop files the local spool keeps (the destination
        was down; ``loopmill spool deliver`` sends them).
    publish_errors : list of str
        Generations whose best loop could not be written, one line each (the run
        went on).
    fallbacks : int
        LLM answers replaced by grammar operators.
    fallback_reasons : list of str
    """

    run_dir: Path
    history: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, Any] | None = None
    best_files: list[str] = field(default_factory=list)
    spooled: list[str] = field(default_factory=list)
    publish_errors: list[str] = field(default_factory=list)
    fallbacks: int = 0
    fallback_reasons: list[str] = field(default_factory=list)


def runs_dir(config: EvolveConfig) -> Path:
    """Where run folders go: ``logger.runs``, ``LOOPMILL_RUNS`` or the user data folder."""
    if config.logger.runs:
        return Path(config.logger.runs)
    return settings.runs_dir()


class _Synthetic:
    """A synthetic listener whose taste is the sound of a hidden individual."""

    def __init__(self, session: EvolveSession) -> None:
        meta = session.state.meta.setdefault("synthetic", {})
        cfg = session.config
        if "taste" not in meta:
            rng = np.random.default_rng([cfg.evolution.seed, 7])
            hidden = session.genome.initial(2, rng=rng)[1]
            result = session.evaluator([session.genome.decode(hidden)])[0]
            if isinstance(result, Exception):
                raise result
            meta["taste"] = result.measures.embedding.tolist()
            meta["hidden"] = session.genome.describe(hidden)
        self.meta = meta
        self.listener = SyntheticListener(np.asarray(meta["taste"]),
                                          noise=cfg.user_model.synthetic_noise,
                                          center=meta.get("center", 0.0),
                                          spread=meta.get("spread", 0.25))
        self.seed = cfg.evolution.seed

    def rate(self, session: EvolveSession, cands: list[Candidate]) -> dict[str, Any]:
        """Rate every candidate (stars, or "this one or the champion?" when the session
        asks for pairs); the listener's true view of the best one for the history."""
        embs = {c.id: session.embedding(c.id) for c in cands if c.error is None}
        if not embs:
            return {}
        if "center" not in self.meta:  # calibrated once, on the first generation
            self.listener.calibrate(np.stack(list(embs.values())))
            self.meta.update(center=self.listener.center, spread=self.listener.spread)
        for c in to_rate(session, cands):
            if c.id in embs:
                # noise seeded by the candidate: a resumed run rates exactly the same
                rng = np.random.default_rng([self.seed, c.generation, c.index])
                champion = session.champion
                if session.question() == "pair" and champion is not None:
                    session.rate_vs_champion(c.id, self.listener.prefer(
                        embs[c.id], champion["embedding"], rng=rng))
                else:
                    session.rate(c.id, float(self.listener.rate(embs[c.id][None, :],
                                                                rng=rng)[0]))
        true = self.listener.true_score(np.stack(list(embs.values())))
        return {"synthetic_best": round(float(true.max()), 6),
                "synthetic_mean": round(float(true.mean()), 6)}


def to_rate(session: EvolveSession, cands: list[Candidate]) -> list[Candidate]:
    """The candidates to ask about: all, or only the ``rate_top`` the listener model
    expects most of once ``warmup_ratings`` answers are in (``EvolveConfig.rating_plan``:
    the surrogate's default, fewer questions to a person)."""
    ok = [c for c in cands if c.error is None]
    k, warmup = session.config.rating_plan()
    if not k or k >= len(ok) or session.state.ratings < warmup:
        return ok
    return sorted(ok, key=lambda c: -(c.predicted or 0.0))[:k]


class _Loggers:
    """TensorBoard (when installed) and wandb (only when asked and installed)."""

    def __init__(self, config: EvolveConfig, run: Path) -> None:
        self.tb: Any = None
        self.wandb: Any = None
        lg = config.logger
        if lg.tensorboard and importlib.util.find_spec("tensorboard") is not None:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(log_dir=str(run / "tb"))
        if lg.wandb:
            if importlib.util.find_spec("wandb") is None:
                raise MissingDependencyError("logger.wandb needs wandb; pip install wandb (and "
                                             "set WANDB_API_KEY in the environment)")
            if not settings.wandb_configured():
                raise BadInputError("logger.wandb: set WANDB_API_KEY in the environment (never "
                                    "in the file), or WANDB_MODE=offline")
            import wandb

            self.wandb = wandb.init(project=lg.wandb_project, name=run.name,
                                    config=config.dump(), dir=str(run))

    def log(self, row: dict[str, Any]) -> None:
        nums = {k: v for k, v in row.items() if isinstance(v, int | float) and v is not None}
        if self.tb is not None:
            for k, v in nums.items():
                self.tb.add_scalar(f"evolve/{k}", v, row["generation"])
            self.tb.flush()
        if self.wandb is not None:
            self.wandb.log(nums, step=row["generation"])

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()
        if self.wandb is not None:
            self.wandb.finish()


def run_evolution(config: EvolveConfig | None = None, *, resume: str | Path | None = None,
                  generations: int | None = None, ask_rating: AskRating | None = None,
                  on_generation: Callable[[dict[str, Any]], None] | None = None,
                  on_evaluated: Callable[[int], None] | None = None) -> EvolveReport:
    """Run (or resume) an evolution until ``evolution.generations`` generations.

    Parameters
    ----------
    config : EvolveConfig, optional
        The settings (see :func:`loopmill.evolve.config.resolve_config`); not needed
        with ``resume``.
    resume : path, optional
        A run folder to continue exactly where it stopped.
    generations : int, optional
        With ``resume``: run until this many generations (default the run's own).
    ask_rating : callable, optional
        ``feedback: terminal``: ``candidate -> stars or None``.
    on_generation, on_evaluated : callable, optional
        Progress: each history row; each generation's number of evaluated candidates.

    Raises
    ------
    BadInputError
        Bad settings, an unknown searcher, a target that is not audio, no run to
        resume, NaN fitness … (before anything is written where possible).
    """
    if resume is not None:
        session = EvolveSession.open(resume)
    else:
        if config is None:
            raise BadInputError("run_evolution needs a config or a run to resume")
        name = config.logger.name or time.strftime("evolve-%Y%m%d-%H%M%S")
        session = EvolveSession.create(config, runs_dir(config) / name,
                                       audition=config.logger.write_candidates
                                       or config.user_model.feedback == "terminal")
    cfg = session.config
    total = generations or cfg.evolution.generations
    feedback = cfg.user_model.feedback
    if feedback == "terminal" and ask_rating is None:
        raise BadInputError("feedback terminal needs someone at the keyboard; use the CLI "
                            "or feedback synthetic/none")
    synthetic = _Synthetic(session) if feedback == "synthetic" else None
    loggers = _Loggers(cfg, session.run_dir)
    report = EvolveReport(run_dir=session.run_dir)
    try:
        while session.generation < total:
            cands = session.propose()
            if on_evaluated:
                on_evaluated(len(cands))
            note: dict[str, Any] = {}
            if synthetic is not None:
                note = synthetic.rate(session, cands)
            elif feedback == "terminal" and ask_rating is not None:
                for c in to_rate(session, cands):
                    if c.error is None and c.rating is None:
                        stars = ask_rating(c)
                        if stars is not None:
                            session.rate(c.id, stars)
            row = session.step(note=note)
            loggers.log(row)
            if on_generation:
                on_generation(row)
    except KeyboardInterrupt:
        raise RunStopped(f"stopped after {session.generation} of {total} generations; every "
                         f"finished step is saved: resume {session.run_dir} to go on") from None
    finally:
        loggers.close()
        session.close()
    report.history = session.history
    report.best = session.best
    report.best_files = [str(r["best_file"]) for r in report.history if r.get("best_file")]
    report.spooled = [str(u) for r in report.history for u in r.get("spooled", ())]
    report.publish_errors = [f"generation {r['generation']}: {r['best_file_error']}"
                             for r in report.history if r.get("best_file_error")]
    report.fallbacks = int(getattr(session.state.searcher, "fallbacks", 0))
    report.fallback_reasons = list(getattr(session.state.searcher, "fallback_reasons", []))
    return report


#: command-line field -> config key (the CLI maps its flags through this one table)
FLAG_FIELDS = {
    "genome": "generator.genome", "prompt": "generator.prompt", "model": "generator.model",
    "workers": "generator.workers", "search": "search.searcher", "fitness": "fitness.mode",
    "target": "fitness.target", "embedder": "fitness.embedder",
    "generations": "evolution.generations", "population": "evolution.population",
    "seed": "evolution.seed", "feedback": "user_model.feedback",
    "listener": "user_model.name", "runs": "logger.runs", "name": "logger.name",
    "dest": "logger.dest", "catalog": "logger.catalog", "format": "logger.format",
    "s3_endpoint_url": "logger.s3_endpoint_url",
}


def evolve(config_file: str | Path | None = None, *, overrides: dict[str, Any] | None = None,
           resume: str | Path | None = None, **callbacks: Any) -> EvolveReport:
    """``loopmill evolve``: settings from ``config_file`` and ``overrides`` (keyed by
    :data:`FLAG_FIELDS` names), or the run in ``resume``; then :func:`run_evolution`.

    Raises
    ------
    BadInputError
        As :func:`run_evolution`, and an unknown override.
    """
    from loopmill.evolve.config import resolve_config

    given = {k: v for k, v in (overrides or {}).items() if v is not None and v != []}
    unknown = sorted(set(given) - set(FLAG_FIELDS))
    if unknown:
        raise BadInputError(f"unknown setting(s) {', '.join(unknown)}")
    if resume is not None:
        extra = sorted(set(given) - {"generations"})
        if extra or config_file is not None:
            raise BadInputError("a resumed run keeps its own settings (its config.yaml); only "
                                "generations may change")
        return run_evolution(resume=resume, generations=given.get("generations"), **callbacks)
    config = resolve_config(config_file, overrides={FLAG_FIELDS[k]: v for k, v in given.items()})
    return run_evolution(config, **callbacks)
