"""A small engine written the way a contributor would write one: one module, one
``register`` line (in the test). It makes a seamless loop of sine chords, or — with
``seamless=False`` — free-running audio the loop engine has to cut."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from loopmill.engines.base import Capabilities, EngineBase, EngineOutput
from loopmill.engines.params import GenerationParams
from loopmill.prompts.spec import MusicSpec


class SineEngine(EngineBase):
    """Four bars of a sine triad per chord at the asked tempo: an exact loop."""

    name = "sine"
    capabilities: ClassVar[Capabilities] = Capabilities(seamless=True)

    def generate(self, spec: MusicSpec, params: GenerationParams, *, sr: int) -> EngineOutput:
        bpm = float(spec.bpm or 120.0)
        seed = spec.seed if spec.seed is not None else 0
        rng = np.random.default_rng(seed)
        bars = 4
        n = round(bars * 4 * 60.0 / bpm * sr)
        t = np.arange(n) / sr
        root = 220.0 * 2 ** (int(rng.integers(0, 12)) / 12)
        bar = n // bars
        y = np.zeros(n)
        for b in range(bars):
            f = root * 2 ** ((0, 5, 7, 3)[b] / 12)
            seg = slice(b * bar, n if b == bars - 1 else (b + 1) * bar)
            env = np.sin(np.pi * np.linspace(0, 1, seg.stop - seg.start)) ** 0.5
            y[seg] = env * sum(np.sin(2 * np.pi * f * r * t[seg]) for r in (1, 1.25, 1.5)) / 3
        audio = np.stack([y, y]).astype(np.float32) * 0.5
        return EngineOutput(audio=audio, sr=sr, seamless=True, bpm=bpm, bars=bars,
                            beats_per_bar=4, key=spec.key_name, seed=seed,
                            info={"genre": spec.genre or "sine", "made_by": "sine"})


class EvenSeedEngine(SineEngine):
    """The sine engine that refuses odd seeds with an error naming the ``seed`` field:
    a run's one failing item, with a field the front end writes in its own words."""

    name = "evenseed"

    def generate(self, spec: MusicSpec, params: GenerationParams, *, sr: int) -> EngineOutput:
        from loopmill.errors import BadInputError

        if (spec.seed or 0) % 2:
            raise BadInputError(f"seed {spec.seed} is odd; this engine takes even ones",
                                field="seed")
        return super().generate(spec, params, sr=sr)
