"""SampleRNN: quantization, config checks, shapes, the fast generator against the
training graph, and a tiny model that learns a sine."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")

import torch
import torch.nn.functional as F

from loopmill.errors import BadInputError
from loopmill.models.samplernn import SampleRNN, SampleRNNConfig, dequantize, quantize

TINY: dict[str, Any] = {"frame_sizes": (4, 2), "dim": 32, "q_levels": 64, "n_rnn": 1,
                        "sample_rate": 8000}



def _silence(model: SampleRNN) -> int:
    cfg = model.config
    return int(quantize(torch.zeros(()), q_levels=cfg.q_levels, kind=cfg.quantization))


@pytest.mark.parametrize("kind", ["mu-law", "linear"])
def test_quantize_round_trip(kind: str) -> None:
    x = torch.linspace(-1, 1, 2001)
    q = quantize(x, q_levels=256, kind=kind)
    assert q.dtype == torch.long and int(q.min()) == 0 and int(q.max()) == 255
    assert bool((q[1:] >= q[:-1]).all())  # monotonic
    back = dequantize(q, q_levels=256, kind=kind)
    err = (back - x).abs()
    if kind == "linear":
        assert err.max() <= 1 / 255 + 1e-6  # half a step of 2/255
    else:  # mu-law: fine steps near zero, coarse ones near full scale
        assert err[x.abs() < 0.01].max() < 3e-4 and err.max() < 0.025  # linear: 3.9e-3
    # every class survives dequantize -> quantize unchanged
    levels = torch.arange(64)
    assert torch.equal(quantize(dequantize(levels, q_levels=64, kind=kind), q_levels=64,
                                kind=kind), levels)
    q = quantize(torch.tensor([-5.0, 0.0, 5.0]), q_levels=256, kind=kind)
    assert q.tolist()[0] == 0 and q.tolist()[2] == 255  # clipped, not wrapped
    assert abs(float(dequantize(q[1], q_levels=256, kind=kind))) < 0.01  # silence ~ 0.0


def test_quantize_refuses_bad_arguments() -> None:
    with pytest.raises(BadInputError, match="kind 'a-law'"):
        quantize(torch.zeros(3), q_levels=256, kind="a-law")
    with pytest.raises(BadInputError, match="q_levels 1"):
        dequantize(torch.zeros(3, dtype=torch.long), q_levels=1, kind="linear")


def test_config_round_trips_through_json() -> None:
    cfg = SampleRNNConfig(**TINY)
    assert cfg.spans == (4, 8) and SampleRNNConfig().spans == (16, 64)
    data = json.loads(json.dumps(cfg.to_dict()))
    assert data["frame_sizes"] == [4, 2]
    back = SampleRNNConfig.from_dict(data)
    assert back == cfg and back.frame_sizes == (4, 2)
    with pytest.raises(BadInputError, match=r"unknown SampleRNN config key.*colour"):
        SampleRNNConfig.from_dict({**data, "colour": "red"})


@pytest.mark.parametrize(("field", "value"), [
    ("frame_sizes", (16, 0)), ("frame_sizes", ()), ("frame_sizes", "16"), ("n_rnn", 0),
    ("dim", 2.5), ("dim", True), ("rnn_type", "rnn"), ("q_levels", 1),
    ("quantization", "a-law"), ("weight_norm", "yes"), ("learn_h0", 1), ("skip", None),
    ("sample_rate", 0),
])
def test_config_refuses_bad_values(field: str, value: Any) -> None:
    with pytest.raises(BadInputError, match=field) as err:
        SampleRNNConfig(**{field: value})
    assert "\n" not in str(err.value)  # one line


VARIANTS: list[dict[str, Any]] = [
    {"rnn_type": "gru"},
    {"rnn_type": "lstm", "n_rnn": 2},
    {"weight_norm": False, "learn_h0": False, "skip": False, "quantization": "linear"},
    {"frame_sizes": (2, 2, 2)},  # three tiers
]


@pytest.mark.parametrize("options", VARIANTS)
def test_forward_shapes(options: dict[str, Any]) -> None:
    torch.manual_seed(0)
    cfg = SampleRNNConfig(**{**TINY, **options})
    model = SampleRNN(cfg)
    assert model.lookback == 8
    x = torch.randint(0, 64, (3, model.lookback + 32))
    logits, hidden = model(x)
    assert logits.shape == (3, 32, 64)
    assert len(hidden) == len(cfg.frame_sizes)
    for h in hidden:
        states = h if cfg.rnn_type == "lstm" else (h,)
        assert len(states) == (2 if cfg.rnn_type == "lstm" else 1)
        for s in states:
            assert s.shape == (cfg.n_rnn, 3, cfg.dim)
    F.cross_entropy(logits.reshape(-1, 64), x[:, 8:].reshape(-1)).backward()
    h0 = [p for name, p in model.named_parameters() if name.endswith("h0")]
    assert len(h0) == len(cfg.frame_sizes)
    for p in h0:  # the start state learns only when asked to
        assert (p.grad is not None) == cfg.learn_h0


@pytest.mark.parametrize("rnn_type", ["gru", "lstm"])
def test_hidden_carries_across_windows(rnn_type: str) -> None:
    """Truncated BPTT: two windows with the state carried give the logits of one long
    window, so training on windows loses nothing in the forward pass."""
    torch.manual_seed(0)
    model = SampleRNN(SampleRNNConfig(**TINY, rnn_type=rnn_type)).eval()
    lb = model.lookback
    x = torch.randint(0, 64, (2, lb + 48), generator=torch.Generator().manual_seed(1))
    whole, _ = model(x)
    first, hidden = model(x[:, : lb + 16])
    second, _ = model(x[:, 16:], [h.detach() if torch.is_tensor(h) else tuple(
        s.detach() for s in h) for h in hidden])
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole,
                               atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("options", VARIANTS)
def test_generator_matches_the_training_graph(options: dict[str, Any]) -> None:
    """Each sample is drawn from exactly the logits that teacher-forced ``forward``
    gives for the same sequence: the incremental tiers step at the right frames."""
    torch.manual_seed(0)
    model = SampleRNN(SampleRNNConfig(**{**TINY, **options})).eval()
    gen = torch.Generator().manual_seed(3)
    out, logits = model.generate(n_samples=48, batch_size=3, generator=gen, return_logits=True)
    assert out.shape == (3, 48) and out.dtype == torch.long and logits.shape == (3, 48, 64)
    assert not out.is_inference() and not logits.is_inference()  # usable like any tensor
    x = torch.cat([torch.full((3, model.lookback), _silence(model)), out], dim=1)
    forward, hidden = model(x)
    torch.testing.assert_close(forward, logits, atol=1e-5, rtol=1e-5)
    assert len(hidden) == len(model.config.frame_sizes)
    again = model.generate(n_samples=48, batch_size=3, generator=torch.Generator().manual_seed(3))
    assert torch.equal(again, out)  # same seed, same audio
    other = model.generate(n_samples=48, batch_size=3, generator=torch.Generator().manual_seed(4))
    assert not torch.equal(other, out)
    assert len({tuple(row) for row in out.tolist()}) == 3  # the streams differ


def test_low_temperature_is_argmax_of_the_forward_logits() -> None:
    """With a tiny temperature every sample is the forward pass's most likely class."""
    torch.manual_seed(0)
    model = SampleRNN(SampleRNNConfig(**TINY)).eval()
    out = model.generate(n_samples=40, batch_size=2, temperature=1e-4,
                         generator=torch.Generator().manual_seed(0))
    x = torch.cat([torch.full((2, model.lookback), _silence(model)), out], dim=1)
    forward, _ = model(x)
    assert torch.equal(forward.argmax(dim=-1), out)


def test_prime_warms_up_the_tiers() -> None:
    """A prime longer than the lookback runs through the tiers first: the generated
    samples follow the logits of ``forward`` over prime + output."""
    torch.manual_seed(0)
    model = SampleRNN(SampleRNNConfig(**TINY)).eval()
    lb = model.lookback
    prime = torch.randint(0, 64, (2, lb + 12), generator=torch.Generator().manual_seed(5))
    out, logits = model.generate(n_samples=28, batch_size=2, prime=prime, return_logits=True,
                                 temperature=0.7, generator=torch.Generator().manual_seed(6))
    forward, _ = model(torch.cat([prime, out], dim=1))
    torch.testing.assert_close(forward[:, 12:], logits, atol=1e-5, rtol=1e-5)
    # a 1-D prime is shared by every stream
    one = model.generate(n_samples=8, batch_size=3, prime=prime[0],
                         generator=torch.Generator().manual_seed(0))
    assert one.shape == (3, 8)


def test_bad_inputs_are_refused() -> None:
    model = SampleRNN(SampleRNNConfig(**TINY))
    lb = model.lookback
    with pytest.raises(BadInputError, match="multiple of 8"):
        model(torch.zeros(1, lb + 12, dtype=torch.long))
    with pytest.raises(BadInputError, match="integer classes"):
        model(torch.zeros(1, lb + 8))
    with pytest.raises(BadInputError, match="hidden holds 1"):
        model(torch.zeros(1, lb + 8, dtype=torch.long), [None])
    with pytest.raises(BadInputError, match="temperature"):
        model.generate(n_samples=4, temperature=0)
    with pytest.raises(BadInputError, match="n_samples 0"):
        model.generate(n_samples=0)
    with pytest.raises(BadInputError, match="batch_size 0"):
        model.generate(n_samples=4, batch_size=0)
    with pytest.raises(BadInputError, match=r"prime of shape \(2, 4\)"):
        model.generate(n_samples=4, batch_size=2, prime=torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(BadInputError, match=r"outside 0\.\.63"):
        model.generate(n_samples=4, prime=torch.full((1, lb), 64))
    with pytest.raises(BadInputError, match="prime has dtype"):
        model.generate(n_samples=4, prime=torch.zeros(1, lb))


def _sine_batch(gen: torch.Generator, *, n: int, batch: int, sr: int = 8000,
                hz: float = 500.0) -> torch.Tensor:
    phase = torch.rand(batch, 1, generator=gen) * 2 * math.pi
    t = torch.arange(n) / sr
    return quantize(0.8 * torch.sin(2 * math.pi * hz * t + phase), q_levels=64, kind="mu-law")


def _nll(model: SampleRNN, x: torch.Tensor) -> float:
    logits, _ = model(x)
    return float(F.cross_entropy(logits.reshape(-1, 64), x[:, model.lookback:].reshape(-1)))


def test_a_tiny_model_learns_a_sine() -> None:
    """150 Adam steps on a quantized 500 Hz sine at 8 kHz: the held-out NLL drops from
    about log(64) to under half of it, and sampled audio is a 500 Hz tone again."""
    torch.manual_seed(0)
    model = SampleRNN(SampleRNNConfig(**TINY))
    gen = torch.Generator().manual_seed(0)
    held_out = _sine_batch(torch.Generator().manual_seed(99), n=model.lookback + 128, batch=8)
    with torch.no_grad():
        start = _nll(model, held_out)
    assert start > 0.9 * math.log(64)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(150):
        loss = F.cross_entropy(*_flat(model, _sine_batch(gen, n=model.lookback + 128,
                                                           batch=8)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        end = _nll(model, held_out)
    assert end < 0.5 * math.log(64), (start, end)
    q = model.generate(n_samples=2048, batch_size=2, generator=torch.Generator().manual_seed(1))
    for row in dequantize(q, q_levels=64, kind="mu-law").numpy():
        spec = np.abs(np.fft.rfft(row * np.hanning(len(row))))
        hz = (int(np.argmax(spec[1:])) + 1) * 8000 / len(row)
        assert abs(hz - 500.0) <= 12.0, hz  # within 3 bins of 3.9 Hz
        assert row.std() > 0.3  # a tone, not the silence it started from


def _flat(model: SampleRNN, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    logits, _ = model(x)
    return logits.reshape(-1, logits.shape[-1]), x[:, model.lookback:].reshape(-1)
