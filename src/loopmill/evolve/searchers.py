"""Searchers: propose individuals, learn from their fitness (ask/tell), one generation at a time.

A searcher is driven by ``ask()`` (the individuals it needs scored now) and
``tell(fitness)``; ``generation`` counts the finished generations. Vector searchers:

* ``random`` — uniform points of the unit cube (or Gaussian around the genome's
  start): the honest baseline.
* ``ga``, ``cmaes``, ``snes`` — evotorch's GeneticAlgorithm (operators by name from
  ``GA_operators``, elitism), CMA-ES and SNES. evotorch runs its own loop
  (``step()`` evaluates a population itself); loopmill inverts it: each step runs on
  a copy whose problem looks fitness up in a cache and stops when one is missing —
  those are what ``ask()`` returns — and the step is kept once every fitness it needs
  is known. The same seed gives the same populations, and a pickled searcher is its
  seed plus that cache, replayed on load. Ray is never started (no actors).

``surrogate`` (:mod:`loopmill.evolve.surrogate`) screens a large pool of proposals
with a Gaussian-process model of genome -> fitness and asks only for the most promising.

Prompt searchers (``grammar``, ``llm-evolve``, ``full-llm``) live in
:mod:`loopmill.evolve.operators` and register here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from loopmill.errors import BadInputError, MissingDependencyError

__all__ = ["SEARCHERS", "EvotorchSearcher", "RandomSearcher", "Searcher", "make_searcher"]

#: evotorch GA operators by name -> whether it is a cross-over (needs a tournament)
GA_OPERATORS = {"OnePointCrossOver": True, "TwoPointCrossOver": True,
                "MultiPointCrossOver": True, "SimulatedBinaryCrossOver": True,
                "GaussianMutation": False, "PolynomialMutation": False}
#: where cmaes/snes start: the cube's ``centre``, or the ``best`` of a uniform first generation
STARTS = ("centre", "best")
DEFAULT_GA_OPERATORS: list[dict[str, Any]] = [
    {"name": "SimulatedBinaryCrossOver", "tournament_size": 3, "eta": 8.0},
    {"name": "GaussianMutation", "stdev": 0.08},
]


class Searcher(Protocol):
    """Ask/tell over one genome's individuals."""

    #: finished generations
    generation: int

    def ask(self) -> list[Any]:
        """Individuals to score now (never empty)."""
        ...

    def tell(self, fitness: np.ndarray) -> None:
        """Fitness of the individuals of the last ``ask()``, in that order."""
        ...


class RandomSearcher:
    """Independent random individuals: the baseline every searcher must beat."""

    def __init__(self, genome: Any, *, popsize: int, seed: int, **_: Any) -> None:
        self.genome, self.popsize = genome, popsize
        self.rng = np.random.default_rng(seed)
        self.generation = 0
        self._asked: list[Any] | None = None

    def ask(self) -> list[Any]:
        """A fresh random population (the same one until told)."""
        if self._asked is None:
            self._asked = self.genome.initial(self.popsize, rng=self.rng)
            if self.generation and self.genome.kind == "vector" and self.genome.name != "embedding":
                self._asked = list(self.rng.uniform(0, 1, size=(self.popsize, self.genome.dim)))
        return list(self._asked)

    def tell(self, fitness: np.ndarray) -> None:
        """Nothing to learn; next generation."""
        self._asked = None
        self.generation += 1


class _Need(Exception):
    """Raised inside a step: these rows have no fitness yet."""

    def __init__(self, rows: np.ndarray) -> None:
        super().__init__(f"{len(rows)} solutions need fitness")
        self.rows = rows


def _key(row: np.ndarray) -> bytes:
    return np.asarray(row, dtype=np.float32).tobytes()


def remember(cache: dict[bytes, float], asked: list[np.ndarray] | np.ndarray | None,
             fitness: np.ndarray) -> None:
    """``fitness`` of the ``asked`` genomes into ``cache`` (a searcher's ``tell``)."""
    if asked is None:
        raise BadInputError("tell() without ask(): ask for candidates first")
    fit = np.asarray(fitness, dtype=np.float64).reshape(-1)
    if fit.size != len(asked):
        raise BadInputError(f"{fit.size} fitness values for {len(asked)} candidates")
    for row, f in zip(asked, fit, strict=True):
        cache[_key(row)] = float(f)


def best_of(cache: dict[bytes, float]) -> tuple[np.ndarray, float] | None:
    """The best genome in ``cache`` and its fitness (None while it is empty)."""
    if not cache:
        return None
    k = max(cache, key=cache.__getitem__)
    return np.frombuffer(k, dtype=np.float32).astype(np.float64), cache[k]


def rescore_cache(cache: dict[bytes, float], score: Callable[[list[bytes]], np.ndarray]) -> None:
    """Replace every remembered fitness in ``cache`` with ``score(keys)``."""
    keys = list(cache)
    if keys:
        cache.update(zip(keys, (float(v) for v in score(keys)), strict=True))


class EvotorchSearcher:
    """evotorch's ``ga``, ``cmaes`` or ``snes`` driven by ask/tell (see the module docstring).

    Parameters
    ----------
    algorithm : str
        ``ga``, ``cmaes`` or ``snes``.
    genome
        A vector genome (``dim``, ``initial``).
    popsize, seed : int
    stdev_init : float
        Starting spread (``cmaes``, ``snes``), in the genome's units.
    elitist : bool
        ``ga``: keep the best of parents and children.
    operators : list of dict, optional
        ``ga``: ``{"name": "GaussianMutation", "stdev": 0.1}``, … (``GA_operators``).
    """

    def __init__(self, algorithm: str, genome: Any, *, popsize: int, seed: int,
                 stdev_init: float = 0.25, elitist: bool = True,
                 operators: list[dict[str, Any]] | None = None, start: str = "centre",
                 **_: Any) -> None:
        if genome.kind != "vector":
            raise BadInputError(f"search {algorithm!r} needs a vector genome (composer or "
                                "embedding); prompts use grammar, llm-evolve or full-llm")
        if start not in STARTS:
            raise BadInputError(f"evotorch.start {start!r} is unknown; use {', '.join(STARTS)}")
        self.algorithm, self.genome, self.popsize, self.seed = algorithm, genome, popsize, seed
        self.stdev_init, self.elitist = float(stdev_init), bool(elitist)
        self.operators = [dict(o) for o in (operators or DEFAULT_GA_OPERATORS)]
        # ``best``: a uniform first generation, the distribution centred on its best
        # (cmaes/snes over the unit cube; the GA's first population is uniform anyway)
        self.start = start
        self._warm = (start == "best" and algorithm != "ga" and genome.name != "embedding")
        self.cache: dict[bytes, float] = {}
        #: the fitness each finished step saw (fitness can change: dynamic re-scoring)
        self.log: list[dict[bytes, float]] = []
        self.generation = 0
        self._missing: np.ndarray | None = None
        if self._warm:
            rng = np.random.default_rng([seed, 11])
            self._first = np.asarray(rng.uniform(size=(popsize, genome.dim)), dtype=np.float32)
            self._missing = self._first
        else:
            self._build()

    def _warm_build(self) -> None:
        """The first (uniform) generation is scored: centre the distribution on its best."""
        fit = [self.cache[_key(r)] for r in self._first]
        self._build(center=self._first[int(np.argmax(fit))].astype(np.float64))
        self.log.append(dict(self.cache))
        self.generation += 1

    # --- building ----------------------------------------------------------------
    def _build(self, center: np.ndarray | None = None) -> None:
        try:
            import torch
            from evotorch import Problem
            from evotorch import algorithms as algos
            from evotorch import operators as ops
        except ImportError:
            raise MissingDependencyError(f"search {self.algorithm!r} needs evotorch; pip install "
                                         "'loopmill[evolve]'") from None
        import logging

        logging.getLogger("evotorch").setLevel(logging.WARNING)  # no INFO lines per problem
        cache = self.cache

        class _Cached(Problem):
            def _evaluate_batch(self, batch: Any) -> None:
                vals = batch.values.detach().cpu().numpy()
                missing = [r for r in vals if _key(r) not in cache]
                if missing:
                    raise _Need(np.unique(np.stack(missing), axis=0))
                batch.set_evals(torch.tensor([cache[_key(r)] for r in vals],
                                             dtype=batch.values.dtype))

        start = np.asarray(self.genome.initial(1, rng=np.random.default_rng(self.seed))[0])
        unit = self.genome.name != "embedding"
        bounds = (0.0, 1.0) if unit else None
        problem = _Cached("max", solution_length=self.genome.dim, dtype=torch.float32,
                          initial_bounds=(0.0, 1.0) if unit else (-1.0, 1.0),
                          bounds=bounds if self.algorithm == "ga" else None,
                          seed=self.seed, num_actors=None)  # never Ray actors
        self._torch_state = torch.Generator().manual_seed(self.seed).get_state()
        if self.algorithm == "ga":
            built = []
            for spec in self.operators:
                spec = dict(spec)
                name = str(spec.pop("name", ""))
                if name not in GA_OPERATORS:
                    raise BadInputError(f"unknown GA operator {name!r}; use one of "
                                        f"{', '.join(GA_OPERATORS)}")
                try:
                    built.append(getattr(ops, name)(problem, **spec))
                except TypeError as exc:
                    raise BadInputError(f"GA operator {name}: {exc}") from None
            # parents are re-evaluated every step: free (the cache answers), and a
            # dynamic fitness re-scores them with the latest listener model
            self._algo = algos.GeneticAlgorithm(problem, operators=built, popsize=self.popsize,
                                                elitist=self.elitist, re_evaluate=True)
            if not unit:  # the GA's first population: around the genome's start
                pop = self.genome.initial(self.popsize, rng=np.random.default_rng(self.seed))
                self._algo.population.set_values(torch.tensor(np.stack(pop),
                                                              dtype=torch.float32))
        else:
            if center is None:
                center = start if not unit else np.full(self.genome.dim, 0.5)
            spread = self.stdev_init * (getattr(self.genome, "spread", 1.0) if not unit else 1.0)
            cls = {"cmaes": algos.CMAES, "snes": algos.SNES}[self.algorithm]
            kw: dict[str, Any] = {"stdev_init": spread, "popsize": self.popsize,
                                  "center_init": [float(c) for c in center]}
            if self.algorithm == "cmaes":
                kw["separable"] = self.genome.dim > 200  # full covariance is D^2
            import warnings

            with warnings.catch_warnings():  # evotorch copies its own tensors; not ours
                warnings.simplefilter("ignore", UserWarning)
                self._algo = cls(problem, **kw)

    # --- ask / tell ----------------------------------------------------------------
    def _try_step(self) -> bool:
        """One step on a copy; keep it when every fitness it needed was known."""
        import torch

        trial = copy.deepcopy(self._algo)
        saved = torch.random.get_rng_state()
        torch.random.set_rng_state(self._torch_state)
        try:
            trial.step()
        except _Need as need:
            self._missing = need.rows
            return False
        finally:
            state = torch.random.get_rng_state()
            torch.random.set_rng_state(saved)
        self._algo, self._torch_state, self._missing = trial, state, None
        self.log.append(dict(self.cache))
        self.generation += 1
        return True

    def rescore(self, score: Callable[[list[bytes]], np.ndarray]) -> None:
        """Replace the remembered fitness of every solution seen (``score(keys)``), e.g.
        with a listener model that learned since; no solution is rendered again."""
        rescore_cache(self.cache, score)

    def ask(self) -> list[np.ndarray]:
        """The solutions the next step needs scored (the same until told)."""
        while self._missing is None:
            self._try_step()  # a step that needed nothing new just completes
        return [np.asarray(r, dtype=np.float64) for r in self._missing]

    def tell(self, fitness: np.ndarray) -> None:
        """Fitness of the last ``ask()``; runs the step if nothing else is missing."""
        remember(self.cache, self._missing, fitness)
        self._missing = None
        if self._warm and self.generation == 0:
            self._warm_build()
            return
        self._try_step()

    @property
    def best(self) -> tuple[np.ndarray, float] | None:
        """The best solution seen and its fitness."""
        return best_of(self.cache)

    # --- pickling: the seed and the cache, replayed ----------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "genome": self.genome, "popsize": self.popsize,
                "seed": self.seed, "stdev_init": self.stdev_init, "elitist": self.elitist,
                "operators": self.operators, "start": self.start, "cache": self.cache,
                "log": self.log, "generation": self.generation}

    def __setstate__(self, state: dict[str, Any]) -> None:
        generation = state.pop("generation")
        cache, log = state.pop("cache"), state.pop("log", [])
        self.__init__(state.pop("algorithm"), state.pop("genome"), **state)  # type: ignore[misc]
        # the problem holds this very dict: refill it, never rebind it
        for i, seen in enumerate(log[:generation]):  # each step with the fitness it saw
            self.cache.clear()
            self.cache.update(seen)
            if self._warm and i == 0:
                self._missing = None
                self._warm_build()
            elif not self._try_step():
                break
        self.log = list(log)
        self.cache.clear()
        self.cache.update(cache)
        if self.generation < generation:
            raise BadInputError("the checkpoint does not replay (another evotorch version?); "
                                "start the run again without resume")


def _evotorch(name: str) -> Callable[..., Searcher]:
    return lambda genome, **kw: EvotorchSearcher(name, genome, **kw)


def _surrogate(genome: Any, **kw: Any) -> Searcher:
    from loopmill.evolve.surrogate import SurrogateSearcher

    return SurrogateSearcher(genome, **kw)


def _prompt(name: str) -> Callable[..., Searcher]:
    def make(genome: Any, **kw: Any) -> Searcher:
        from loopmill.evolve.operators import PROMPT_SEARCHERS

        return PROMPT_SEARCHERS[name](genome, **kw)

    return make


#: searcher name -> factory(genome, popsize=, seed=, **options)
SEARCHERS: dict[str, Callable[..., Searcher]] = {
    "random": RandomSearcher,
    "ga": _evotorch("ga"),
    "cmaes": _evotorch("cmaes"),
    "snes": _evotorch("snes"),
    "surrogate": _surrogate,
    "grammar": _prompt("grammar"),
    "llm-evolve": _prompt("llm-evolve"),
    "full-llm": _prompt("full-llm"),
}


def make_searcher(name: str, genome: Any, *, popsize: int, seed: int,
                  **options: Any) -> Searcher:
    """The searcher called ``name`` for ``genome``.

    Raises
    ------
    BadInputError
        An unknown searcher, a population under 2, or a searcher that does not fit the
        genome (evotorch needs vectors; grammar/LLM operators need prompts).
    """
    if name not in SEARCHERS:
        raise BadInputError(f"unknown searcher {name!r}; use one of {', '.join(SEARCHERS)}")
    if popsize < 2:
        raise BadInputError(f"population {popsize} is too small; use at least 2")
    if name in ("grammar", "llm-evolve", "full-llm") and genome.kind != "text":
        raise BadInputError(f"searcher {name!r} evolves prompts; use genome prompt, or "
                            "random/ga/cmaes/snes for the composer genome")
    return SEARCHERS[name](genome, popsize=popsize, seed=seed, **options)
