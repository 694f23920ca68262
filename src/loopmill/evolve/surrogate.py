"""``surrogate``: a search that screens proposals in genome space before anything is rendered.

Rendering a loop (and asking a person about it) is the expensive part of a run; a
guess of a genome's fitness from the genomes already scored costs microseconds. This
searcher keeps every scored genome, fits a Gaussian-process regression (RBF kernel;
length scale and noise picked by the leave-one-out likelihood) from genome to fitness,
draws a large pool of proposals (small, medium and large steps around the best genomes
so far plus uniform points of the box) and asks for the ``popsize`` proposals with the
highest upper confidence bound (``mean + beta * std``), no two closer than half a length
scale. Only those are rendered; with ``user_model.rate_top`` the listener model then
picks the few that are rated.

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

__all__ = ["SurrogateSearcher", "fit_gp"]

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
    pool : int
        Proposals screened per generation.
    beta : float
        Weight of the model's uncertainty in the upper confidence bound.
    """

    def __init__(self, genome: Any, *, popsize: int, seed: int, pool: int = 4000,
                 beta: float = 1.0, **_: Any) -> None:
        if genome.kind != "vector" or genome.name == "embedding":
            raise BadInputError("search 'surrogate' needs the composer genome (a vector in "
                                "the unit cube); use cmaes for the embedding genome")
        if pool < popsize:
            raise BadInputError(f"surrogate pool {pool} is smaller than the population "
                                f"{popsize}")
        self.genome, self.popsize, self.pool, self.beta = genome, popsize, int(pool), beta
        self.rng = np.random.default_rng(seed)
        self.cache: dict[bytes, float] = {}
        self.generation = 0
        self._asked: list[np.ndarray] | None = None

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

    def _propose(self) -> list[np.ndarray]:
        if len(self.cache) < 2:
            return [np.asarray(r) for r in self.genome.initial(self.popsize, rng=self.rng)]
        keys = list(self.cache)
        x = np.stack([np.frombuffer(k, dtype=np.float32).astype(np.float64) for k in keys])
        f = np.array([self.cache[k] for k in keys])
        predict = fit_gp(x, f)
        cand = self._pool(x, f)
        mean, std = predict(cand)
        ucb = mean + self.beta * std
        gap = 0.5 * float(getattr(predict, "length_scale", 0.1))
        chosen: list[np.ndarray] = []
        for i in np.argsort(-ucb):
            c = cand[i]
            if all(np.linalg.norm(c - o) >= gap for o in chosen) and _key(c) not in self.cache:
                chosen.append(c)
                if len(chosen) == self.popsize:
                    break
        while len(chosen) < self.popsize:  # a crowded pool: fill with uniform points
            chosen.append(self.rng.uniform(size=self.genome.dim))
        return chosen

    def ask(self) -> list[np.ndarray]:
        """The genomes to render now (the same until told)."""
        if self._asked is None:
            self._asked = self._propose()
        return [np.asarray(r, dtype=np.float64) for r in self._asked]

    def tell(self, fitness: np.ndarray) -> None:
        """Fitness of the last ``ask()``; remembered for the regression."""
        remember(self.cache, self._asked, fitness)
        self._asked = None
        self.generation += 1

    def rescore(self, score: Callable[[list[bytes]], np.ndarray]) -> None:
        """Replace the remembered fitness of every genome seen (``score(keys)``)."""
        rescore_cache(self.cache, score)

    @property
    def best(self) -> tuple[np.ndarray, float] | None:
        """The best genome seen and its fitness."""
        return best_of(self.cache)
