"""Multi-tier SampleRNN (Mehri et al., 2017), as in the deepsound implementation.

Tiers from the top: each frame-level tier reads the previous frame of its span
(``frame_sizes`` cumulated: 16 and 64 samples for ``(16, 4)``), adds the conditioning
from the tier above, runs an RNN over frames and expands every frame into the frames
of the tier below (a learned linear upsampling). The sample-level MLP reads the
embeddings of the last ``frame_sizes[0]`` samples plus that conditioning and predicts
the next sample as one of ``q_levels`` classes.

Generation steps each tier only when its frame boundary is reached and keeps every
stream of a batch in step, so 64 streams cost little more than one on a GPU.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import weight_norm

from loopmill.errors import BadInputError

__all__ = ["SampleRNN", "SampleRNNConfig", "dequantize", "quantize"]

Hidden = list[Any]  # per tier: a Tensor (GRU) or a (h, c) tuple (LSTM)


@dataclass
class SampleRNNConfig:
    """Hyperparameters, saved inside every checkpoint and rebuilt from it on load."""

    frame_sizes: tuple[int, ...] = (16, 4)
    n_rnn: int = 2
    dim: int = 1024
    rnn_type: str = "gru"
    q_levels: int = 256
    quantization: str = "mu-law"
    weight_norm: bool = True
    learn_h0: bool = True
    skip: bool = True
    sample_rate: int = 16000

    def __post_init__(self) -> None:
        self.frame_sizes = tuple(int(f) for f in self.frame_sizes)
        if not self.frame_sizes or any(f < 1 for f in self.frame_sizes):
            raise BadInputError(f"frame_sizes {self.frame_sizes} must be positive integers, "
                                "e.g. 16 4")
        for name in ("n_rnn", "dim", "sample_rate"):
            if int(getattr(self, name)) < 1:
                raise BadInputError(f"{name} {getattr(self, name)} must be at least 1")
        if self.q_levels < 2:
            raise BadInputError(f"q_levels {self.q_levels} must be at least 2, e.g. 256")
        if self.rnn_type not in ("gru", "lstm"):
            raise BadInputError(f"rnn_type {self.rnn_type!r}: use gru or lstm")
        if self.quantization not in ("mu-law", "linear"):
            raise BadInputError(f"quantization {self.quantization!r}: use mu-law or linear")

    @property
    def spans(self) -> tuple[int, ...]:
        """Samples per frame of each tier, bottom to top (16, 64 for ``(16, 4)``)."""
        return tuple(math.prod(self.frame_sizes[: k + 1]) for k in range(len(self.frame_sizes)))

    def to_dict(self) -> dict[str, Any]:
        """Plain types (the frame sizes as a list), for a checkpoint."""
        out = asdict(self)
        out["frame_sizes"] = list(self.frame_sizes)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SampleRNNConfig:
        """Rebuild from :meth:`to_dict`."""
        return cls(**data)


def quantize(x: Tensor, *, q_levels: int, kind: str) -> Tensor:
    """Float samples in [-1, 1] to class indices 0..q_levels-1 (LongTensor, same shape)."""
    x = x.clamp(-1.0, 1.0)
    if kind == "mu-law":
        mu = q_levels - 1
        x = torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)
    return ((x + 1.0) / 2.0 * (q_levels - 1)).round().long().clamp(0, q_levels - 1)


def dequantize(q: Tensor, *, q_levels: int, kind: str) -> Tensor:
    """Class indices back to float samples in [-1, 1] (the inverse of :func:`quantize`)."""
    x = q.float() / (q_levels - 1) * 2.0 - 1.0
    if kind == "mu-law":
        mu = q_levels - 1
        x = torch.sign(x) * ((1.0 + mu) ** x.abs() - 1.0) / mu
    return x


def _linear(n_in: int, n_out: int, norm: bool) -> nn.Linear:
    layer = nn.Linear(n_in, n_out)
    return weight_norm(layer) if norm else layer


class _FrameTier(nn.Module):
    """One frame-level tier: frame in (+ conditioning) -> RNN -> ``ratio`` frames out."""

    def __init__(self, cfg: SampleRNNConfig, span: int, ratio: int) -> None:
        super().__init__()
        self.span, self.ratio, self.cfg = span, ratio, cfg
        self.expand = _linear(span, cfg.dim, cfg.weight_norm)
        rnn = nn.GRU if cfg.rnn_type == "gru" else nn.LSTM
        self.rnn = rnn(cfg.dim, cfg.dim, num_layers=cfg.n_rnn, batch_first=True)
        self.upsample = _linear(cfg.dim, cfg.dim * ratio, cfg.weight_norm)
        n_state = 2 if cfg.rnn_type == "lstm" else 1
        self.h0 = nn.Parameter(torch.zeros(n_state, cfg.n_rnn, 1, cfg.dim),
                               requires_grad=cfg.learn_h0)

    def initial(self, batch: int) -> Any:
        h = self.h0.expand(-1, -1, batch, -1).contiguous()
        return (h[0], h[1]) if self.cfg.rnn_type == "lstm" else h[0]

    def forward(self, frames: Tensor, cond: Tensor | None, hidden: Any) -> tuple[Tensor, Any]:
        """``frames`` [B, N, span] floats, ``cond`` [B, N, dim] -> [B, N * ratio, dim]."""
        x = self.expand(frames)
        if cond is not None:
            x = x + cond
        out, hidden = self.rnn(x, hidden)
        if self.cfg.skip:
            out = out + x
        up = self.upsample(out)  # [B, N, ratio * dim]
        return up.reshape(up.shape[0], -1, self.cfg.dim), hidden


class _SampleMLP(nn.Module):
    """The sample-level predictor: last ``width`` samples (embedded) + conditioning."""

    def __init__(self, cfg: SampleRNNConfig, width: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(cfg.q_levels, cfg.q_levels)
        self.inp = _linear(width * cfg.q_levels, cfg.dim, cfg.weight_norm)
        self.hidden = nn.ModuleList([_linear(cfg.dim, cfg.dim, cfg.weight_norm)
                                     for _ in range(2)])
        self.out = _linear(cfg.dim, cfg.q_levels, cfg.weight_norm)

    def forward(self, window: Tensor, cond: Tensor, table: Tensor | None = None) -> Tensor:
        """``window`` [B, L, width] classes, ``cond`` [B, L, dim] -> logits [B, L, q].

        ``table`` (from :meth:`input_table`) replaces the embedding and the input layer
        by a lookup: the same numbers, a fraction of the work per generated sample.
        """
        if table is None:
            x = self.inp(self.embed(window).flatten(2))
        else:
            pos = torch.arange(window.shape[-1], device=window.device)
            x = table[pos, window].sum(dim=-2) + self.inp.bias
        x = torch.relu(x + cond)
        for layer in self.hidden:
            x = torch.relu(layer(x))
        return self.out(x)

    def input_table(self) -> Tensor:
        """``[width, q, dim]``: the input layer's response to each class at each position
        (its weight times the embedding), for generation."""
        q = self.embed.weight.shape[0]
        w = self.inp.weight  # [dim, width * q], weight norm applied
        w = w.reshape(w.shape[0], -1, q).permute(1, 0, 2)  # [width, dim, q]
        return torch.einsum("wdq,eq->wed", w, self.embed.weight)


class SampleRNN(nn.Module):
    """Multi-tier SampleRNN over quantized audio.

    Parameters
    ----------
    config : SampleRNNConfig
    """

    def __init__(self, config: SampleRNNConfig) -> None:
        super().__init__()
        self.config = config
        spans, fs = config.spans, config.frame_sizes
        # tier k's frames each expand into fs[k] frames of the tier below (samples for k=0)
        self.tiers = nn.ModuleList([_FrameTier(config, spans[k], fs[k]) for k in range(len(fs))])
        self.mlp = _SampleMLP(config, fs[0])

    @property
    def lookback(self) -> int:
        """Samples of context before the first predicted one (the top tier's span)."""
        return self.config.spans[-1]

    def _tiers(self) -> list[_FrameTier]:
        return list(self.tiers)  # type: ignore[arg-type]  # ModuleList of _FrameTier

    def initial_hidden(self, batch: int) -> Hidden:
        """The learned (or zero) start state of every tier, for ``batch`` streams."""
        return [t.initial(batch) for t in self._tiers()]

    def _floats(self, q: Tensor) -> Tensor:
        c = self.config
        return dequantize(q, q_levels=c.q_levels, kind=c.quantization) * 2.0

    def forward(self, x: Tensor, hidden: Hidden | None = None) -> tuple[Tensor, Hidden]:
        """Teacher-forced logits of every sample after the lookback.

        Parameters
        ----------
        x : LongTensor ``[B, lookback + L]``
            Quantized samples; ``L`` must be a multiple of the top tier's span.
        hidden : list, optional
            Per-tier state from the previous window (truncated BPTT; detach it first).

        Returns
        -------
        logits : Tensor ``[B, L, q_levels]``
            ``logits[:, t]`` predicts ``x[:, lookback + t]``.
        hidden : list
        """
        lb = self.lookback
        n = x.shape[1] - lb
        if n <= 0 or n % lb:
            raise BadInputError(f"sequence of {x.shape[1]} samples: need the lookback {lb} "
                                f"plus a positive multiple of {lb}")
        if hidden is None:
            hidden = self.initial_hidden(x.shape[0])
        new_hidden: Hidden = [None] * len(self.tiers)
        xf = self._floats(x)
        cond: Tensor | None = None
        tiers = self._tiers()
        for k in reversed(range(len(tiers))):
            tier = tiers[k]
            span = tier.span
            frames = xf[:, lb - span: lb - span + n].reshape(x.shape[0], n // span, span)
            cond, new_hidden[k] = tier(frames, cond, hidden[k])
        fs0 = self.config.frame_sizes[0]
        window = x[:, lb - fs0: lb + n - 1].unfold(1, fs0, 1)  # [B, n, fs0]
        assert cond is not None  # at least one tier (checked by the config)
        return self.mlp(window, cond), new_hidden

    @torch.no_grad()
    def generate(self, *, n_samples: int, batch_size: int = 1, temperature: float = 1.0,
                 generator: torch.Generator | None = None, prime: Tensor | None = None,
                 return_logits: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """Sample audio, every stream of the batch in step.

        Parameters
        ----------
        n_samples : int
            New samples per stream.
        batch_size : int
            Streams.
        temperature : float
            Divides the logits (> 0; lower is more conservative).
        generator : torch.Generator, optional
            Seeded on the model's device for reproducible output.
        prime : LongTensor ``[batch_size, lookback]``, optional
            Context to start from; default: silence.
        return_logits : bool
            Also return the logits each sample was drawn from (``[B, n, q]``; tests).

        Returns
        -------
        LongTensor ``[batch_size, n_samples]`` of classes (and the logits).
        """
        if temperature <= 0:
            raise BadInputError(f"temperature {temperature:g} must be > 0")
        cfg, lb = self.config, self.lookback
        dev = next(self.parameters()).device
        if prime is None:
            zero = quantize(torch.zeros(()), q_levels=cfg.q_levels, kind=cfg.quantization)
            prime = torch.full((batch_size, lb), int(zero), dtype=torch.long, device=dev)
        seq = torch.empty(batch_size, lb + n_samples, dtype=torch.long, device=dev)
        seq[:, :lb] = prime.to(dev)
        floats = torch.empty(batch_size, lb + n_samples, device=dev)
        floats[:, :lb] = self._floats(seq[:, :lb])
        hidden = self.initial_hidden(batch_size)
        ups: list[Tensor | None] = [None] * len(self.tiers)  # each tier's current expansion
        fs = cfg.frame_sizes
        logits_all: list[Tensor] | None = [] if return_logits else None
        table = self.mlp.input_table()
        tiers = self._tiers()
        for i in range(n_samples):
            t = lb + i
            for k in reversed(range(len(tiers))):
                tier = tiers[k]
                if i % tier.span:
                    continue
                frame = floats[:, t - tier.span: t].unsqueeze(1)
                cond = None
                if k + 1 < len(tiers):
                    parent = ups[k + 1]
                    assert parent is not None
                    sub = (i // tier.span) % fs[k + 1]
                    cond = parent[:, sub: sub + 1]
                ups[k], hidden[k] = tier(frame, cond, hidden[k])
            low = ups[0]
            assert low is not None
            c = low[:, i % fs[0]: i % fs[0] + 1]
            logits = self.mlp(seq[:, t - fs[0]: t].unsqueeze(1), c, table)[:, 0] / temperature
            if logits_all is not None:
                logits_all.append(logits)
            q = torch.multinomial(torch.softmax(logits.float(), dim=-1), 1, generator=generator)
            seq[:, t] = q[:, 0]
            floats[:, t] = self._floats(q[:, 0])
        out = seq[:, lb:]
        if logits_all is not None:
            return out, torch.stack(logits_all, dim=1)
        return out
