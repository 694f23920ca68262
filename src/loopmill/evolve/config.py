"""One YAML file per evolution run, validated by pydantic; every default lives here.

The sections are named as in EvoMusic's config so its users recognise them:
``generator``, ``fitness``, ``search``, ``user_model``, ``evolution``, ``LLM``,
``LLM_genetic_operators``, ``evotorch``, ``GA_operators``, ``logger``. An unknown key
is an error that names it. ``examples/evolve.yaml`` shows every key.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from loopmill import settings
from loopmill.errors import BadInputError

__all__ = ["EvolveConfig", "load_config", "resolve_config"]

_STRICT = ConfigDict(extra="forbid")


def _one_of(value: str, names: Iterable[str], what: str) -> str:
    """``value`` when it is one of ``names``; else the ValueError a validator raises."""
    names = list(names)
    if value not in names:
        raise ValueError(f"unknown {what} {value!r}; use one of {', '.join(names)}")
    return value


def _registered(module: str, registry: str, what: str) -> AfterValidator:
    """The check that a value names an entry of ``module.registry`` (imported when a
    value is checked: the registries pull in the genomes' and searchers' code)."""
    def check(value: str) -> str:
        return _one_of(value, getattr(import_module(module), registry), what)

    return AfterValidator(check)


_GenomeName = Annotated[str, _registered("loopmill.evolve.genomes", "GENOMES", "genome")]
_SearcherName = Annotated[str, _registered("loopmill.evolve.searchers", "SEARCHERS", "searcher")]
_GAOperatorName = Annotated[
    str, _registered("loopmill.evolve.searchers", "GA_OPERATORS", "GA operator")]


class Generator(BaseModel):
    """What is searched and how candidates are rendered for scoring."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())
    genome: _GenomeName = "composer"
    prompt: str = "synthwave"
    engine: str = settings.ENGINE  # the prompt genome's engine
    model: str | None = None  # MusicGen hub id or folder (embedding genome, musicgen engine)
    seconds: float = Field(default=8.0, ge=1.0, le=60.0)
    sample_rate: int = Field(default=22050, ge=8000, le=48000)  # scoring renders
    output_sample_rate: Literal[44100, 48000] = settings.SAMPLE_RATE  # the best loops written
    tempo: bool = True
    mode: bool = True
    scale: float = Field(default=0.5, gt=0)  # embedding genome: starting spread
    workers: int = Field(default=1, ge=1, le=64)


class FitnessSection(BaseModel):
    model_config = _STRICT
    mode: Literal["music", "user", "dynamic"] | None = None  # None: music with targets
    target: list[str] = []
    embedder: str = "features"
    noise_weight: float = Field(default=0.2, ge=0)
    seam_weight: float = Field(default=0.0, ge=0)
    loudness_weight: float = Field(default=0.0, ge=0)  # limiting needed to reach -14 LUFS


class Search(BaseModel):
    model_config = _STRICT
    searcher: _SearcherName | None = None  # None: cmaes for vectors, grammar for prompts
    # surrogate: where the screened proposals come from (box: steps around the best genomes
    # plus uniform points; snes: a SNES distribution the model's ranking moves), how many
    # are screened each generation (None: 4000 for box, 8 x the population for snes) and
    # the weight of the model's uncertainty in the upper confidence bound. Defaults: the
    # pair that measured best on the benchmark (docs/benchmarks.md, issue 14, target (b))
    proposals: Literal["box", "snes"] = "snes"
    pool: int | None = Field(default=None, ge=2)
    beta: float = Field(default=0.0, ge=0)


class UserModel(BaseModel):
    model_config = _STRICT
    name: str = "default"
    path: str | None = None  # default: the user data folder's listeners/<name>.json
    feedback: Literal["none", "synthetic", "terminal"] = "none"
    synthetic_noise: float = Field(default=0.3, ge=0)
    # ask only about the k candidates the listener model expects most of (0: every one),
    # once ``warmup_ratings`` answers are in (until then every candidate is asked about,
    # so the model has heard enough to pick). None: the searcher's choice (see
    # EvolveConfig.rating_plan): surrogate asks about half of each generation after three
    # generations' worth, the others about every candidate
    rate_top: int | None = Field(default=None, ge=0)
    warmup_ratings: int | None = Field(default=None, ge=0)
    # "this one or the champion?" instead of stars (loopmill.evolve.pairwise): never, once
    # more than ``saturation`` of the last ``saturation_window`` stars are 5s, or always
    pairwise: Literal["never", "saturated", "always"] = "saturated"
    saturation: float = Field(default=0.5, ge=0, le=1)
    saturation_window: int = Field(default=8, ge=1)
    memory_length: int = Field(default=64, ge=1)
    init: Literal["mean", "rand", "rmean"] = "mean"
    lr: float = Field(default=0.05, gt=0)
    epochs: int = Field(default=60, ge=1)
    projection: bool = False
    temperature: float = Field(default=0.1, gt=0)
    prior: float = Field(default=0.5, ge=0)  # pull toward the loops rated best
    save: bool = True


class Evolution(BaseModel):
    model_config = _STRICT
    generations: int = Field(default=10, ge=1)
    population: int = 8
    seed: int = Field(default=0, ge=0)
    elites: int = Field(default=1, ge=0)
    tournament: int = Field(default=3, ge=1)
    novel: int = Field(default=1, ge=0)
    mutation_rate: float = Field(default=0.7, ge=0, le=1)
    crossover_rate: float = Field(default=0.5, ge=0, le=1)

    @field_validator("population")
    @classmethod
    def _population(cls, v: int) -> int:
        if v < 2:
            raise ValueError(f"population {v} is too small; use at least 2")
        return v


class LLMSection(BaseModel):
    model_config = _STRICT
    base_url: str | None = None
    model: str | None = None
    api_key_env: str = "OPENAI_API_KEY"  # the key comes from the environment, never the file
    timeout: float = Field(default=30.0, gt=0)
    retries: int = Field(default=3, ge=1)
    backoff: float = Field(default=0.5, ge=0)
    meta_prompt: str | None = None  # full-llm: with {num_generate} and {ranking}


class LLMOperator(BaseModel):
    model_config = _STRICT
    name: str
    prompt: str
    input: int = Field(default=1, ge=1)
    output: int = Field(default=1, ge=1)
    probability: float = Field(default=1.0, ge=0)


class EvotorchSection(BaseModel):
    model_config = _STRICT
    stdev_init: float = Field(default=0.25, gt=0)
    # cmaes/snes start at the cube's centre, or at the best of a uniform first generation
    start: Literal["centre", "best"] = "centre"
    elitist: bool = True


class GAOperator(BaseModel):
    """``{name: GaussianMutation, stdev: 0.1}``: an evotorch operator and its parameters."""

    model_config = ConfigDict(extra="allow")
    name: _GAOperatorName


class Logger(BaseModel):
    model_config = _STRICT
    runs: str | None = None  # default: LOOPMILL_RUNS or the user data folder's runs/
    name: str | None = None  # the run folder's name; default evolve-<date>-<time>
    dest: str = "loops"  # where each generation's best loop is written: a folder or a URL
    s3_endpoint_url: str | None = None  # for an s3:// dest (else AWS_ENDPOINT_URL)
    format: str = settings.COMPOSED_FORMAT
    catalog: str | bool | None = None  # a path, None for the default, false for none
    write_best: bool = True
    write_candidates: bool = False  # every candidate as a WAV in the run folder
    tensorboard: bool = True  # when tensorboard is installed
    wandb: bool = False
    wandb_project: str = "loopmill"


class EvolveConfig(BaseModel):
    """The whole run; see ``examples/evolve.yaml``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    generator: Generator = Generator()
    fitness: FitnessSection = FitnessSection()
    search: Search = Search()
    user_model: UserModel = UserModel()
    evolution: Evolution = Evolution()
    LLM: LLMSection = LLMSection()
    LLM_genetic_operators: list[LLMOperator] | None = None
    evotorch: EvotorchSection = EvotorchSection()
    GA_operators: list[GAOperator] | None = None
    logger: Logger = Logger()

    @property
    def searcher(self) -> str:
        """The searcher, defaulted from the genome."""
        if self.search.searcher:
            return self.search.searcher
        return "grammar" if self.generator.genome == "prompt" else "cmaes"

    def rating_plan(self) -> tuple[int, int]:
        """``(rate_top, warmup_ratings)`` with the searcher's defaults filled in.

        ``surrogate`` (fewer questions to a person is its point): half of each
        generation, after three generations' worth of answers (4 of 8 after 24 measured
        best on the search benchmark: docs/benchmarks.md, issue 14, target (b)); every
        other searcher: every candidate.
        """
        um, pop = self.user_model, self.evolution.population
        screened = self.searcher == "surrogate"
        top = um.rate_top if um.rate_top is not None else (-(-pop // 2) if screened else 0)
        warm = um.warmup_ratings if um.warmup_ratings is not None else (
            3 * pop if screened else 0)
        return top, warm

    @property
    def fitness_mode(self) -> str:
        """The fitness mode, defaulted: music with targets, else dynamic with feedback,
        else user when a listener model exists.

        Raises
        ------
        BadInputError
            Nothing to score against.
        """
        if self.fitness.mode:
            return self.fitness.mode
        if self.fitness.target:
            return "music"
        if self.user_model.feedback != "none":
            return "dynamic"
        raise BadInputError("nothing to evolve toward: give fitness.target audio files, "
                            "feedback synthetic/terminal, or fitness.mode user with a "
                            "listener model")

    def dump(self) -> dict[str, Any]:
        """The resolved config as plain data (what ``config.yaml`` in the run holds)."""
        return self.model_dump(mode="json")


def _first_error(exc: ValidationError, where: str) -> BadInputError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return BadInputError(f"{where}: unknown key {loc!r}; see examples/evolve.yaml for "
                             "the known ones")
    return BadInputError(f"{where}: {loc}: {msg}")


def load_config(path: str | Path | None) -> dict[str, Any]:
    """The raw mapping of a YAML run file (empty for None).

    Raises
    ------
    BadInputError
        Unreadable file or not YAML.
    """
    if path is None:
        return {}
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise BadInputError(f"cannot read the config {p}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise BadInputError(f"{p} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise BadInputError(f"{p} must hold sections such as generator: and search:")
    return data


def resolve_config(path: str | Path | None = None, *,
                   overrides: dict[str, Any] | None = None) -> EvolveConfig:
    """The file, then ``overrides`` (``{"evolution.population": 12}``), validated.

    Raises
    ------
    BadInputError
        A bad file, an unknown key or a bad value; the message names the key.
    """
    data = load_config(path)
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, _, key = dotted.partition(".")
        if not isinstance(data.get(section, {}), dict):
            raise BadInputError(f"{path}: {section} must be a mapping")
        data.setdefault(section, {})[key] = value
    try:
        return EvolveConfig.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, str(path) if path else "evolve settings") from None
