"""Operators on prompts (grammar and LLM) and the prompt searchers built from them.

* ``grammar`` (offline, default for prompts): a GA over :class:`MusicSpec` — tournament
  selection, elites, cross-over of spec fields (genre, moods, instruments, tempo, key,
  mode), mutations (change genre / mood / instrument / tempo / key, mutate words) and
  a few novel prompts per generation.
* ``llm-evolve``: EvoMusic's LLM genetic operators — each operator (``name``, a
  ``prompt`` with ``{prompts}``, ``input`` parents, ``output`` children, ``probability``)
  is an instruction to an OpenAI-compatible model; tournament selection and elites as
  above.
* ``full-llm``: one meta-prompt with ``{num_generate}`` and ``{ranking}`` writes the
  next generation.

An LLM that is down or answers garbage is retried (the provider's retries and backoff),
then the grammar operator takes over for that child; every fallback is counted in
``searcher.fallbacks`` and its reason kept in ``searcher.fallback_reasons``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from loopmill.errors import BadInputError, ProviderError
from loopmill.prompts.llm import OpenAIProvider
from loopmill.prompts.spec import MusicSpec

__all__ = ["DEFAULT_LLM_OPERATORS", "FULL_LLM_PROMPT", "PROMPT_SEARCHERS", "PromptSearcher",
           "crossover_specs", "mutate_spec", "spec_text"]

_MOODS = ("calm", "happy", "tense", "dark", "epic", "mysterious", "playful", "dreamy",
          "energetic", "melancholic", "peaceful", "triumphant")
_INSTRUMENTS = ("synth bass", "pad", "arpeggio", "lead", "pluck", "piano", "strings",
                "drums", "guitar", "bells", "choir", "brass")
_WORDS = ("gentle", "soaring", "haunting", "bouncy", "simple", "wistful", "bold", "floating",
          "catchy", "driving", "sparse", "warm", "glassy", "dusty", "lush", "punchy")
_TONICS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

DEFAULT_LLM_OPERATORS: list[dict[str, Any]] = [
    {"name": "crossover", "input": 2, "output": 1, "probability": 0.5,
     "prompt": "Combine the ideas of these music prompts into {num} new prompt(s): {prompts}"},
    {"name": "mutation", "input": 1, "output": 1, "probability": 0.5,
     "prompt": "Rewrite this music prompt, changing one of its mood, instruments, tempo or "
               "key, into {num} new prompt(s): {prompts}"},
]
FULL_LLM_PROMPT = (
    "These music prompts were rated by a listener, best first:\n{ranking}\n"
    "Write {num_generate} new prompts the listener will like even more: keep what the best "
    "share, try one new idea in each."
)


def spec_text(spec: MusicSpec, *, words: tuple[str, ...] = ()) -> str:
    """A prompt text that says every field of ``spec`` (what grammar children carry)."""
    parts = [" ".join([*spec.moods, *(words or ()), spec.genre or ""]).strip()]
    if spec.instruments:
        parts.append("with " + " and ".join(spec.instruments))
    if spec.bpm:
        parts.append(f"{spec.bpm:g} BPM")
    if spec.key_name:
        parts.append(spec.key_name)
    return ", ".join(p for p in parts if p)[:160]


def _extra_words(spec: MusicSpec) -> tuple[str, ...]:
    return tuple(w for w in spec.text.lower().replace(",", " ").split() if w in _WORDS)


def _rebuild(spec: MusicSpec, **changes: Any) -> MusicSpec:
    new = spec.with_overrides(**changes)
    return new.with_overrides(text=spec_text(new, words=_extra_words(spec)))


def mutate_spec(spec: MusicSpec, *, rng: np.random.Generator, strength: int = 1) -> MusicSpec:
    """``strength`` random changes: genre, a mood, an instrument, the tempo, the key, or a word."""
    from loopmill.engines.composer.arrange import STYLES

    out = spec
    for _ in range(max(1, strength)):
        what = rng.integers(6)
        if what == 0:
            out = _rebuild(out, genre=str(rng.choice(sorted(STYLES))))
        elif what == 1:
            moods = [m for m in out.moods if rng.random() > 0.5]
            out = _rebuild(out, moods=tuple(dict.fromkeys([*moods, str(rng.choice(_MOODS))]))[:2])
        elif what == 2:
            inst = [i for i in out.instruments if rng.random() > 0.5]
            out = _rebuild(out, instruments=tuple(
                dict.fromkeys([*inst, str(rng.choice(_INSTRUMENTS))]))[:3])
        elif what == 3:
            bpm = float(out.bpm or 100.0) * float(np.exp(rng.normal(0, 0.12)))
            out = _rebuild(out, bpm=round(float(np.clip(bpm, 50, 170))))
        elif what == 4:
            out = _rebuild(out, key=str(rng.choice(_TONICS)),
                           mode=str(rng.choice(["major", "minor"])))
        else:
            words = [w for w in _extra_words(out) if rng.random() > 0.5]
            words.append(str(rng.choice(_WORDS)))
            new = out.with_overrides()
            out = new.with_overrides(text=spec_text(new, words=tuple(dict.fromkeys(words))[:2]))
    return out


def crossover_specs(a: MusicSpec, b: MusicSpec, *, rng: np.random.Generator) -> MusicSpec:
    """A child taking each field (genre, moods, instruments, tempo, key+mode) from a or b."""
    pick = {f: (a if rng.random() < 0.5 else b) for f in ("genre", "moods", "instruments",
                                                           "bpm", "key")}
    src = pick["key"]
    child = a.with_overrides(genre=pick["genre"].genre, moods=pick["moods"].moods,
                             instruments=pick["instruments"].instruments, bpm=pick["bpm"].bpm,
                             key=src.key, mode=src.mode)
    words = tuple(dict.fromkeys(_extra_words(a) + _extra_words(b)))[:2]
    return child.with_overrides(text=spec_text(child, words=words))


class _LLMClient(OpenAIProvider):
    """The OpenAI-compatible provider, asked an operator's instruction instead of its own."""

    message = ""

    def _request(self, k: int) -> str:
        return self._chat([
            {"role": "system", "content": "You write prompts for a music loop generator. "
             'Answer with JSON only: {"prompts": [{"text": str, "genre": str, "bpm": int, '
             '"key": "D minor", "moods": [str], "instruments": [str]}]}.'},
            {"role": "user", "content": self.message}])

    def ask_specs(self, message: str, k: int) -> list[MusicSpec]:
        """Up to ``k`` specs for ``message`` (the provider's retries, then ProviderError)."""
        self.message = message
        return self.batch(k)


class PromptSearcher:
    """A generational search over prompts; ``strategy`` picks how children are made.

    Parameters
    ----------
    genome : PromptGenome
    popsize, seed : int
    strategy : str
        ``grammar``, ``llm-evolve`` or ``full-llm``.
    elites, tournament, novel : int
        Best kept as they are; tournament size; fresh grammar prompts per generation.
    mutation_rate, crossover_rate : float
        ``grammar``: chance of a cross-over per child and of an extra mutation.
    llm : dict, optional
        ``base_url``, ``model``, ``api_key``, ``timeout``, ``retries``, ``backoff``.
    operators : list of dict, optional
        ``llm-evolve``'s operators (``LLM_genetic_operators``).
    meta_prompt : str, optional
        ``full-llm``'s prompt with ``{num_generate}`` and ``{ranking}``.
    """

    def __init__(self, genome: Any, *, popsize: int, seed: int, strategy: str = "grammar",
                 elites: int = 1, tournament: int = 3, novel: int = 1,
                 mutation_rate: float = 0.7, crossover_rate: float = 0.5,
                 llm: dict[str, Any] | None = None,
                 operators: list[dict[str, Any]] | None = None,
                 meta_prompt: str | None = None, **_: Any) -> None:
        self.genome, self.popsize, self.strategy = genome, popsize, strategy
        self.rng = np.random.default_rng(seed)
        self.elites = max(0, min(elites, popsize - 1))
        self.tournament, self.novel = max(1, tournament), max(0, novel)
        self.mutation_rate, self.crossover_rate = mutation_rate, crossover_rate
        self.operators = [dict(o) for o in (operators or DEFAULT_LLM_OPERATORS)]
        self.meta_prompt = meta_prompt or FULL_LLM_PROMPT
        self._check_templates()
        self.fallbacks, self.llm_calls = 0, 0
        self.fallback_reasons: list[str] = []
        self.client: _LLMClient | None = None
        if strategy != "grammar":
            if not llm or not llm.get("base_url") or not llm.get("model"):
                raise BadInputError(f"search {strategy!r} needs LLM.base_url and LLM.model (an "
                                    "OpenAI-compatible server); or use search grammar")
            self.client = _LLMClient(
                base_url=llm["base_url"], model=llm["model"], api_key=llm.get("api_key"),
                timeout=float(llm.get("timeout", 30.0)), retries=int(llm.get("retries", 3)),
                backoff=float(llm.get("backoff", 0.5)),
                min_duration=genome.base.min_duration, max_duration=genome.base.max_duration)
        self.population: list[MusicSpec] = genome.initial(popsize, rng=self.rng)
        self.generation = 0

    def _check_templates(self) -> None:
        total = 0.0
        for op in self.operators:
            name = op.get("name", "?")
            if "{prompts}" not in str(op.get("prompt", "")):
                raise BadInputError(f"LLM operator {name!r}: its prompt needs {{prompts}}")
            for k in ("input", "output"):
                if int(op.get(k, 1)) < 1:
                    raise BadInputError(f"LLM operator {name!r}: {k} must be at least 1")
            total += float(op.get("probability", 1.0))
        if self.strategy == "llm-evolve" and total <= 0:
            raise BadInputError("LLM_genetic_operators: the probabilities sum to 0")
        for field in ("{num_generate}", "{ranking}"):
            if field not in self.meta_prompt:
                raise BadInputError(f"the full-llm prompt needs {field}")

    def ask(self) -> list[MusicSpec]:
        """The current population."""
        return list(self.population)

    # --- selection and children ----------------------------------------------------
    def _select(self, ranked: list[MusicSpec], k: int) -> list[MusicSpec]:
        """``k`` parents by tournament (``ranked`` is best first)."""
        out = []
        for _ in range(k):
            idx = self.rng.integers(0, len(ranked), size=min(self.tournament, len(ranked)))
            out.append(ranked[int(idx.min())])
        return out

    def _grammar_child(self, ranked: list[MusicSpec]) -> MusicSpec:
        a, b = self._select(ranked, 2)
        child = crossover_specs(a, b, rng=self.rng) if self.rng.random() < \
            self.crossover_rate else a
        if child is a or self.rng.random() < self.mutation_rate:
            child = mutate_spec(child, rng=self.rng)
        return child

    def _fallback(self, exc: Exception) -> None:
        self.fallbacks += 1
        self.fallback_reasons.append(str(exc))

    def _llm_children(self, ranked: list[MusicSpec], n: int) -> list[MusicSpec]:
        assert self.client is not None  # built for LLM strategies
        out: list[MusicSpec] = []
        probs = np.array([float(o.get("probability", 1.0)) for o in self.operators])
        while len(out) < n:
            op = self.operators[int(self.rng.choice(len(self.operators), p=probs / probs.sum()))]
            parents = self._select(ranked, int(op.get("input", 1)))
            want = min(int(op.get("output", 1)), n - len(out))
            lines = "\n".join(f"- {p.text}" for p in parents)
            self.llm_calls += 1
            try:
                got = self.client.ask_specs(op["prompt"].format(prompts=lines, num=want), want)
            except (ProviderError, KeyError, IndexError, ValueError) as exc:
                self._fallback(exc)
                got = [self._grammar_child(ranked) for _ in range(want)]
            out.extend(got[:want])
        return out

    def _full_llm(self, ranked: list[MusicSpec], scores: list[float], n: int) -> list[MusicSpec]:
        assert self.client is not None
        ranking = "\n".join(f"{s:.3f}: {p.text}" for p, s in zip(ranked, scores, strict=True))
        self.llm_calls += 1
        try:
            got = self.client.ask_specs(self.meta_prompt.format(num_generate=n, ranking=ranking),
                                        n)
        except (ProviderError, KeyError, IndexError, ValueError) as exc:
            self._fallback(exc)
            got = []
        while len(got) < n:
            got.append(self._grammar_child(ranked))
        return got[:n]

    def tell(self, fitness: np.ndarray) -> None:
        """Rank the population and make the next one."""
        fit = np.asarray(fitness, dtype=np.float64).reshape(-1)
        if fit.size != len(self.population):
            raise BadInputError(f"{fit.size} fitness values for {len(self.population)} prompts")
        order = np.argsort(-fit, kind="stable")
        ranked = [self.population[i] for i in order]
        n_new = self.popsize - self.elites
        novel = min(self.novel, n_new)
        n_children = n_new - novel
        if self.strategy == "full-llm":
            children = self._full_llm(ranked, [float(fit[i]) for i in order], n_children)
        elif self.strategy == "llm-evolve":
            children = self._llm_children(ranked, n_children)
        else:
            children = [self._grammar_child(ranked) for _ in range(n_children)]
        fresh = [mutate_spec(self.genome.base, rng=self.rng, strength=3) for _ in range(novel)]
        # the listener set durations and the genome sets the seed: keep them whatever
        # the LLM wrote
        base = self.genome.base
        self.population = [c.with_overrides(min_duration=base.min_duration,
                                            max_duration=base.max_duration)
                           for c in ranked[: self.elites] + children + fresh]
        self.generation += 1


def _strategy(name: str) -> Callable[..., PromptSearcher]:
    return lambda genome, **kw: PromptSearcher(genome, strategy=name, **kw)


#: prompt searcher name -> factory(genome, popsize=, seed=, **options)
PROMPT_SEARCHERS: dict[str, Callable[..., PromptSearcher]] = {
    name: _strategy(name) for name in ("grammar", "llm-evolve", "full-llm")}
