"""Noise penalty on signals with known answers; fitness terms and their errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from loopmill.errors import BadInputError
from loopmill.evolve.embed import make_embedder
from loopmill.evolve.fitness import Fitness, Measures, load_targets, noise_penalty
from tests.synth import PROGRESSION, tone

SR = 22050


def test_noise_penalty_separates_tones_noise_and_clipping() -> None:
    rng = np.random.default_rng(0)
    chord = np.stack([tone(PROGRESSION[0], SR * 2, sr=SR)] * 2)
    noise = (0.3 * rng.normal(size=(2, SR * 2))).astype(np.float32)
    clean = noise_penalty(y=chord, sr=SR)
    noisy = noise_penalty(y=noise, sr=SR)
    hissy = noise_penalty(y=chord + 0.05 * noise, sr=SR)
    clipped = noise_penalty(y=np.clip(chord * 20, -1, 1), sr=SR)
    assert clean < 0.1 and noisy > 0.8
    assert clean < hissy < noisy
    assert clipped > 0.5


def test_music_fitness_is_cosine_to_targets_minus_noise() -> None:
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    f = Fitness("music", targets=np.stack([a]), noise_weight=0.5)
    out = f([Measures(a, 0.0), Measures(b, 0.0), Measures(a, 0.4)])
    np.testing.assert_allclose(out, [1.0, 0.0, 0.8])
    two = Fitness("music", targets=np.stack([a, b]))
    assert two([Measures(a + b, 0.0)])[0] == pytest.approx(np.sqrt(0.5))


def test_fitness_errors_name_the_problem() -> None:
    with pytest.raises(BadInputError, match="target"):
        Fitness("music")
    with pytest.raises(BadInputError, match="listener model"):
        Fitness("dynamic")
    with pytest.raises(BadInputError, match="unknown fitness 'taste'"):
        Fitness("taste")
    f = Fitness("music", targets=np.ones((1, 3)))
    with pytest.raises(BadInputError, match="NaN for candidate"):
        f([Measures(np.array([np.nan, 0, 0]), 0.0)])


def test_a_target_that_is_not_audio(tmp_path: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio at all")
    emb = make_embedder("features")
    with pytest.raises(BadInputError, match=r"notes\.wav is not audio"):
        load_targets([bad], embedder=emb)
    with pytest.raises(BadInputError, match="does not exist"):
        load_targets([tmp_path / "missing.ogg"], embedder=emb)
