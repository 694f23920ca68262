"""A model of one listener's taste, learned from ratings; and synthetic listeners.

:class:`ListenerModel` is EvoMusic's user approximation: a user vector ``u`` in
embedding space, an optional learned projection ``P`` (identity at start) and a
learnable temperature ``tau``. A loop with embedding ``e`` scores
``cos(P e, u)`` (-1..1). It trains on the last ``memory_length`` ratings — stars
(1..5), likes (+1/-1) or pairwise choices — with a pairwise (Bradley-Terry) loss:
for every two rated loops where the listener preferred ``i`` to ``j``,
``softplus(-(s_i - s_j) / tau)``, plus a prior that a taste sounds like the loops rated
best (``prior * (1 - cos(u, rating-weighted mean))``, the winners of pairwise choices
weighing as top ratings: rankings alone leave much of ``u`` free, and without it the
learned taste drifts from the hidden one while still ranking well). Plain numpy with
Adam, its steps for ``u`` kept in the span of the rated loops: no torch needed.

:class:`SyntheticListener` stands in for a person in tests and benchmarks: a hidden
taste vector, ratings from the cosine to it, plus rating noise.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from loopmill.errors import BadInputError
from loopmill.evolve.embed import cosine

__all__ = ["INITS", "ListenerConfig", "ListenerModel", "SyntheticListener",
           "default_listener_path"]

#: how the user vector starts: ``mean`` of the rated loops weighted by their ratings
#: (the best weigh most; zeros before any), ``rand`` a random vector, ``rmean`` the mean
#: plus noise
INITS = ("mean", "rand", "rmean")


@dataclass(frozen=True)
class ListenerConfig:
    """Settings of a listener model (EvoMusic's ``user_model`` section)."""

    memory_length: int = 64
    init: str = "mean"
    lr: float = 0.05
    epochs: int = 60
    projection: bool = False
    temperature: float = 0.1
    #: weight of the prior that a taste sounds like the loops rated best: the loss adds
    #: ``prior * (1 - cos(u, rating-weighted mean))`` (rankings alone leave much of u free)
    prior: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.init not in INITS:
            raise BadInputError(f"user_model.init {self.init!r} is unknown; use "
                                f"{', '.join(INITS)}")
        for name in ("memory_length", "epochs"):
            if getattr(self, name) < 1:
                raise BadInputError(f"user_model.{name} must be at least 1")
        if not (self.lr > 0 and self.temperature > 0):
            raise BadInputError("user_model.lr and user_model.temperature must be positive")


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class ListenerModel:
    """A listener's taste in embedding space (see the module docstring).

    Parameters
    ----------
    dim : int
        Embedding length.
    config : ListenerConfig
    name : str
        The listener ("default").
    """

    def __init__(self, dim: int, config: ListenerConfig | None = None, *,
                 name: str = "default") -> None:
        self.config, self.name, self.dim = config or ListenerConfig(), name, int(dim)
        self._rng = np.random.default_rng(self.config.seed)
        self.u = np.zeros(self.dim)
        if self.config.init == "rand":
            self.u = self._rng.normal(size=self.dim) / np.sqrt(self.dim)
        self.P = np.eye(self.dim)
        self.log_tau = float(np.log(self.config.temperature))
        self._initialised = self.config.init == "rand"
        #: (embedding, score, kind) for stars/likes; (winner, loser) for pairs
        self.items: list[tuple[np.ndarray, float]] = []
        self.pairs: list[tuple[np.ndarray, np.ndarray]] = []

    @property
    def tau(self) -> float:
        """The learned temperature."""
        return float(np.exp(self.log_tau))

    # --- data ------------------------------------------------------------------
    def observe(self, embeddings: np.ndarray, scores: Sequence[float], *,
                kind: str = "stars") -> None:
        """Remember rated loops: ``stars`` 1..5 or ``like`` +1/-1.

        Raises
        ------
        BadInputError
            An unknown kind, a score out of range, or a length mismatch.
        """
        lo, hi = {"stars": (1.0, 5.0), "like": (-1.0, 1.0)}.get(kind, (None, None))
        if lo is None or hi is None:
            raise BadInputError(f"rating kind {kind!r} is unknown here; use stars, like, or "
                                "observe_pair for pairwise choices")
        emb = np.atleast_2d(np.asarray(embeddings, dtype=np.float64))
        if emb.shape[0] != len(scores) or emb.shape[1] != self.dim:
            raise BadInputError(f"{emb.shape[0]} embeddings of {emb.shape[1]} values for "
                                f"{len(scores)} scores; the model expects {self.dim} values")
        for e, s in zip(emb, scores, strict=True):
            if not lo <= float(s) <= hi:
                raise BadInputError(f"a {kind} score {s!r} is out of range; use {lo:g} to {hi:g}")
            # likes become stars: a like beats a dislike, as 5 beats 1
            self.items.append((e, float(s) if kind == "stars" else 3.0 + 2.0 * float(s)))
        self.items = self.items[-self.config.memory_length:]

    def observe_pair(self, winner: np.ndarray, loser: np.ndarray) -> None:
        """Remember that the listener preferred ``winner`` to ``loser``."""
        self.pairs.append((np.asarray(winner, dtype=np.float64),
                           np.asarray(loser, dtype=np.float64)))
        self.pairs = self.pairs[-self.config.memory_length:]

    def _init_from_data(self) -> None:
        emb = np.stack([e for e, _ in self.items]) if self.items else None
        if emb is None:
            return
        s = np.array([r for _, r in self.items])
        # the mean of the rated loops, the better ones weighing more: a taste is the sound
        # of a loop, so it keeps the part that all loops share (centred weights would drop it)
        w = s - s.min() + 1e-3 if np.ptp(s) > 0 else np.ones_like(s)
        u = (w[:, None] * emb).sum(axis=0) / w.sum()
        if self.config.init == "rmean":
            u = u + self._rng.normal(size=self.dim) * 0.5 * np.linalg.norm(u) / np.sqrt(self.dim)
        self.u = u if np.linalg.norm(u) > 0 else self._rng.normal(size=self.dim)
        self._initialised = True

    def _prior(self) -> np.ndarray | None:
        """The rating-weighted mean of the remembered loops (the best weigh most); the
        winner of each pairwise choice weighs as a loop of the top rating (once stars
        saturate, the choices are what tells where the best loops are)."""
        if not self.items and not self.pairs:
            return None
        rows = [e for e, _ in self.items]
        s = np.array([r for _, r in self.items])
        w = s - s.min() + 1e-3 if np.ptp(s) > 0 else np.ones_like(s)
        if self.pairs:
            rows.extend(a for a, _ in self.pairs)
            w = np.concatenate([w, np.full(len(self.pairs), float(w.max()) if w.size else 1.0)])
        emb = np.stack(rows)
        return np.asarray((w[:, None] * emb).sum(axis=0) / w.sum())

    def _training_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The rated embeddings ``[M, D]`` and every (better, worse) index pair with its
        weight: each pair refers to rows, so a step scores each loop once."""
        rows = [e for e, _ in self.items]
        win, lose, weight = [], [], []
        for i, (_, si) in enumerate(self.items):
            for j in range(i + 1, len(self.items)):
                sj = self.items[j][1]
                if si != sj:
                    win.append(i if si > sj else j)
                    lose.append(j if si > sj else i)
                    weight.append(min(abs(si - sj), 2.0))
        for a, b in self.pairs:
            rows.extend([a, b])
            win.append(len(rows) - 2)
            lose.append(len(rows) - 1)
            weight.append(1.0)
        emb = np.stack(rows) if rows else np.zeros((0, self.dim))
        return emb, np.asarray(win, dtype=np.int64), np.asarray(lose, dtype=np.int64), \
            np.asarray(weight, dtype=np.float64)

    # --- model -----------------------------------------------------------------
    def _scores(self, emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = emb @ self.P.T if self.config.projection else emb
        return cosine(z, self.u) if np.linalg.norm(self.u) > 0 else np.zeros(len(z)), z

    def _grad_cos(self, z: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """d cos / d u ``[N, D]`` and d cos / d z ``[N, D]``."""
        nz = np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
        nu = max(float(np.linalg.norm(self.u)), 1e-12)
        du = z / (nz * nu) - c[:, None] * self.u[None, :] / nu**2
        dz = self.u[None, :] / (nz * nu) - c[:, None] * z / nz**2
        return du, dz

    def train(self) -> float:
        """Fit ``u`` (and ``P``, ``tau``) to the remembered ratings; returns the final loss
        (NaN when there is nothing to learn from yet)."""
        if not self._initialised:
            self._init_from_data()
        emb, win, lose, weight = self._training_pairs()
        if len(win) == 0:
            return float("nan")
        params = [self.u, self.P, np.array([self.log_tau])]
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        b1, b2, lr = 0.9, 0.999, self.config.lr
        loss = float("nan")
        wsum = float(weight.sum())
        # Adam scales each coordinate on its own, which would push u out of the space the
        # rated loops span (where nothing constrains it, and cos(u, taste) suffers); its
        # steps are projected back onto that span (and u's own direction)
        prior = self._prior()
        basis, _ = np.linalg.qr(np.vstack([emb @ self.P.T if self.config.projection else emb,
                                           self.u[None, :]]).T)
        for t in range(1, self.config.epochs + 1):
            c, z = self._scores(emb)
            tau = float(np.exp(params[2][0]))
            d = c[win] - c[lose]
            loss = float((weight * _softplus(-d / tau)).sum() / wsum)
            g = weight * -_sigmoid(-d / tau) / tau / wsum  # dL/dd
            gc = np.zeros(len(emb))  # dL/dc per rated loop
            np.add.at(gc, win, g)
            np.add.at(gc, lose, -g)
            du, dz = self._grad_cos(z, c)
            grad_u = gc @ du
            if prior is not None and self.config.prior > 0:
                nu, npr = max(float(np.linalg.norm(self.u)), 1e-12), float(np.linalg.norm(prior))
                cp = float(self.u @ prior) / (nu * npr + 1e-12)
                grad_u = grad_u - self.config.prior * (prior / (nu * npr + 1e-12)
                                                       - cp * self.u / nu**2)
                loss += self.config.prior * (1 - cp)
            grads = [grad_u, np.zeros_like(self.P),
                     np.array([float((weight * _sigmoid(-d / tau) * d / tau).sum() / wsum)])]
            if self.config.projection:
                grads[1] = (gc[:, None] * dz).T @ emb + 1e-3 * (self.P - np.eye(self.dim))
            for k, (p, gr) in enumerate(zip(params, grads, strict=True)):
                m[k] = b1 * m[k] + (1 - b1) * gr
                v[k] = b2 * v[k] + (1 - b2) * gr * gr
                step = lr * (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + 1e-8)
                p -= basis @ (basis.T @ step) if k == 0 else step
            params[2][0] = float(np.clip(params[2][0], np.log(1e-3), np.log(10.0)))
        self.log_tau = float(params[2][0])
        return loss

    def predict(self, embeddings: np.ndarray) -> np.ndarray:
        """The model's score (-1..1) for each embedding ``[N, D]`` -> ``[N]``."""
        emb = np.atleast_2d(np.asarray(embeddings, dtype=np.float64))
        if emb.shape[1] != self.dim:
            raise BadInputError(f"embeddings have {emb.shape[1]} values; this listener model "
                                f"was made for {self.dim} (another embedder?)")
        return self._scores(emb)[0]

    def taste(self) -> np.ndarray:
        """The user vector mapped back to embedding space (``P^T u``)."""
        return np.asarray(self.P.T @ self.u)

    # --- files -----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """JSON-able state (``from_state`` reverses it)."""
        return {"format": "loopmill-listener/1", "name": self.name, "dim": self.dim,
                "config": asdict(self.config), "u": self.u.tolist(),
                "P": None if not self.config.projection else self.P.tolist(),
                "log_tau": self.log_tau, "initialised": self._initialised}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ListenerModel:
        """A model from :meth:`state`."""
        model = cls(int(state["dim"]), ListenerConfig(**state["config"]), name=state["name"])
        model.u = np.asarray(state["u"], dtype=np.float64)
        if state.get("P") is not None:
            model.P = np.asarray(state["P"], dtype=np.float64)
        model.log_tau, model._initialised = float(state["log_tau"]), bool(state["initialised"])
        return model

    def save(self, path: str | Path) -> Path:
        """Write the model as JSON (atomically)."""
        from loopmill._atomic import write_json_atomic

        return write_json_atomic(path, self.state())

    @classmethod
    def load(cls, path: str | Path) -> ListenerModel:
        """Read a model saved with :meth:`save`.

        Raises
        ------
        BadInputError
            Missing, unreadable, or not a listener model.
        """
        p = Path(path)
        try:
            state = json.loads(p.read_text(encoding="utf-8"))
            if state.get("format") != "loopmill-listener/1":
                raise KeyError("format")
            return cls.from_state(state)
        except FileNotFoundError:
            raise BadInputError(f"listener model {p} not found; train one with a dynamic "
                                "run or the studio first") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BadInputError(f"{p} is not a loopmill listener model ({exc})") from None

    def observe_catalog(self, catalog: Any, embed: Callable[[dict[str, Any]], np.ndarray],
                        *, listener: str | None = None) -> int:
        """Learn from a catalog's ratings of ``listener`` (default this model's name);
        ``embed(row)`` gives a loop's embedding. Returns how many ratings were used."""
        rows = catalog.ratings(listener=listener or self.name)
        cache: dict[int, np.ndarray] = {}

        def emb(loop_id: int) -> np.ndarray:
            if loop_id not in cache:
                cache[loop_id] = embed(catalog.get(loop_id))
            return cache[loop_id]

        for r in rows:
            if r["kind"] == "pair":
                self.observe_pair(emb(r["loop_id"]), emb(r["other_id"]))
            else:
                self.observe(emb(r["loop_id"])[None, :], [r["score"]], kind=r["kind"])
        return len(rows)


def default_listener_path(name: str = "default") -> Path:
    """``<user data>/loopmill/listeners/<name>.json``: where a listener's model lives."""
    from loopmill import settings

    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "default"
    return settings.user_data_dir() / "listeners" / f"{safe}.json"


class SyntheticListener:
    """A stand-in person: a hidden taste vector and noisy ratings.

    Parameters
    ----------
    taste : ndarray ``[D]``
        The hidden taste (e.g. the embedding of a hidden target loop).
    noise : float
        Standard deviation of the rating noise, in stars.
    seed : int
    center, spread : float
        The cosine that gets 3 stars, and how far from it a star is worth: set them
        with :meth:`calibrate` so ratings use the whole 1..5 range.
    """

    def __init__(self, taste: np.ndarray, *, noise: float = 0.3, seed: int = 0,
                 center: float = 0.0, spread: float = 0.25) -> None:
        self.taste = np.asarray(taste, dtype=np.float64)
        self.noise, self.center, self.spread = float(noise), float(center), float(spread)
        self._rng = np.random.default_rng(seed)

    def calibrate(self, embeddings: np.ndarray) -> SyntheticListener:
        """Put 3 stars at the median cosine of ``embeddings`` and 1/5 stars near the ends."""
        c = self.true_score(embeddings)
        self.center = float(np.median(c))
        self.spread = max(float(np.percentile(c, 95) - np.percentile(c, 5)) / 4, 1e-3)
        return self

    def true_score(self, embeddings: np.ndarray) -> np.ndarray:
        """The noiseless taste: cosine to the hidden taste, ``[N]``."""
        return cosine(embeddings, self.taste)

    def rate(self, embeddings: np.ndarray, *,
             rng: np.random.Generator | None = None) -> np.ndarray:
        """Noisy whole-star ratings 1..5, ``[N]`` (noise from ``rng`` or the listener's)."""
        c = self.true_score(embeddings)
        noise = (rng or self._rng).normal(0, self.noise, c.shape)
        stars = 3.0 + (c - self.center) / self.spread + noise
        return np.clip(np.rint(stars), 1.0, 5.0)

    def prefer(self, a: np.ndarray, b: np.ndarray, *,
               rng: np.random.Generator | None = None) -> bool:
        """Whether the listener prefers ``a`` to ``b`` (one loop each, ``[D]`` or ``[1, D]``):
        the cosine difference in stars plus the rating noise (from ``rng`` or the
        listener's own seeded generator). Never saturates, unlike stars."""
        a2, b2 = np.atleast_2d(a), np.atleast_2d(b)
        d = float(self.true_score(a2)[0] - self.true_score(b2)[0]) / self.spread
        return bool(d + (rng or self._rng).normal(0, self.noise) > 0)
