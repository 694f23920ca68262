"""The offline feature embedder and a tiny CLAP through the real loading path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from loopmill.errors import BadInputError, MissingModelError
from loopmill.evolve.embed import BLOCKS, FeatureEmbedder, cosine, make_embedder
from tests.synth import PROGRESSION, kick, tone

SR = 22050


def _groove(chord: tuple[float, ...], *, bpm: float, seconds: float = 4.0) -> np.ndarray:
    n = int(SR * seconds)
    y = np.zeros(n, dtype=np.float32)
    beat = int(SR * 60 / bpm)
    for s in range(0, n, beat):
        seg = min(beat, n - s)
        y[s:s + seg] += tone(chord, seg, sr=SR) + 0.8 * kick(seg, sr=SR)
    return np.stack([y, y])


def test_features_are_fixed_length_standardised_and_deterministic() -> None:
    emb = FeatureEmbedder()
    a = emb.embed(_groove(PROGRESSION[0], bpm=120), sr=SR)
    b = emb.embed(_groove(PROGRESSION[0], bpm=120, seconds=6.0), sr=SR)
    assert a.shape == (sum(BLOCKS.values()),) == (emb.dim,)
    np.testing.assert_array_equal(a, emb.embed(_groove(PROGRESSION[0], bpm=120), sr=SR))
    assert np.all(np.isfinite(a)) and np.abs(a).max() < 10  # standardised, not raw dB
    assert cosine(b, a)[0] > 0.9  # the same music, longer


def test_features_tell_music_apart() -> None:
    emb = FeatureEmbedder()
    base = emb.embed(_groove(PROGRESSION[0], bpm=120), sr=SR)
    same = emb.embed(_groove(PROGRESSION[0], bpm=122), sr=SR)
    other_chord = emb.embed(_groove(PROGRESSION[3], bpm=120), sr=SR)
    noise = emb.embed((0.2 * np.random.default_rng(0).normal(size=(2, SR * 4))).astype(
        np.float32), sr=SR)
    c_same, c_chord, c_noise = (cosine(v, base)[0] for v in (same, other_chord, noise))
    assert c_same > c_chord > c_noise


def test_bad_embedder_input() -> None:
    with pytest.raises(BadInputError, match="unknown embedder 'mert'"):
        make_embedder("mert")
    with pytest.raises(BadInputError, match="clap:PATH"):
        make_embedder("clap")
    with pytest.raises(BadInputError, match=r"shorter than 0\.25 s"):
        FeatureEmbedder().embed(np.zeros((2, 100), dtype=np.float32), sr=SR)


def _tiny_clap(folder: Path) -> Path:
    import torch
    from transformers import (
        ClapAudioConfig,
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        ClapTextConfig,
    )

    torch.manual_seed(0)
    audio = ClapAudioConfig(depths=[1, 1], num_attention_heads=[2, 2], hidden_size=32,
                            patch_embeds_hidden_size=16, window_size=4, spec_size=64,
                            patch_stride=[4, 4], patch_size=4, num_mel_bins=16,
                            enable_fusion=False, projection_dim=8)
    text = ClapTextConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
                          num_attention_heads=2, intermediate_size=32,
                          max_position_embeddings=40, projection_dim=8)
    cfg = ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=8)
    ClapModel(cfg).eval().save_pretrained(folder)
    ClapFeatureExtractor(feature_size=16, sampling_rate=16000, max_length_s=2, hop_length=160,
                         fft_window_size=400).save_pretrained(folder)
    return folder


def test_tiny_clap_saved_and_loaded_back(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="CLAP needs torch")
    pytest.importorskip("transformers", reason="CLAP needs transformers")
    import torch

    torch.set_num_threads(1)
    folder = _tiny_clap(tmp_path / "clap")
    emb = make_embedder(f"clap:{folder}")
    y = _groove(PROGRESSION[0], bpm=120, seconds=5.0)
    a = emb.embed(y, sr=SR)
    assert a.shape == (8,) and np.all(np.isfinite(a))
    np.testing.assert_allclose(emb.embed(y, sr=SR), a)  # deterministic windows
    other = emb.embed((0.3 * np.random.default_rng(1).normal(size=(2, SR * 5))).astype(
        np.float32), sr=SR)
    assert not np.allclose(a, other)
    with pytest.raises(MissingModelError, match="not a CLAP model folder"):
        make_embedder(f"clap:{tmp_path}")
