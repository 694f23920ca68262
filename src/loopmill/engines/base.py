"""The ``Engine`` protocol: a MusicSpec and GenerationParams in, audio out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from loopmill.engines.params import GenerationParams
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


class Engine(Protocol):
    """A music generator. Stateless between calls: everything comes in the arguments."""

    name: str

    def generate(self, spec: MusicSpec, params: GenerationParams, *, sr: int) -> EngineOutput:
        """Make audio for ``spec``."""
        ...
