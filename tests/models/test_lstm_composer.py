"""The LSTM composer: blocks round trip, shapes, learning a sine, and continuations
that stay bounded."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

pytest.importorskip("torch")

import torch
import torch.nn.functional as F

from loopmill.errors import BadInputError
from loopmill.models.lstm_composer import (
    LSTMComposer,
    LSTMComposerConfig,
    audio_to_blocks,
    blocks_to_audio,
)

TINY: dict[str, Any] = {"block_size": 64, "hidden": 32, "n_layers": 2, "sample_rate": 8000}



def _block_rms(audio: torch.Tensor, block_size: int) -> torch.Tensor:
    """``[B, T]`` -> ``[B, T // block_size]`` RMS per block."""
    return audio.reshape(audio.shape[0], -1, block_size).pow(2).mean(-1).sqrt()


@pytest.mark.parametrize("domain", ["time", "fft"])
def test_blocks_round_trip(domain: str) -> None:
    cfg = LSTMComposerConfig(**TINY, domain=domain)
    y = torch.randn(2, 64 * 5 + 17, generator=torch.Generator().manual_seed(0))
    blocks = audio_to_blocks(y, config=cfg)
    assert blocks.shape == (2, 5, cfg.features) and blocks.dtype == torch.float32
    assert cfg.features == (64 if domain == "time" else 66)
    torch.testing.assert_close(blocks_to_audio(blocks, config=cfg), y[:, : 64 * 5],
                               atol=1e-5, rtol=1e-5)  # the partial block is dropped
    one = audio_to_blocks(y[0], config=cfg)  # [T] is a batch of one
    assert one.shape == (1, 5, cfg.features)
    torch.testing.assert_close(one[0], blocks[0])
    if domain == "fft":  # orthonormal: the features are as loud as the samples
        ratio = blocks.pow(2).sum() / y[:, : 64 * 5].pow(2).sum()
        assert 0.4 < float(ratio) < 1.1


def test_config_round_trips_and_is_checked() -> None:
    cfg = LSTMComposerConfig(**TINY, domain="fft", dropout=0.1)
    assert LSTMComposerConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert LSTMComposerConfig().features == 11025
    assert LSTMComposerConfig(domain="fft").features == 2 * (11025 // 2 + 1)
    with pytest.raises(BadInputError, match=r"unknown LSTM composer config key.*blocks"):
        LSTMComposerConfig.from_dict({**cfg.to_dict(), "blocks": 3})


@pytest.mark.parametrize(("field", "value"), [
    ("block_size", 0), ("block_size", 1.5), ("hidden", 0), ("n_layers", True),
    ("sample_rate", -1), ("domain", "wav"), ("dropout", 1.0), ("dropout", -0.1),
    ("dropout", "0.2"),
])
def test_config_refuses_bad_values(field: str, value: Any) -> None:
    with pytest.raises(BadInputError, match=field) as err:
        LSTMComposerConfig(**{field: value})
    assert "\n" not in str(err.value)  # one line


def test_forward_shapes_and_state() -> None:
    torch.manual_seed(0)
    cfg = LSTMComposerConfig(**TINY)
    model = LSTMComposer(cfg).eval()
    x = torch.randn(3, 7, 64)
    pred, (h, c) = model(x)
    assert pred.shape == (3, 7, 64) and h.shape == (2, 3, 32) and c.shape == (2, 3, 32)
    # the state carries: two calls give what one call over both halves gives
    first, state = model(x[:, :3])
    second, _ = model(x[:, 3:], state)
    torch.testing.assert_close(torch.cat([first, second], dim=1), pred)


def test_bad_inputs_are_refused() -> None:
    cfg = LSTMComposerConfig(**TINY)
    model = LSTMComposer(cfg)
    with pytest.raises(BadInputError, match=r"x of shape \(3, 7, 65\)"):
        model(torch.zeros(3, 7, 65))
    with pytest.raises(BadInputError, match=r"blocks of shape \(2, 64\)"):
        blocks_to_audio(torch.zeros(2, 64), config=cfg)
    with pytest.raises(BadInputError, match="audio of shape"):
        audio_to_blocks(torch.zeros(1, 2, 640), config=cfg)
    seed = torch.zeros(1, 2, 64)
    with pytest.raises(BadInputError, match="n_blocks 0"):
        model.continue_(seed, n_blocks=0)
    with pytest.raises(BadInputError, match="noise -1"):
        model.continue_(seed, n_blocks=2, noise=-1.0)
    with pytest.raises(BadInputError, match="seed_blocks of shape"):
        model.continue_(torch.zeros(1, 0, 64), n_blocks=2)


def _sines(phases: torch.Tensor, *, n_blocks: int = 24) -> torch.Tensor:
    """0.5 amplitude sines with a 48-sample period at 8 kHz: the phase at each 64-sample
    block start cycles every 3 blocks, so the next block follows from the current."""
    t = torch.arange(64 * n_blocks) / 8000
    return 0.5 * torch.sin(2 * math.pi * (8000 / 48) * t + phases[:, None])


@pytest.mark.parametrize("domain", ["time", "fft"])
def test_a_tiny_model_learns_a_repeating_sine(domain: str) -> None:
    """200 Adam steps: the next-block MSE falls far below the signal power (0.125), and
    a continuation of an unseen phase follows the true sine."""
    torch.manual_seed(0)
    cfg = LSTMComposerConfig(**TINY, domain=domain)
    model = LSTMComposer(cfg)
    gen = torch.Generator().manual_seed(0)
    blocks = audio_to_blocks(_sines(torch.rand(8, generator=gen) * 2 * math.pi), config=cfg)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(200):
        pred, _ = model(blocks[:, :-1])
        loss = F.mse_loss(pred, blocks[:, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-3 and losses[-1] < 0.01 * losses[0], losses[::50]
    model.eval()
    held = audio_to_blocks(_sines(torch.tensor([1.0, 4.0])), config=cfg)
    out = model.continue_(held[:, :6], n_blocks=12)
    err = blocks_to_audio(out, config=cfg) - blocks_to_audio(held[:, 6:18], config=cfg)
    assert float(err.pow(2).mean().sqrt()) < 0.05  # the sine's RMS is 0.35


@pytest.mark.parametrize("domain", ["time", "fft"])
def test_continuation_stays_bounded(domain: str) -> None:
    """GRUV's continuations ran away into loud noise; with huge random weights (the
    worst case) every block stays within [-1, 1] and under the seed's loudest RMS."""
    torch.manual_seed(0)
    cfg = LSTMComposerConfig(**TINY, domain=domain)
    model = LSTMComposer(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(50.0)
    t = torch.arange(64 * 4) / 8000
    seed_audio = torch.stack([0.2 * torch.sin(2 * torch.pi * 440 * t),
                              0.05 * torch.sin(2 * torch.pi * 300 * t)])
    seed = audio_to_blocks(seed_audio, config=cfg)
    with torch.no_grad():
        unbounded, _ = model(seed)
    assert float(blocks_to_audio(unbounded, config=cfg).abs().max()) > 1.0  # it would blow up
    out = model.continue_(seed, n_blocks=40, noise=0.1,
                          generator=torch.Generator().manual_seed(1))
    assert out.shape == (2, 40, cfg.features)
    audio = blocks_to_audio(out, config=cfg)
    assert float(audio.abs().max()) <= 1.0 + 1e-5
    seed_rms = _block_rms(seed_audio, 64).amax(dim=1, keepdim=True)  # per stream
    rms = _block_rms(audio, 64)
    assert bool((rms <= seed_rms * (1 + 1e-4)).all())
    assert float(rms.min()) > 0  # bounded, not silenced
    assert torch.allclose(rms.amax(dim=1, keepdim=True), seed_rms, rtol=1e-3)  # at the cap
    again = model.continue_(seed, n_blocks=40, noise=0.1,
                            generator=torch.Generator().manual_seed(1))
    assert torch.equal(again, out)  # same seed, same continuation
    other = model.continue_(seed, n_blocks=40, noise=0.1,
                            generator=torch.Generator().manual_seed(2))
    assert not torch.equal(other, out)
