"""The one request every caller builds: ``generate``, ``suite``, ``auto``, ``evolve``,
the studio.

A :class:`GenerateRequest` is frozen and validated when it is made: every check a
request can fail (a range, a format, an engine, a prompt) runs in its constructor,
before any model loads or any file is written, and each error names the *field*
(``bpm 500 is out of range; use 24 to 240``). :func:`prepare` then turns it into the
engine, the spec and the params, loading the model once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopmill import settings
from loopmill.engines.base import Engine
from loopmill.engines.params import GenerationParams
from loopmill.errors import BadInputError, UnsupportedFormatError
from loopmill.prompts.spec import MusicSpec

__all__ = ["GENERATE_DURATION_RANGE", "SAMPLE_RATES", "GenerateRequest", "Prepared",
           "prepare"]

#: sample rates loopmill writes (declared in :mod:`loopmill.settings`)
SAMPLE_RATES = settings.SAMPLE_RATES
#: loop lengths ``generate`` makes, in seconds (a loop engine needs whole bars to cut)
GENERATE_DURATION_RANGE = settings.DURATION_RANGE


def _formats(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    from loopmill.audio import WRITE_FORMATS

    items = value.split(",") if isinstance(value, str) else list(value)
    out = tuple(str(f).strip().lower() for f in items if str(f).strip())
    for fmt in out or (str(value),):
        if fmt not in WRITE_FORMATS:
            raise UnsupportedFormatError(
                f"unknown format {fmt!r}; choose one of {', '.join(WRITE_FORMATS)} "
                "(or several, comma-separated)", field=("formats", "format"))
    return tuple(dict.fromkeys(out))


def _at_least(value: int | None, low: int, name: str) -> None:
    if value is not None and value < low:
        raise BadInputError(f"{name} {value} must be at least {low}", field=name)


@dataclass(frozen=True, kw_only=True)
class GenerateRequest:
    """What to make and where to put it; validated on construction.

    Attributes
    ----------
    prompt : str
        Free text, e.g. ``"calm lofi, F major, 80 BPM"``.
    engine, model : str
        A registered engine (:mod:`loopmill.engines.registry`) and, for a model
        engine, its hub id, folder or checkpoint.
    bpm, key, genre, min_duration, max_duration : optional
        Win over the prompt's words; durations within :data:`GENERATE_DURATION_RANGE`.
    seed : int or None
        Item ``i`` uses ``seed + i``; None (or a negative seed) draws one, recorded.
    params : GenerationParams
        Sampling parameters for model engines (``extra`` carries ``continue`` and
        ``melody`` file paths).
    formats : tuple of str
        Output formats (a comma-separated string is accepted).
    sample_rate : int
        One of :data:`SAMPLE_RATES`.
    target_lufs : float
        Integrated loudness of every loop (true peak at or under -1 dBTP).
    dest : str
        A folder or an fsspec URL (``s3://bucket/loops``).
    s3_endpoint_url : str or None
        An S3-compatible endpoint for an ``s3://`` dest (MinIO, moto); None reads
        ``AWS_ENDPOINT_URL``.
    file_prefix : str
        Start of every file name.
    keep_metadata, midi : bool
        Also write a JSON sidecar / the score as MIDI.
    count, batch_size, max_attempts, variations : int
        Loops to make; per batched render call (model engines); tempo retries of a
        model loop; continuations of each loop (engines that continue audio).
    continue_from, melody : str or None
        An audio file to continue (model engines) / a tune to follow (melody models).
    soundfont : str or None
        A General MIDI SoundFont the composer renders every part through; ``"none"``:
        synthesise every part (by default the composer renders its brass and lead
        guitar with a system SoundFont when there is one).
    controls : Mapping or None
        Composer controls (validated, explicit values only).
    catalog : str, bool or None
        The catalog path, None for the default, False for none.
    """

    prompt: str = ""
    engine: str = settings.ENGINE
    model: str | None = None
    bpm: float | None = None
    key: str | None = None
    genre: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    seed: int | None = None
    params: GenerationParams = field(default_factory=GenerationParams)
    formats: tuple[str, ...] = (settings.COMPOSED_FORMAT,)
    sample_rate: int = settings.SAMPLE_RATE
    target_lufs: float = settings.TARGET_LUFS
    dest: str = "loops"
    s3_endpoint_url: str | None = None
    file_prefix: str = settings.FILE_PREFIX
    keep_metadata: bool = False
    midi: bool = False
    count: int = 1
    batch_size: int | None = None
    max_attempts: int = settings.MAX_ATTEMPTS
    variations: int = 0
    continue_from: str | None = None
    melody: str | None = None
    soundfont: str | None = None
    controls: Mapping[str, Any] | str | Path | None = None
    catalog: str | bool | None = None
    #: the parsed prompt with the fields applied (made by the constructor)
    spec: MusicSpec = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from loopmill.engines.registry import entry

        put = object.__setattr__  # frozen: normalise once, here
        put(self, "formats", _formats(self.formats))
        put(self, "dest", str(self.dest))
        if isinstance(self.catalog, Path):
            put(self, "catalog", str(self.catalog))
        if self.seed is not None and self.seed < 0:
            put(self, "seed", None)  # -1: a fresh random seed, recorded in the output
        if self.sample_rate not in SAMPLE_RATES:
            raise BadInputError(
                f"sample_rate {self.sample_rate} is not supported; use "
                f"{' or '.join(str(r) for r in SAMPLE_RATES)}", field="sample_rate")
        _at_least(self.count, 1, "count")
        _at_least(self.batch_size, 1, "batch_size")
        _at_least(self.max_attempts, 1, "max_attempts")
        _at_least(self.variations, 0, "variations")
        if not isinstance(self.params, GenerationParams):
            raise BadInputError(f"params {self.params!r} is not a GenerationParams; "
                                "pass loopmill.GenerationParams(...)")
        engine = entry(self.engine)  # an unknown engine fails here
        caps = engine.capabilities
        if caps.needs_model and not self.model and engine.default_model is None:
            raise BadInputError(f"engine {self.engine} needs model CHECKPOINT: a .pt file or a "
                                "run folder from `loopmill train`", field=("engine", "model"))
        if self.variations and not caps.continuation:
            raise BadInputError(
                f"variations {self.variations}: give 1 or more, with a model engine that "
                f"continues audio, such as musicgen ({self.engine} cannot; the composer "
                "makes new loops instead)", field="variations")
        if self.controls is not None:
            if not caps.controls:
                raise BadInputError(
                    f"controls work with the composer engine, not {self.engine!r}; leave "
                    "the controls out or use the composer", field="controls")
            put(self, "controls", _controls_dict(self.controls))
        for name in ("continue_from", "melody"):
            value = getattr(self, name)
            if value is not None:
                if not Path(value).is_file():
                    raise BadInputError(f"{name} {value} is not a file; pass an audio file",
                                        field=name)
                put(self, name, str(value))
        if self.continue_from is not None and not caps.loads:
            raise BadInputError(f"continue_from works with model engines, not {self.engine!r}",
                                field="continue_from")
        if self.melody is not None and not caps.melody:
            raise BadInputError(f"melody works with engine musicgen and model "
                                f"facebook/musicgen-melody (one that follows a tune), "
                                f"not {self.engine!r}", field=("melody", "engine", "model"))
        if self.soundfont is not None and not caps.soundfont:
            raise BadInputError(f"soundfont works with the composer engine, not "
                                f"{self.engine!r}", field="soundfont")
        if self.soundfont is not None and str(self.soundfont).strip().lower() == "none":
            put(self, "soundfont", "none")  # synthesise every part, SoundFont or not
        elif self.soundfont is not None:
            from loopmill.engines.composer.soundfont import check_soundfont, find_fluidsynth

            check_soundfont(Path(self.soundfont))
            find_fluidsynth()
            put(self, "soundfont", str(self.soundfont))
        from loopmill.storage.claim import check_file_prefix

        check_file_prefix(self.file_prefix)
        put(self, "spec", self._parse())

    def _parse(self) -> MusicSpec:
        from loopmill.prompts import parse_prompt

        lo, hi = GENERATE_DURATION_RANGE
        for name in ("min_duration", "max_duration"):
            value = getattr(self, name)
            if value is not None and not lo <= value <= hi:
                raise BadInputError(f"{name} {value:g} is out of range; use {lo:g} to "
                                    f"{hi:g} seconds", field=name)
        return parse_prompt(self.prompt, bpm=self.bpm, key=self.key, genre=self.genre,
                            min_duration=self.min_duration, max_duration=self.max_duration,
                            seed=self.seed)

    def replace(self, **changes: Any) -> GenerateRequest:
        """A copy with ``changes`` (validated again)."""
        return dataclasses.replace(self, **changes)

    def item_spec(self, index: int) -> MusicSpec:
        """The spec of item ``index``: seed ``seed + index`` (none when no seed)."""
        spec = self.spec
        return spec if spec.seed is None else spec.with_overrides(
            seed=(spec.seed + index) % 2**31)

    def engine_params(self) -> GenerationParams:
        """``params`` with the controls and SoundFont the engine reads from ``extra``."""
        extra: dict[str, Any] = {}
        if self.continue_from is not None:
            extra["continue"] = self.continue_from
        if self.melody is not None:
            extra["melody"] = self.melody
        if self.controls is not None:
            extra["controls"] = dict(self.controls)  # type: ignore[arg-type]  # a dict now
        if self.soundfont is not None:
            extra["soundfont"] = self.soundfont
        if not extra:
            return self.params
        return dataclasses.replace(self.params, extra={**self.params.extra, **extra})


def _controls_dict(controls: Any) -> dict[str, Any]:
    """The composer controls as a validated, JSON-able dict of explicit values.

    ``controls`` is a :class:`ComposerControls`, a mapping, or the path of a JSON file
    (the controls themselves or a loopmill sidecar holding them).
    """
    from loopmill.engines.composer.controls import ComposerControls, load_controls

    if isinstance(controls, ComposerControls):
        return controls.to_dict(explicit=True)
    if isinstance(controls, Mapping):
        return ComposerControls.from_dict(controls).to_dict(explicit=True)
    if isinstance(controls, str | Path):
        return load_controls(controls).to_dict(explicit=True)
    raise BadInputError(f"controls {controls!r} is not a ComposerControls, a dict or a JSON "
                        "file path", field="controls")


@dataclass(frozen=True)
class Prepared:
    """A request made ready: its engine (loaded), spec and params."""

    request: GenerateRequest
    engine: Engine
    spec: MusicSpec
    params: GenerationParams


def prepare(request: GenerateRequest, *, spec: MusicSpec | None = None) -> Prepared:
    """The engine (from the registry's cache, loaded now so a missing model fails
    before any work), the spec (``spec`` overrides the request's) and the params."""
    from loopmill.engines.registry import get_engine

    eng = get_engine(request.engine, model=request.model)
    eng.load()
    spec = spec or request.spec
    eng.check_spec(spec)  # a genre the engine cannot make fails here, not silently later
    return Prepared(request=request, engine=eng, spec=spec, params=request.engine_params())
