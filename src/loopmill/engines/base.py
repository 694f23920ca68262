"""The ``Engine`` protocol: a MusicSpec and GenerationParams in, audio out.

Every optional ability of an engine is declared, not probed: :class:`Capabilities`
says what it can do, and :class:`EngineBase` gives every method of the protocol a
default (no model to load, one call per batch item, no continuation), so the pipeline
calls them all without ``getattr``. An engine is one module plus one line in
:mod:`loopmill.engines.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from loopmill.engines.params import GenerationParams
from loopmill.errors import BadInputError
from loopmill.prompts.spec import MusicSpec


@dataclass(frozen=True)
class EngineOutput:
    """What an engine made.

    Attributes
    ----------
    audio : np.ndarray
        ``[C, T]`` float32.
    sr : int
        Sample rate.
    seamless : bool
        ``audio`` is exactly one loop period already (the composer); otherwise the
        loop engine must find and cut a loop in it (MusicGen, SampleRNN, LSTM).
    bpm : float
        Tempo the audio was made at (or asked for).
    bars : int or None
        Bars in ``audio`` when ``seamless``.
    beats_per_bar : int
        Meter.
    key : str or None
        e.g. ``"D minor"``.
    seed : int
        The seed actually used.
    info : dict
        Engine-specific facts for the metadata (genre, progression, parts …).
    midi_parts : tuple
        The score as ``loopmill.engines.composer.midi.Part`` objects, for engines that
        compose symbolically (the pipeline writes them with ``--midi``); else empty.
    """

    audio: np.ndarray
    sr: int
    seamless: bool
    bpm: float
    bars: int | None
    beats_per_bar: int
    key: str | None
    seed: int
    info: dict[str, Any] = field(default_factory=dict)
    midi_parts: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do beyond :meth:`Engine.generate`.

    Attributes
    ----------
    loads : bool
        Has weights or a checkpoint to check and load (:meth:`Engine.check`,
        :meth:`Engine.load` do real work).
    batch : bool
        :meth:`Engine.generate_many` renders several specs in one call (faster than
        one by one).
    seamless : bool
        Its output is exactly one loop period already (no loop search needed).
    needs_model : bool
        ``model`` (a hub id, folder or checkpoint) must be given or has a default.
    melody : bool
        Can follow a melody (``params.extra["melody"]``; the model decides).
    continuation : bool
        :meth:`Engine.generate_audio` continues given audio (variations, ``continue``).
    controls : bool
        Takes composer controls (``params.extra["controls"]``).
    soundfont : bool
        Can render its score through a General MIDI SoundFont.
    """

    loads: bool = False
    batch: bool = False
    seamless: bool = False
    needs_model: bool = False
    melody: bool = False
    continuation: bool = False
    controls: bool = False
    soundfont: bool = False

    def names(self) -> list[str]:
        """The capabilities that are on, by name."""
        return [k for k, v in self.__dict__.items() if v]


@runtime_checkable
class Engine(Protocol):
    """A music generator. Stateless between calls: everything comes in the arguments
    (a model engine keeps only its loaded weights)."""

    name: str
    capabilities: ClassVar[Capabilities]

    def check(self) -> None:
        """Cheap availability check, without loading weights (a coordinator's check)."""
        ...

    def load(self) -> None:
        """Load weights now, so a missing model fails before any work."""
        ...

    def check_spec(self, spec: MusicSpec) -> None:
        """Refuse a spec this engine cannot make (e.g. an unknown genre)."""
        ...

    def generate(self, spec: MusicSpec, params: GenerationParams, *, sr: int) -> EngineOutput:
        """Make audio for ``spec``."""
        ...

    def generate_many(self, specs: list[MusicSpec], params: GenerationParams, *,
                      sr: int) -> list[EngineOutput]:
        """One output per spec (in one batched call when ``capabilities.batch``)."""
        ...

    def generate_audio(self, spec: MusicSpec, params: GenerationParams, *, seconds: float,
                       sr: int, seed: int, prompt_audio: np.ndarray | None = None) -> np.ndarray:
        """``[C, T]`` raw audio of ``seconds`` at ``sr``, continuing ``prompt_audio``
        (``[C, T]`` at ``sr``) when given; only with ``capabilities.continuation``."""
        ...


class EngineBase:
    """Defaults for every optional method of :class:`Engine`: subclass and override.

    Subclasses set ``name`` and ``capabilities`` and implement :meth:`generate`.
    """

    name: str = ""
    capabilities: ClassVar[Capabilities] = Capabilities()

    @classmethod
    def from_model(cls, model: str | None, **options: Any) -> EngineBase:
        """The engine for ``model`` (the registry's factory); engines without a model
        refuse one."""
        if model:
            raise BadInputError(f"the {cls.name} engine takes no model; leave model out "
                                "or choose an engine that loads one", field="model")
        return cls(**options)

    def check(self) -> None:
        """Nothing to check: no weights."""

    def load(self) -> None:
        """Nothing to load: no weights."""

    def check_spec(self, spec: MusicSpec) -> None:
        """Every spec is fine."""

    def generate(self, spec: MusicSpec, params: GenerationParams, *, sr: int) -> EngineOutput:
        raise NotImplementedError

    def generate_many(self, specs: list[MusicSpec], params: GenerationParams, *,
                      sr: int) -> list[EngineOutput]:
        """One call of :meth:`generate` per spec."""
        return [self.generate(s, params, sr=sr) for s in specs]

    def generate_audio(self, spec: MusicSpec, params: GenerationParams, *, seconds: float,
                       sr: int, seed: int, prompt_audio: np.ndarray | None = None) -> np.ndarray:
        raise BadInputError(f"the {self.name} engine cannot continue audio; use an engine "
                            "that can, such as musicgen")
