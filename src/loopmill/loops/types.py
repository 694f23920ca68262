"""The ``Loop``: a bar-exact seamless loop and everything measured about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Loop:
    """A seamless loop.

    Attributes
    ----------
    audio : np.ndarray
        The loop itself ``[C, T]`` float32: playing it over and over is seamless.
    sr : int
        Sample rate of ``audio``.
    start, end : int
        Where the loop was cut in the source, in source samples.
    bars : int
        Whole bars in the loop.
    beats_per_bar : int
        Meter (3 or 4).
    bpm : float
        Tempo of ``audio`` (exact when the loop was stretched to a requested tempo).
    source_bpm : float
        Tempo detected in the source.
    key : str or None
        Detected key, e.g. ``"D minor"``.
    seam_score : float
        0 when the wrap is no more abrupt than any other point of the loop
        (see :func:`loopmill.loops.seam.seam_score`).
    loudness_lufs, true_peak_db : float
        Integrated loudness and true peak of ``audio``.
    stretched : bool
        Whether the loop was time-stretched to ``bpm``.
    extra : dict
        Other facts worth recording (candidate distance, crossfade length …).
    midi_parts : tuple
        The score, for engines that compose symbolically (General MIDI parts, see
        ``loopmill.engines.composer.midi``); empty otherwise. Not in :meth:`to_dict`.
    """

    audio: np.ndarray
    sr: int
    start: int
    end: int
    bars: int
    beats_per_bar: int
    bpm: float
    source_bpm: float
    key: str | None
    seam_score: float
    loudness_lufs: float
    true_peak_db: float
    stretched: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    midi_parts: tuple[Any, ...] = ()

    @property
    def length(self) -> int:
        """Loop length in samples."""
        return int(self.audio.shape[1])

    @property
    def duration(self) -> float:
        """Loop length in seconds."""
        return self.length / self.sr

    def to_dict(self) -> dict[str, Any]:
        """JSON-able metadata (everything but the audio)."""

        def num(x: float) -> float | None:
            return None if not np.isfinite(x) else round(float(x), 4)

        return {
            "sample_rate": self.sr,
            "channels": int(self.audio.shape[0]),
            "loop_start": 0,
            "loop_length": self.length,
            "duration": round(self.duration, 6),
            "source_start": self.start,
            "source_end": self.end,
            "bars": self.bars,
            "beats_per_bar": self.beats_per_bar,
            "bpm": round(self.bpm, 4),
            "source_bpm": round(self.source_bpm, 4),
            "key": self.key,
            "seam_score": num(self.seam_score),
            "loudness_lufs": num(self.loudness_lufs),
            "true_peak_db": num(self.true_peak_db),
            "stretched": self.stretched,
            **self.extra,
        }
