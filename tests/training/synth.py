"""Synthetic training audio with known answers: chords of sines with a little noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SR = 8000
CHORDS = ((440.0, 660.0), (330.0, 495.0))


def write_chords(folder: Path, *, seconds: float = 12.0, seed: int = 0,
                 gains: tuple[float, ...] = (1.0, 1.0)) -> list[Path]:
    """One WAV per chord in ``CHORDS`` (``gains`` scales each file)."""
    from loopmill.audio import save

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    t = np.arange(round(SR * seconds)) / SR
    paths = []
    for i, ((f1, f2), g) in enumerate(zip(CHORDS, gains, strict=True)):
        y = 0.3 * np.sin(2 * np.pi * f1 * t) + 0.2 * np.sin(2 * np.pi * f2 * t)
        y = g * (y + 0.01 * rng.standard_normal(len(t)))
        paths.append(save(folder / f"chord{i}.wav", y[None].astype(np.float32), sr=SR))
    return paths
