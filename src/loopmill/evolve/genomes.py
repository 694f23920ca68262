"""Genomes: what a search moves through, and how each individual becomes a render request.

A genome decodes an individual to a :class:`Design` — an engine, a :class:`MusicSpec`
and :class:`GenerationParams` — which the pipeline renders. Nothing here makes sound.

* ``composer`` (default): a vector in ``[0, 1]^d`` whose first 11 values are the
  composer's continuous controls (:func:`loopmill.engines.composer.controls.from_unit`),
  followed by the tempo (inside the genre's range) and the mode. Nearby vectors give
  nearby music, and the decoded controls make the loop again with ``generate --controls``.
* ``prompt``: an individual is a :class:`MusicSpec`; operators (grammar, LLM) evolve it.
* ``embedding``: MusicGen's text-conditioning hidden states (the T5 encoder output that
  generation attends to), flattened; the search moves through them directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from loopmill import settings
from loopmill.engines.params import GenerationParams
from loopmill.errors import BadInputError
from loopmill.prompts.spec import MusicSpec

_TONICS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

__all__ = ["GENOMES", "ComposerGenome", "Design", "EmbeddingGenome", "Genome",
           "PromptGenome", "make_genome"]


@dataclass(frozen=True)
class Design:
    """One render request: what the pipeline makes for an individual.

    Attributes
    ----------
    engine : str
        Engine name (``composer``, ``musicgen``).
    spec : MusicSpec
        What to make; its seed is fixed so the same individual gives the same audio.
    params : GenerationParams
        Engine options (the composer's ``controls``, MusicGen's ``conditioning``).
    model : str or None
        Model id or folder for a model engine.
    """

    engine: str
    spec: MusicSpec
    params: GenerationParams = field(default_factory=GenerationParams)
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``from_dict`` reverses it); big conditioning arrays left out."""
        params = self.params.to_dict()
        if "conditioning" in params["extra"]:
            params["extra"] = {k: v for k, v in params["extra"].items() if k != "conditioning"}
        return {"engine": self.engine, "spec": self.spec.to_dict(), "params": params,
                "model": self.model}

    def job(self) -> dict[str, Any]:
        """Picklable form for a worker process (keeps the conditioning)."""
        return {"engine": self.engine, "spec": self.spec.to_dict(),
                "params": self.params.to_dict(), "model": self.model}


class Genome(Protocol):
    """What every genome offers."""

    name: str
    #: ``vector`` (a float array) or ``text`` (a MusicSpec)
    kind: str
    #: length of a vector individual (0 for text)
    dim: int

    def initial(self, n: int, *, rng: np.random.Generator) -> list[Any]:
        """``n`` starting individuals."""
        ...

    def decode(self, individual: Any) -> Design:
        """The render request for ``individual``."""
        ...

    def describe(self, individual: Any) -> dict[str, Any]:
        """A short JSON-able description (history, catalog rows)."""
        ...


def _eval_spec(spec: MusicSpec, *, seconds: float, seed: int) -> MusicSpec:
    """``spec`` about ``seconds`` long (a power-of-two number of bars when its tempo is
    known) with a fixed seed."""
    if spec.bpm:
        bar = 4 * 60.0 / float(spec.bpm)
        bars = 2 ** max(0, round(float(np.log2(max(seconds / bar, 1.0)))))
        lo, hi = bars * bar * 0.995, bars * bar * 1.005
    else:
        lo, hi = seconds * 0.5, seconds * 1.5
    return spec.with_overrides(min_duration=max(1.0, lo), max_duration=max(1.0, hi),
                               seed=seed)


class ComposerGenome:
    """The composer's controls (and tempo and mode) as a vector in ``[0, 1]^d``.

    Parameters
    ----------
    base : MusicSpec
        The prompt's spec: genre, moods, key stay fixed (genre ``synthwave`` if none).
    seconds : float
        About how long each loop is (the composer picks whole bars).
    seed : int
        The composer's seed for every individual: one vector, one piece of music.
    tempo, mode : bool
        Also search the tempo (inside the genre's range) and major/minor.
    """

    name = "composer"
    kind = "vector"

    def __init__(self, base: MusicSpec, *, seconds: float = 8.0, seed: int = 0,
                 tempo: bool = True, mode: bool = True) -> None:
        from loopmill.engines.composer.arrange import STYLES
        from loopmill.engines.composer.controls import CONTINUOUS

        genre = base.genre if base.genre in STYLES else "synthwave"
        # the key is pinned (the prompt's, else one drawn from the seed): a run searches
        # one key, and ``generate --key`` remakes a loop exactly
        tonic = base.key or _TONICS[int(np.random.default_rng(seed).integers(12))]
        self.base = base.with_overrides(genre=genre, key=tonic)
        self.seconds, self.seed = float(seconds), int(seed)
        self.bpm_range = tuple(float(b) for b in STYLES[genre].bpm_range)
        self.names = [*CONTINUOUS, *(["tempo"] if tempo else []), *(["mode"] if mode else [])]
        self.dim = len(self.names)

    def initial(self, n: int, *, rng: np.random.Generator) -> list[np.ndarray]:
        """``n`` uniform points of the unit cube."""
        return list(rng.uniform(0.0, 1.0, size=(n, self.dim)))

    def _fields(self, x: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
        from loopmill.engines.composer.controls import from_unit

        v = np.asarray(x, dtype=np.float64).reshape(-1)
        if v.size != self.dim:
            raise BadInputError(f"a composer genome has {self.dim} values "
                                f"({', '.join(self.names)}), not {v.size}")
        if not np.all(np.isfinite(v)):
            raise BadInputError("a composer genome holds NaN or infinite values")
        v = np.clip(v, 0.0, 1.0)
        controls = from_unit(v[:11])
        spec: dict[str, Any] = {}  # the energy travels in the controls
        i = 11
        if "tempo" in self.names:
            lo, hi = self.bpm_range
            spec["bpm"] = round(lo + (hi - lo) * float(v[i]), 1)
            i += 1
        if "mode" in self.names:
            spec["mode"] = "minor" if v[i] >= 0.5 else "major"
        return controls.to_dict(explicit=True), spec

    def decode(self, individual: np.ndarray) -> Design:
        """Controls in ``params.extra["controls"]``; tempo and mode in the spec."""
        controls, fields = self._fields(individual)
        spec = _eval_spec(self.base.with_overrides(**fields), seconds=self.seconds,
                          seed=self.seed)
        return Design("composer", spec, GenerationParams(extra={"controls": controls}))

    def describe(self, individual: np.ndarray) -> dict[str, Any]:
        """The controls (rounded), tempo and mode."""
        controls, fields = self._fields(individual)
        out = {k: round(v, 4) if isinstance(v, float) else v for k, v in controls.items()}
        out.update(fields)
        return out


class PromptGenome:
    """Text prompts: an individual is a :class:`MusicSpec`; operators change it.

    Parameters
    ----------
    base : MusicSpec
        The starting prompt (the initial population are variations of it).
    engine, model : str
        What renders the prompts (the composer by default).
    seconds, seed
        As :class:`ComposerGenome`.
    """

    name = "prompt"
    kind = "text"
    dim = 0

    def __init__(self, base: MusicSpec, *, engine: str = "composer", model: str | None = None,
                 seconds: float = 8.0, seed: int = 0) -> None:
        self.base, self.engine, self.model = base, engine, model
        self.seconds, self.seed = float(seconds), int(seed)

    def initial(self, n: int, *, rng: np.random.Generator) -> list[MusicSpec]:
        """The base prompt and ``n - 1`` grammar mutations of it."""
        from loopmill.evolve.operators import mutate_spec

        out = [self.base]
        while len(out) < n:
            out.append(mutate_spec(self.base, rng=rng, strength=2))
        return out

    def decode(self, individual: MusicSpec) -> Design:
        """The spec itself, at the evaluation length and seed."""
        spec = _eval_spec(individual, seconds=self.seconds, seed=self.seed)
        return Design(self.engine, spec, GenerationParams(), model=self.model)

    def describe(self, individual: MusicSpec) -> dict[str, Any]:
        """The prompt text and its recognised fields."""
        d = individual.to_dict()
        return {k: d[k] for k in ("text", "genre", "moods", "instruments", "bpm", "key", "mode")}


class EmbeddingGenome:
    """MusicGen's text-conditioning hidden states, searched directly (EvoMusic's
    token-embedding mode).

    An individual is the flattened ``[tokens, hidden]`` encoder output of the base
    prompt plus an offset; the search starts around the prompt's own states with a
    spread of ``scale`` times their standard deviation.

    Parameters
    ----------
    base : MusicSpec
        The prompt whose encoding is the starting point.
    model : str
        MusicGen hub id or folder.
    encode : callable, optional
        ``texts -> [B, tokens, hidden]`` array; default the engine's ``encode_text``.
    """

    name = "embedding"
    kind = "vector"

    def __init__(self, base: MusicSpec, *, model: str, seconds: float = 8.0, seed: int = 0,
                 scale: float = 0.5,
                 encode: Callable[[list[str]], np.ndarray] | None = None) -> None:
        from loopmill.engines.musicgen import prompt_text

        self.base, self.model = base, model
        self.seconds, self.seed, self.scale = float(seconds), int(seed), float(scale)
        if encode is None:
            from loopmill.engines.registry import get_engine

            eng = get_engine("musicgen", model=model)
            encode = eng.encode_text  # type: ignore[attr-defined]
        states = np.asarray(encode([prompt_text(base, float(base.bpm or 120.0))]))[0]
        self.shape = tuple(int(s) for s in states.shape)
        self.origin = states.reshape(-1).astype(np.float64)
        self.spread = float(np.std(self.origin)) or 1.0
        self.dim = int(self.origin.size)

    def initial(self, n: int, *, rng: np.random.Generator) -> list[np.ndarray]:
        """The prompt's own states and ``n - 1`` Gaussian neighbours."""
        pts = [self.origin.copy()]
        for _ in range(n - 1):
            pts.append(self.origin + rng.normal(0.0, self.scale * self.spread, self.dim))
        return pts

    def decode(self, individual: np.ndarray) -> Design:
        """A MusicGen request whose ``conditioning`` replaces the text encoder's output."""
        v = np.asarray(individual, dtype=np.float64).reshape(-1)
        if v.size != self.dim or not np.all(np.isfinite(v)):
            raise BadInputError(f"an embedding genome needs {self.dim} finite values")
        spec = _eval_spec(self.base, seconds=self.seconds, seed=self.seed)
        cond = v.astype(np.float32).reshape(self.shape).tolist()
        return Design("musicgen", spec, GenerationParams(extra={"conditioning": cond}),
                      model=self.model)

    def describe(self, individual: np.ndarray) -> dict[str, Any]:
        """Distance from the prompt's own states, in units of their spread."""
        v = np.asarray(individual, dtype=np.float64).reshape(-1)
        return {"prompt": self.base.text,
                "distance": round(float(np.linalg.norm(v - self.origin)) / self.spread, 4)}


#: genome name -> factory(base spec, seconds, seed, model, options)
GENOMES: dict[str, Callable[..., Genome]] = {
    "composer": lambda base, *, seconds, seed, model=None, **kw: ComposerGenome(
        base, seconds=seconds, seed=seed, **kw),
    "prompt": lambda base, *, seconds, seed, model=None, engine="composer", **kw: PromptGenome(
        base, engine=engine, model=model, seconds=seconds, seed=seed),
    "embedding": lambda base, *, seconds, seed, model=None, **kw: EmbeddingGenome(
        base, model=model or settings.MUSICGEN_MODEL, seconds=seconds, seed=seed, **kw),
}


def make_genome(name: str, base: MusicSpec, *, seconds: float, seed: int,
                model: str | None = None, **options: Any) -> Genome:
    """The genome called ``name``.

    Raises
    ------
    BadInputError
        An unknown genome name.
    """
    if name not in GENOMES:
        raise BadInputError(f"unknown genome {name!r}; use one of {', '.join(GENOMES)}")
    return GENOMES[name](base, seconds=seconds, seed=seed, model=model, **options)


def replace_seed(design: Design, seed: int) -> Design:
    """``design`` with another spec seed."""
    return dataclasses.replace(design, spec=design.spec.with_overrides(seed=seed))
