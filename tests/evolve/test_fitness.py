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


def test_loudness_penalty_is_the_limiting_a_loop_needs() -> None:
    from loopmill.evolve.fitness import loudness_penalty

    sr = 16000
    t = np.arange(4 * sr) / sr
    sine = np.stack([np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32) * 0.1
    clicks = np.zeros_like(sine)
    clicks[:, ::sr // 2] = 0.9  # two clicks a second: all peak, hardly any loudness
    # a sine's peak is 3 dB over its loudness: a gain alone reaches -14 LUFS at -1 dBTP
    assert loudness_penalty(y=sine, sr=sr) == 0.0
    assert loudness_penalty(y=clicks, sr=sr) > 0.5
    assert loudness_penalty(y=np.zeros_like(sine), sr=sr) == 1.0  # silence: unfinishable
    # the penalty is the peak-to-loudness excess over the targets' 13 dB, scaled by 12
    assert loudness_penalty(y=clicks, sr=sr, target_lufs=-30.0) < loudness_penalty(
        y=clicks, sr=sr)


def test_seam_and_loudness_terms_are_subtracted_with_their_weights() -> None:
    a = np.array([1.0, 0.0, 0.0])
    plain = Fitness("music", targets=np.stack([a]))
    weighted = Fitness("music", targets=np.stack([a]), seam_weight=0.5, loudness_weight=2.0)
    ms = [Measures(a, 0.0, seam=0.4, loudness=0.25), Measures(a, 0.0, seam=float("nan"),
                                                            loudness=0.0)]
    np.testing.assert_allclose(plain(ms), [1.0, 1.0])  # weights 0: the measures unused
    np.testing.assert_allclose(weighted(ms), [1.0 - 0.2 - 0.5, 1.0])  # an unmeasured seam: 0
