"""Multi-tier SampleRNN (Mehri et al., 2017), as in the deepsound implementation.

Tiers from the top: each frame-level tier reads the previous frame of its span
(``frame_sizes`` cumulated: 16 and 64 samples for ``(16, 4)``) as dequantized samples
scaled to [-2, 2], adds the conditioning from the tier above, runs an RNN over frames
and expands every frame into the frames of the tier below (a learned linear
upsampling, the same map as a transposed convolution with kernel = stride = ratio).
The sample-level MLP reads the embeddings of the last ``frame_sizes[0]`` samples plus
that conditioning and predicts the next sample as one of ``q_levels`` classes.

Generation steps each tier only when its frame boundary is reached and keeps every
stream of a batch in step, so 64 streams cost little more than one on a GPU.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import weight_norm

from loopmill.errors import BadInputError
from loopmill.models._config import as_int, config_from_dict

__all__ = ["SampleRNN", "SampleRNNConfig", "dequantize", "quantize"]

Hidden = list[Any]  # per tier: a Tensor (GRU) or a (h, c) tuple (LSTM), [n_rnn, B, dim]
KINDS = ("mu-law", "linear")


@dataclass
class SampleRNNConfig:
    """Hyperparameters, saved inside every checkpoint and rebuilt from it on load.

    Parameters
    ----------
    frame_sizes : tuple of int
        Frame size of each tier, bottom first; a tier's span in samples is the product
        of its own and all lower frame sizes (``(16, 4)``: 16 and 64 samples).
    n_rnn, dim : int
        Stacked RNN layers per tier; width of every RNN and MLP layer.
    rnn_type : str
        ``gru`` or ``lstm``.
    q_levels, quantization
        Classes per sample; ``mu-law`` or ``linear``.
    weight_norm, learn_h0, skip : bool
        Weight normalization on the linear layers; learn each tier's initial RNN
        state (else zeros); add each tier's RNN input to its output.
    sample_rate : int
        Rate of the training audio (metadata for generation).
    """

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
        sizes = self.frame_sizes
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
            raise BadInputError(f"frame_sizes {sizes!r} must be a list of integers, e.g. 16 4")
        try:
            self.frame_sizes = tuple(as_int("frame_sizes", f, 1) for f in sizes)
        except BadInputError:
            raise BadInputError(f"frame_sizes {tuple(sizes)!r} must be positive integers, "
                                "e.g. 16 4") from None
        if not self.frame_sizes:
            raise BadInputError("frame_sizes is empty; give one size per tier, e.g. 16 4")
        for name in ("n_rnn", "dim", "sample_rate"):
            setattr(self, name, as_int(name, getattr(self, name), 1))
        self.q_levels = as_int("q_levels", self.q_levels, 2)
        if self.rnn_type not in ("gru", "lstm"):
            raise BadInputError(f"rnn_type {self.rnn_type!r}: use gru or lstm")
        _check(self.q_levels, self.quantization, "quantization")
        for name in ("weight_norm", "learn_h0", "skip"):
            if not isinstance(getattr(self, name), bool):
                raise BadInputError(f"{name} {getattr(self, name)!r} must be true or false")

    @property
    def spans(self) -> tuple[int, ...]:
        """Samples per frame of each tier, bottom to top (16, 64 for ``(16, 4)``)."""
        return tuple(math.prod(self.frame_sizes[: k + 1]) for k in range(len(self.frame_sizes)))

    def to_dict(self) -> dict[str, Any]:
        """Plain types (the frame sizes as a list), for a checkpoint or JSON."""
        out = asdict(self)
        out["frame_sizes"] = list(self.frame_sizes)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SampleRNNConfig:
        """Rebuild from :meth:`to_dict` (lists become tuples again)."""
        return config_from_dict(cls, data, model="SampleRNN")


def _check(q_levels: int, kind: str, name: str = "kind") -> None:
    as_int("q_levels", q_levels, 2)
    if kind not in KINDS:
        raise BadInputError(f"{name} {kind!r}: use mu-law or linear")


def quantize(x: Tensor, *, q_levels: int, kind: str) -> Tensor:
    """Float samples ``[...]`` in [-1, 1] (clipped) to LongTensor classes ``[...]`` in
    ``0..q_levels-1``; ``kind`` is ``mu-law`` (mu = ``q_levels - 1``) or ``linear``."""
    _check(q_levels, kind)
    x, mu = x.float().clamp(-1.0, 1.0), q_levels - 1
    if kind == "mu-law":
        x = torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)
    return ((x + 1.0) / 2.0 * (q_levels - 1)).round().long().clamp(0, q_levels - 1)


def dequantize(q: Tensor, *, q_levels: int, kind: str) -> Tensor:
    """LongTensor classes ``[...]`` back to float32 samples ``[...]`` in [-1, 1] (the
    inverse of :func:`quantize`, with the same ``q_levels`` and ``kind``)."""
    _check(q_levels, kind)
    mu = q_levels - 1
    x = q.float() / mu * 2.0 - 1.0
    if kind == "mu-law":
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
        Tiers, widths and quantization; a checkpoint holds ``config.to_dict()`` and
        rebuilds the model from it alone.
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
        """Classes -> tier inputs: dequantized samples scaled to [-2, 2] (deepsound)."""
        c = self.config
        return dequantize(q, q_levels=c.q_levels, kind=c.quantization) * 2.0

    def forward(self, x: Tensor, hidden: Hidden | None = None) -> tuple[Tensor, Hidden]:
        """Teacher-forced logits of every sample after the lookback.

        Parameters
        ----------
        x : LongTensor ``[B, lookback + L]``
            Quantized samples; ``L`` must be a positive multiple of ``lookback`` (the
            top tier's span). Classes are not range-checked here (it would cost a
            device sync per step).
        hidden : list, optional
            Per-tier state from the previous window (truncated BPTT: detach it first);
            default: the learned start state.

        Returns
        -------
        logits : Tensor ``[B, L, q_levels]``
            ``logits[:, t]`` predicts ``x[:, lookback + t]``.
        hidden : list
            Per-tier state after the window, to pass with the next one.
        """
        lb = self.lookback
        if x.dim() != 2 or x.dtype.is_floating_point or x.dtype.is_complex:
            raise BadInputError(f"x of shape {tuple(x.shape)} and dtype {x.dtype}: pass "
                                "[batch, samples] integer classes (see quantize)")
        n = x.shape[1] - lb
        if n <= 0 or n % lb:
            raise BadInputError(f"sequence of {x.shape[1]} samples: need the lookback {lb} "
                                f"plus a positive multiple of {lb}")
        tiers = self._tiers()
        if hidden is None:
            hidden = self.initial_hidden(x.shape[0])
        elif len(hidden) != len(tiers):
            raise BadInputError(f"hidden holds {len(hidden)} tier states; pass the "
                                f"{len(tiers)} returned by the previous call, or None")
        new_hidden: Hidden = [None] * len(tiers)
        xf = self._floats(x)
        cond: Tensor | None = None
        for k in reversed(range(len(tiers))):
            span = tiers[k].span
            frames = xf[:, lb - span: lb - span + n].reshape(x.shape[0], n // span, span)
            cond, new_hidden[k] = tiers[k](frames, cond, hidden[k])
        fs0 = self.config.frame_sizes[0]
        window = x[:, lb - fs0: lb + n - 1].unfold(1, fs0, 1)  # [B, n, fs0]
        return self.mlp(window, cond), new_hidden  # cond is set: the config has >= 1 tier

    @torch.no_grad()
    def generate(self, *, n_samples: int, batch_size: int = 1, temperature: float = 1.0,
                 generator: torch.Generator | None = None, prime: Tensor | None = None,
                 return_logits: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """Sample audio autoregressively, every stream of the batch in step.

        Each frame tier runs once per frame of its span (not once per sample) and the
        MLP's input layer is a table lookup, so a sample costs one small MLP pass.

        Parameters
        ----------
        n_samples : int
            New samples per stream.
        batch_size : int
            Streams.
        temperature : float
            Divides the logits before sampling (> 0; lower is more conservative).
        generator : torch.Generator, optional
            On the model's device; the same seed gives the same output.
        prime : LongTensor ``[batch_size, P]`` or ``[P]``, optional
            Classes to start from, ``P >= lookback``; the tiers' state warms up over all
            of it. Default: ``lookback`` samples of silence (the class of 0.0).
        return_logits : bool
            Also return the model's logits each sample was drawn from, before the
            temperature (``[batch_size, n_samples, q_levels]``; for tests).

        Returns
        -------
        LongTensor ``[batch_size, n_samples]`` of classes (and the logits).

        Raises
        ------
        BadInputError
            A bad count, temperature, prime, or a generator on another device.
        """
        n_samples, batch_size = as_int("n_samples", n_samples, 1), as_int(
            "batch_size", batch_size, 1)
        if not math.isfinite(temperature) or temperature <= 0:
            raise BadInputError(f"temperature {temperature:g} must be > 0, e.g. 1.0")
        dev = next(self.parameters()).device
        if generator is not None and generator.device.type != dev.type:
            raise BadInputError(f"generator on {generator.device} but the model on {dev}; "
                                f"make it with torch.Generator(device={str(dev)!r})")
        prime = self._check_prime(prime, batch_size, dev)
        # weight norm computed once, not per sample; inference mode trims the per-step
        # overhead further, and the clones hand back ordinary tensors
        with torch.inference_mode(), parametrize.cached():
            out, logits = self._generate(n_samples, temperature, generator, prime,
                                         return_logits)
        return (out.clone(), logits.clone()) if return_logits else out.clone()

    def _check_prime(self, prime: Tensor | None, batch_size: int, dev: torch.device) -> Tensor:
        cfg, lb = self.config, self.lookback
        if prime is None:
            zero = quantize(torch.zeros(()), q_levels=cfg.q_levels, kind=cfg.quantization)
            return torch.full((batch_size, lb), int(zero), dtype=torch.long, device=dev)
        if prime.dtype.is_floating_point or prime.dtype.is_complex:
            raise BadInputError(f"prime has dtype {prime.dtype}; pass integer classes "
                                "(quantize the audio first)")
        if prime.dim() == 1:
            prime = prime.unsqueeze(0).expand(batch_size, -1)
        if prime.dim() != 2 or prime.shape[0] != batch_size or prime.shape[1] < lb:
            raise BadInputError(f"prime of shape {tuple(prime.shape)}: pass [{batch_size}, P] "
                                f"classes with P >= the lookback {lb}")
        if prime.numel() and (int(prime.min()) < 0 or int(prime.max()) >= cfg.q_levels):
            raise BadInputError(f"prime holds classes outside 0..{cfg.q_levels - 1}; "
                                "quantize it with this model's q_levels")
        return prime.to(dev, torch.long)

    def _generate(self, n_samples: int, temperature: float, generator: torch.Generator | None,
                  prime: Tensor, return_logits: bool) -> tuple[Tensor, Tensor]:
        cfg, lb = self.config, self.lookback
        (batch, n_prime), dev = prime.shape, prime.device
        seq = torch.empty(batch, n_prime + n_samples, dtype=torch.long, device=dev)
        seq[:, :n_prime] = prime
        floats = torch.empty(batch, n_prime + n_samples, device=dev)
        floats[:, :n_prime] = self._floats(prime)
        level = self._floats(torch.arange(cfg.q_levels, device=dev))  # class -> tier input
        hidden = self.initial_hidden(batch)
        tiers = self._tiers()
        ups: list[Tensor] = [floats.new_empty(0)] * len(tiers)  # each tier's expansion
        fs = cfg.frame_sizes
        logits_all: list[Tensor] = []
        table = self.mlp.input_table()
        for i in range(n_prime - lb + n_samples):
            t = lb + i  # the sample predicted now
            for k in reversed(range(len(tiers))):
                tier = tiers[k]
                if i % tier.span:
                    continue
                frame = floats[:, t - tier.span: t].unsqueeze(1)
                cond = None
                if k + 1 < len(tiers):
                    sub = (i // tier.span) % fs[k + 1]
                    cond = ups[k + 1][:, sub: sub + 1]
                ups[k], hidden[k] = tier(frame, cond, hidden[k])
            if t < n_prime:  # still inside the prime: only the tiers' state matters
                continue
            c = ups[0][:, i % fs[0]: i % fs[0] + 1]
            logits = self.mlp(seq[:, t - fs[0]: t].unsqueeze(1), c, table)[:, 0]
            if return_logits:
                logits_all.append(logits)
            probs = torch.softmax(logits.float() / temperature, dim=-1)
            q = torch.multinomial(probs, 1, generator=generator)[:, 0]
            seq[:, t] = q
            floats[:, t] = level[q]
        logits = torch.stack(logits_all, dim=1) if return_logits else seq.new_empty(0)
        return seq[:, n_prime:], logits
