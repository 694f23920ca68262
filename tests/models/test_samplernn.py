"""SampleRNN: quantization, shapes, and the fast generator against the training graph."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

import torch

from loopmill.errors import BadInputError
from loopmill.models.samplernn import SampleRNN, SampleRNNConfig, dequantize, quantize

TINY = {"frame_sizes": (4, 2), "dim": 32, "q_levels": 64, "n_rnn": 1, "sample_rate": 8000}


@pytest.mark.parametrize("kind", ["mu-law", "linear"])
def test_quantize_round_trip(kind: str) -> None:
    x = torch.linspace(-1, 1, 2001)
    back = dequantize(quantize(x, q_levels=256, kind=kind), q_levels=256, kind=kind)
    err = (back - x).abs()
    if kind == "linear":
        assert err.max() <= 1 / 255 + 1e-6  # half a step of 2/255
    else:  # mu-law: fine steps near zero, coarse ones near full scale
        assert err[x.abs() < 0.01].max() < 3e-4 and err.max() < 0.025  # linear: 3.9e-3
    q = quantize(torch.tensor([-5.0, 0.0, 5.0]), q_levels=256, kind=kind)
    assert q.tolist()[0] == 0 and q.tolist()[2] == 255  # clipped, not wrapped


def test_config_is_checked_and_round_trips() -> None:
    cfg = SampleRNNConfig(**TINY)
    assert cfg.spans == (4, 8)
    assert SampleRNNConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(BadInputError, match="rnn_type 'rnn'"):
        SampleRNNConfig(rnn_type="rnn")
    with pytest.raises(BadInputError, match="frame_sizes"):
        SampleRNNConfig(frame_sizes=(16, 0))
    with pytest.raises(BadInputError, match="quantization"):
        SampleRNNConfig(quantization="a-law")


@pytest.mark.parametrize("rnn_type", ["gru", "lstm"])
def test_generator_matches_the_training_graph(rnn_type: str) -> None:
    """Each sample is drawn from exactly the logits that teacher-forced ``forward``
    gives for the same sequence: the incremental tiers step at the right frames."""
    torch.manual_seed(0)
    model = SampleRNN(SampleRNNConfig(**TINY, rnn_type=rnn_type)).eval()
    gen = torch.Generator().manual_seed(3)
    out, logits = model.generate(n_samples=48, batch_size=3, generator=gen, return_logits=True)
    assert out.shape == (3, 48) and logits.shape == (3, 48, 64)
    silence = int(quantize(torch.zeros(()), q_levels=64, kind="mu-law"))
    x = torch.cat([torch.full((3, model.lookback), silence), out], dim=1)
    forward, hidden = model(x)
    torch.testing.assert_close(forward, logits, atol=1e-5, rtol=1e-5)
    assert len(hidden) == 2
    again = model.generate(n_samples=48, batch_size=3, generator=torch.Generator().manual_seed(3))
    assert torch.equal(again, out)  # same seed, same audio
    other = model.generate(n_samples=48, batch_size=3, generator=torch.Generator().manual_seed(4))
    assert not torch.equal(other, out)


def test_forward_refuses_a_ragged_window() -> None:
    model = SampleRNN(SampleRNNConfig(**TINY))
    with pytest.raises(BadInputError, match="multiple of 8"):
        model(torch.zeros(1, model.lookback + 12, dtype=torch.long))
    with pytest.raises(BadInputError, match="temperature"):
        model.generate(n_samples=4, temperature=0)
