"""``surrogate``: a search that screens proposals in genome space before anything is rendered.

Rendering a loop (and asking a person about it) is the expensive part of a run; a
guess of a genome's fitness from the genomes already scored costs microseconds. This
searcher keeps every scored genome, fits a Gaussian-process regression (RBF kernel;
length scale and noise picked by the leave-one-out likelihood) from genome to fitness,
draws a large pool of proposals (small, medium and large steps around the best genomes
so far plus uniform points of the box) and asks for the ``popsize`` proposals with the
highest upper confidence bound (``mean + beta * std``), no two closer than half a length
scale. Only those are rendered; once three generations' worth of answers are in, the
listener model picks the half of them that are rated (``user_model.rate_top`` and
``warmup_ratings``; :meth:`~loopmill.evolve.config.EvolveConfig.rating_plan`).

With ``proposals="snes"`` the pool is drawn from a separable natural-evolution-strategy
distribution (SNES: a centre and a spread per gene, from the cube's centre and
``stdev_init``) instead: the model ranks the whole pool, the ``popsize`` best (by the
same bound, spaced the same way) are rendered, and the distribution is updated from
every member of the pool — the rendered ones with the fitness they got, the others with
the model's predicted mean — so it moves as far as the model's ranking carries it while
only a few loops are rendered (surrogate-assisted SNES). Its state (centre, spread, the
pool awaiting its fitness) is plain arrays: a pickled searcher continues exactly.

With ``dynamic`` fitness the remembered fitness of every genome is replaced each step
by the retrained listener model's score (:meth:`SurrogateSearcher.rescore`), so the
regression always follows the latest model of the listener.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from loopmill.errors import BadInputError
from loopmill.evolve.searchers import _key, best_of, remember, rescore_cache

__all__ = ["PROPOSALS", "SurrogateSearcher", "fit_gp"]

#: where the screened pool comes from
PROPOSALS = ("box", "snes")

_SCALES = (0.1, 0.2, 0.35, 0.6)  # length scales tried, times sqrt(dim)
_NOISES = (1e-3, 1e-2, 1e-1)  # noise variances tried (fitness standardised)


def _sqdist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T, 0.0)


def fit_gp(x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], tuple[np.ndarray,
                                                                          np.ndarray]]:
    """A Gaussian-process regression of ``y [N]`` on ``x [N, D]``.

    The targets are standardised; the RBF length scale and the noise are the pair of
    a small grid with the best leave-one-out log likelihood (closed form).

    Returns
    -------
    callable
        ``predict(x [M, D]) -> (mean [M], std [M])`` in the units of ``y``.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    mu, sd = float(y.mean()), float(y.std()) or 1.0
    z = (y - mu) / sd
    d2 = _sqdist(x, x)
    best: tuple[float, float, np.ndarray, np.ndarray] | None = None
    for s in _SCALES:
        ell = s * np.sqrt(x.shape[1])
        k = np.exp(-0.5 * d2 / ell**2)
        for noise in _NOISES:
            try:
                inv = np.linalg.inv(k + noise * np.eye(len(x)))
            except np.linalg.LinAlgError:
                continue
            alpha = inv @ z
            dinv = np.maximum(np.diag(inv), 1e-12)
            # leave-one-out: residual alpha_i / inv_ii, variance 1 / inv_ii
            loo = float(np.sum(-0.5 * np.log(1 / dinv) - 0.5 * alpha**2 / dinv))
            if best is None or loo > best[0]:
                best = (loo, ell, alpha, inv)
    if best is None:  # nothing inverted: a flat model
        return lambda q: (np.full(len(q), mu), np.full(len(q), sd))
    _, ell, alpha, inv = best

    def predict(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ks = np.exp(-0.5 * _sqdist(np.asarray(q, dtype=np.float64), x) / ell**2)
        var = np.maximum(1.0 - np.einsum("ij,jk,ik->i", ks, inv, ks), 1e-9)
        return mu + sd * (ks @ alpha), sd * np.sqrt(var)

    predict.length_scale = ell  # type: ignore[attr-defined]
    return predict


class SurrogateSearcher:
    """Gaussian-process screening of a large pool in genome space (see the module docstring).

    Parameters
    ----------
    genome
        A vector genome in the unit cube (composer).
    popsize, seed : int
        Genomes rendered per generation; the random seed.
    pool : int, optional
        Proposals screened per generation (default 4000 for ``box``, ``8 * popsize``
        for ``snes``).
    beta : float
        Weight of the model's uncertainty in the upper confidence bound.
    proposals : {"box", "snes"}
        Where the pool comes from (see the module docstring).
    stdev_init : float
        ``snes``: the distribution's starting spread per gene.
    """

    def __init__(self, genome: Any, *, popsize: int, seed: int, pool: int | None = None,
                 beta: float = 0.0, proposals: str = "snes", stdev_init: float = 0.25,
                 **_: Any) -> None:
        if genome.kind != "vector" or genome.name == "embedding":
            raise BadInputError("search 'surrogate' needs the composer genome (a vector in "
                                "the unit cube); use cmaes for the embedding genome")
        if proposals not in PROPOSALS:
            raise BadInputError(f"search.proposals {proposals!r} is unknown; use "
                                f"{', '.join(PROPOSALS)}")
        if pool is None:
            pool = 4000 if proposals == "box" else 8 * popsize
        if pool < popsize:
            raise BadInputError(f"surrogate pool {pool} is smaller than the population "
                                f"{popsize}")
        if not beta >= 0:
            raise BadInputError(f"search.beta {beta} must be 0 or more")
        self.genome, self.popsize, self.pool, self.beta = genome, popsize, int(pool), beta
        self.proposals = proposals
        self.rng = np.random.default_rng(seed)
        self.cache: dict[bytes, float] = {}
        self.generation = 0
        self._asked: list[np.ndarray] | None = None
        # snes proposals: the distribution, and the pool asked about (z, predicted, chosen)
        self.centre = np.full(genome.dim, 0.5)
        self.spread = np.full(genome.dim, float(stdev_init))
        self._pending: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def _pool(self, x: np.ndarray, f: np.ndarray) -> np.ndarray:
        """Uniform points, and steps of three sizes around the best genomes so far."""
        dim = self.genome.dim
        top = x[np.argsort(-f)[: max(2, self.popsize // 2)]]
        n_local = self.pool * 3 // 4
        parents = top[self.rng.integers(len(top), size=n_local)]
        steps = self.rng.choice([0.03, 0.08, 0.2], size=(n_local, 1))
        local = parents + steps * self.rng.normal(size=(n_local, dim))
        wide = self.rng.uniform(size=(self.pool - n_local, dim))
        return np.clip(np.vstack([local, wide]), 0.0, 1.0)

    def _choose(self, cand: np.ndarray, ucb: np.ndarray, gap: float, *,
                relax: bool) -> list[int]:
        """Indices of the ``popsize`` best bounds, no two closer than ``gap`` (with
        ``relax``, any unseen genome when the pool is too crowded)."""
        chosen: list[int] = []
        order = [int(i) for i in np.argsort(-ucb, kind="stable")
                 if _key(cand[i]) not in self.cache]
        for g in (gap, 0.0) if relax else (gap,):
            for i in order:
                if i not in chosen and all(np.linalg.norm(cand[i] - cand[j]) >= g
                                           for j in chosen):
                    chosen.append(i)
                    if len(chosen) == self.popsize:
                        return chosen
        return chosen

    def _model(self) -> Any:
        keys = list(self.cache)
        x = np.stack([np.frombuffer(k, dtype=np.float32).astype(np.float64) for k in keys])
        f = np.array([self.cache[k] for k in keys])
        return x, f, fit_gp(x, f)

    def _propose(self) -> list[np.ndarray]:
        if self.proposals == "snes":
            return self._propose_snes()
        if len(self.cache) < 2:
            return [np.asarray(r) for r in self.genome.initial(self.popsize, rng=self.rng)]
        x, f, predict = self._model()
        cand = self._pool(x, f)
        mean, std = predict(cand)
        gap = 0.5 * float(getattr(predict, "length_scale", 0.1))
        chosen = [cand[i] for i in self._choose(cand, mean + self.beta * std, gap, relax=False)]
        while len(chosen) < self.popsize:  # a crowded pool: fill with uniform points
            chosen.append(self.rng.uniform(size=self.genome.dim))
        return chosen

    def _propose_snes(self) -> list[np.ndarray]:
        """A pool from the SNES distribution; the model picks who is rendered."""
        first = len(self.cache) < 2
        z = self.rng.normal(size=(self.popsize if first else self.pool, self.genome.dim))
        cand = np.clip(self.centre + self.spread * z, 0.0, 1.0)
        if first:  # nothing to model yet: render the first sample as it is
            pred, chosen = np.zeros(len(z)), np.arange(len(z))
        else:
            _, _, predict = self._model()
            mean, std = predict(cand)
            gap = 0.5 * float(getattr(predict, "length_scale", 0.1))
            chosen = np.array(self._choose(cand, mean + self.beta * std, gap, relax=True),
                              dtype=int)
            pred = mean
        self._pending = (z, pred, chosen)
        return [cand[i] for i in chosen]

    def _update_snes(self, pending: tuple[np.ndarray, np.ndarray, np.ndarray],
                     fitness: np.ndarray) -> None:
        """SNES step from the whole ``pending`` pool: rendered members with their
        fitness, the rest with the model's mean (ranks only, so the scales need not agree)."""
        z, pred, chosen = pending
        f = np.array(pred, dtype=np.float64)
        f[chosen] = fitness
        n, dim = z.shape
        ranks = np.argsort(-f, kind="stable")
        u = np.maximum(0.0, np.log(n / 2 + 1) - np.log(np.arange(1, n + 1)))
        u = u / u.sum() - 1.0 / n
        zs = z[ranks]
        self.centre = np.clip(self.centre + self.spread * (u @ zs), 0.0, 1.0)
        eta = (3 + np.log(dim)) / (5 * np.sqrt(dim))
        self.spread = np.maximum(self.spread * np.exp(0.5 * eta * (u @ (zs**2 - 1))), 1e-3)

    def ask(self) -> list[np.ndarray]:
        """The genomes to render now (the same until told)."""
        if self._asked is None:
            self._asked = self._propose()
        return [np.asarray(r, dtype=np.float64) for r in self._asked]

    def tell(self, fitness: np.ndarray) -> None:
        """Fitness of the last ``ask()``; remembered for the regression."""
        remember(self.cache, self._asked, fitness)
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._update_snes(pending, np.asarray(fitness, dtype=np.float64).reshape(-1))
        self._asked = None
        self.generation += 1

    def rescore(self, score: Callable[[list[bytes]], np.ndarray]) -> None:
        """Replace the remembered fitness of every genome seen (``score(keys)``)."""
        rescore_cache(self.cache, score)

    @property
    def best(self) -> tuple[np.ndarray, float] | None:
        """The best genome seen and its fitness."""
        return best_of(self.cache)
