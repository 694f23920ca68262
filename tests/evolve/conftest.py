"""Shared by the evolve tests: a short, low-rate render setup and a hidden target loop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

#: scoring renders of one bar at 8 kHz: ~0.05 s each on an idle 2-core machine
FAST: dict[str, Any] = {"generator.seconds": 2.0, "generator.sample_rate": 8000,
                        "logger.write_best": False, "logger.tensorboard": False,
                        "logger.catalog": False}


def fast(tmp: Path, **more: Any) -> dict[str, Any]:
    """Overrides for a quick run whose files stay in ``tmp``."""
    return {**FAST, "logger.runs": str(tmp / "runs"), "logger.dest": str(tmp / "loops"),
            **more}


@pytest.fixture(scope="session")
def hidden_target(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """A composer loop of hidden controls (16 kHz WAV; seed 0: the key of seed-0 runs)
    and its genome vector."""
    from loopmill.audio import save
    from loopmill.evolve.evaluate import render_design
    from loopmill.evolve.genomes import ComposerGenome
    from loopmill.prompts import parse_prompt

    g = ComposerGenome(parse_prompt("synthwave"), seconds=2.0, seed=0)
    x = np.random.default_rng(123).uniform(size=g.dim)
    audio, _ = render_design(g.decode(x).job(), sr=16000)
    path = tmp_path_factory.mktemp("target") / "target.wav"
    save(path, audio, sr=16000, format="wav")
    return path, x
