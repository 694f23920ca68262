"""The LSTM composer: blocks round trip, shapes, and continuations that stay bounded."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

import torch

from loopmill.errors import BadInputError
from loopmill.models.lstm_composer import (
    LSTMComposer,
    LSTMComposerConfig,
    audio_to_blocks,
    blocks_to_audio,
)


@pytest.mark.parametrize("domain", ["time", "fft"])
def test_blocks_round_trip(domain: str) -> None:
    cfg = LSTMComposerConfig(block_size=64, domain=domain, hidden=16, n_layers=1)
    y = torch.randn(2, 64 * 5 + 17, generator=torch.Generator().manual_seed(0))
    blocks = audio_to_blocks(y, config=cfg)
    assert blocks.shape == (2, 5, cfg.features)
    assert cfg.features == (64 if domain == "time" else 66)
    torch.testing.assert_close(blocks_to_audio(blocks, config=cfg), y[:, : 64 * 5],
                               atol=1e-5, rtol=1e-5)  # the partial block is dropped


def test_forward_shapes_and_config_checks() -> None:
    cfg = LSTMComposerConfig(block_size=64, hidden=16, n_layers=2)
    pred, (h, _c) = LSTMComposer(cfg)(torch.zeros(3, 7, 64))
    assert pred.shape == (3, 7, 64) and h.shape == (2, 3, 16)
    assert LSTMComposerConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(BadInputError, match="domain 'wav'"):
        LSTMComposerConfig(domain="wav")


@pytest.mark.parametrize("domain", ["time", "fft"])
def test_continuation_stays_bounded(domain: str) -> None:
    """GRUV's continuations ran away into loud noise; with huge random weights (the
    worst case) every block stays within [-1, 1] and under the seed's loudest RMS."""
    torch.manual_seed(0)
    cfg = LSTMComposerConfig(block_size=64, domain=domain, hidden=32, n_layers=2)
    model = LSTMComposer(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(50.0)
    t = torch.arange(64 * 4) / 8000
    seed = audio_to_blocks(0.2 * torch.sin(2 * torch.pi * 440 * t)[None], config=cfg)
    out = model.continue_(seed, n_blocks=40, noise=0.1,
                          generator=torch.Generator().manual_seed(1))
    audio = blocks_to_audio(out, config=cfg)
    assert out.shape == (1, 40, cfg.features)
    assert audio.abs().max() <= 1.0 + 1e-5
    seed_rms = blocks_to_audio(seed, config=cfg).reshape(4, 64).pow(2).mean(1).sqrt().max()
    rms = audio.reshape(40, 64).pow(2).mean(1).sqrt()
    assert rms.max() <= seed_rms * (1 + 1e-4)
    assert rms.min() > 0  # bounded, not silenced
