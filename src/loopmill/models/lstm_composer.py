"""The GRUV-style LSTM composer: audio as a sequence of blocks, next block predicted.

Audio is cut into blocks of ``block_size`` samples (0.25 s at 44.1 kHz), in the time
domain or as the real and imaginary parts of each block's real FFT (orthonormal
scaling, so the numbers are as loud as the samples). A time-distributed dense layer,
a stack of LSTMs and a second dense layer predict the next block; to compose, the
model warms up on a seed clip and then feeds its own predictions back.

GRUV's continuations grew into loud noise: each fed-back error adds to the next. Here
every generated block is bounded in the time domain (fft blocks are converted to
audio, bounded and converted back): clipped to [-1, 1], then scaled down when its RMS
exceeds the loudest block of the seed, so a continuation is never louder than its seed.
"""

from __future__ import annotations

import math
import operator
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from loopmill.errors import BadInputError
from loopmill.models._config import as_int, config_from_dict

__all__ = ["LSTMComposer", "LSTMComposerConfig", "audio_to_blocks", "blocks_to_audio"]

State = tuple[Tensor, Tensor]  # the LSTM's (h, c), each [n_layers, B, hidden]


@dataclass
class LSTMComposerConfig:
    """Hyperparameters, saved inside every checkpoint and rebuilt from it on load.

    Parameters
    ----------
    block_size : int
        Samples per block (11025: 0.25 s at 44.1 kHz).
    domain : str
        ``time`` (a block is its samples) or ``fft`` (the real then the imaginary parts
        of its ``block_size // 2 + 1`` real-FFT bins, orthonormal scaling).
    hidden : int
        Width of the dense input layer and of every LSTM layer.
    n_layers : int
        Stacked LSTM layers.
    sample_rate : int
        Rate of the training audio (metadata for generation).
    dropout : float
        Dropout between LSTM layers, in [0, 1).
    """

    block_size: int = 11025
    domain: str = "time"
    hidden: int = 1024
    n_layers: int = 4
    sample_rate: int = 44100
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("block_size", "hidden", "n_layers", "sample_rate"):
            setattr(self, name, as_int(name, getattr(self, name), 1))
        if self.domain not in ("time", "fft"):
            raise BadInputError(f"domain {self.domain!r}: use time or fft")
        if (isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float))
                or not 0.0 <= self.dropout < 1.0):
            raise BadInputError(f"dropout {self.dropout!r} must be a number in [0, 1)")
        self.dropout = float(self.dropout)

    @property
    def features(self) -> int:
        """Numbers per block: ``block_size`` samples (time), or ``2 * (block_size // 2 + 1)``:
        the real and imaginary parts of the real-FFT bins (fft)."""
        return self.block_size if self.domain == "time" else 2 * (self.block_size // 2 + 1)

    def to_dict(self) -> dict[str, Any]:
        """Plain types, for a checkpoint or JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LSTMComposerConfig:
        """Rebuild from :meth:`to_dict`."""
        return config_from_dict(cls, data, model="LSTM composer")


def audio_to_blocks(y: Tensor, *, config: LSTMComposerConfig) -> Tensor:
    """Cut audio into model blocks.

    Parameters
    ----------
    y : Tensor ``[T]`` or ``[B, T]``
        Float audio; a partial last block is dropped.
    config : LSTMComposerConfig
        Block size and domain.

    Returns
    -------
    Tensor ``[B, T // block_size, features]`` (float32; ``B = 1`` for ``[T]`` input).
    """
    if y.dim() not in (1, 2) or y.dtype.is_complex:
        raise BadInputError(f"audio of shape {tuple(y.shape)} and dtype {y.dtype}: pass real "
                            "[samples] or [batch, samples]")
    x = (y.unsqueeze(0) if y.dim() == 1 else y).float()
    n = x.shape[1] // config.block_size
    blocks = x[:, : n * config.block_size].reshape(x.shape[0], n, config.block_size)
    if config.domain == "time":
        return blocks
    spec = torch.fft.rfft(blocks, dim=-1, norm="ortho")
    return torch.cat([spec.real, spec.imag], dim=-1)


def blocks_to_audio(blocks: Tensor, *, config: LSTMComposerConfig) -> Tensor:
    """Join model blocks back into audio (the inverse of :func:`audio_to_blocks`).

    Parameters
    ----------
    blocks : Tensor ``[B, n_blocks, features]``
    config : LSTMComposerConfig

    Returns
    -------
    Tensor ``[B, n_blocks * block_size]``.
    """
    if blocks.dim() != 3 or blocks.shape[-1] != config.features:
        raise BadInputError(f"blocks of shape {tuple(blocks.shape)}: pass [batch, blocks, "
                            f"{config.features}] for block_size {config.block_size} "
                            f"({config.domain})")
    if config.domain == "time":
        x = blocks
    else:
        half = blocks.shape[-1] // 2
        spec = torch.complex(blocks[..., :half].float(), blocks[..., half:].float())
        x = torch.fft.irfft(spec, n=config.block_size, dim=-1, norm="ortho")
    return x.reshape(x.shape[0], -1)


class LSTMComposer(nn.Module):
    """Dense -> ``n_layers`` LSTM -> dense, over blocks (GRUV's network).

    Parameters
    ----------
    config : LSTMComposerConfig
        Block size, domain and layer sizes; ``config.to_dict()`` goes into every
        checkpoint, which rebuilds the model with nothing else.
    """

    def __init__(self, config: LSTMComposerConfig) -> None:
        super().__init__()
        self.config = config
        self.inp = nn.Linear(config.features, config.hidden)  # time-distributed
        self.lstm = nn.LSTM(config.hidden, config.hidden, num_layers=config.n_layers,
                            batch_first=True, dropout=config.dropout if config.n_layers > 1 else 0)
        self.out = nn.Linear(config.hidden, config.features)

    def forward(self, x: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """Predict the next block at every step.

        Parameters
        ----------
        x : Tensor ``[B, N, features]``
            Blocks (see :func:`audio_to_blocks`).
        state : tuple of Tensor, optional
            The LSTM's ``(h, c)`` from the previous call; default: zeros.

        Returns
        -------
        pred : Tensor ``[B, N, features]``
            ``pred[:, i]`` predicts ``x[:, i + 1]``.
        state : tuple of Tensor
            ``(h, c)``, each ``[n_layers, B, hidden]``.
        """
        if x.dim() != 3 or x.shape[-1] != self.config.features or x.shape[1] < 1:
            raise BadInputError(f"x of shape {tuple(x.shape)}: pass [batch, blocks >= 1, "
                                f"{self.config.features}] (see audio_to_blocks)")
        h, new_state = self.lstm(self.inp(x), state)
        return self.out(h), new_state

    def _bound(self, audio: Tensor, ceiling: Tensor) -> Tensor:
        """Clip ``[B, block_size]`` audio to [-1, 1], then scale each row whose RMS
        exceeds ``ceiling`` ``[B, 1]`` down to it."""
        y = audio.clamp(-1.0, 1.0)
        rms = y.pow(2).mean(dim=-1, keepdim=True).sqrt()
        return y * torch.clamp(ceiling / rms.clamp_min(1e-12), max=1.0)

    @torch.no_grad()
    def continue_(self, seed_blocks: Tensor, *, n_blocks: int, noise: float = 0.0,
                  generator: torch.Generator | None = None) -> Tensor:
        """Compose ``n_blocks`` blocks after a seed.

        The model reads the whole seed, then each predicted block is bounded and fed
        back. Bounding works on audio (fft blocks are converted and converted back):
        the block is clipped to [-1, 1], then scaled down if its RMS exceeds the
        seed's loudest block RMS (per stream). The output is never louder than the seed,
        unlike GRUV's continuations, which grew into loud noise.

        Parameters
        ----------
        seed_blocks : Tensor ``[B, N, features]``
            The clip to continue (``N >= 1``).
        n_blocks : int
            Blocks to compose.
        noise : float
            RMS of Gaussian noise added (in the time domain) to every block fed back;
            varies the continuation. The returned blocks are the noise-free ones.
        generator : torch.Generator, optional
            On the model's device, for reproducible noise.

        Returns
        -------
        Tensor ``[B, n_blocks, features]``
        """
        cfg = self.config
        if isinstance(n_blocks, bool) or not hasattr(n_blocks, "__index__") \
                or operator.index(n_blocks) < 1:
            raise BadInputError(f"n_blocks {n_blocks!r} must be a positive integer")
        n_blocks = operator.index(n_blocks)
        if not math.isfinite(noise) or noise < 0:
            raise BadInputError(f"noise {noise:g} must be >= 0, e.g. 0.005")
        if seed_blocks.dim() != 3 or seed_blocks.shape[1] < 1 \
                or seed_blocks.shape[-1] != cfg.features:
            raise BadInputError(f"seed_blocks of shape {tuple(seed_blocks.shape)}: pass "
                                f"[batch, blocks >= 1, {cfg.features}] (see audio_to_blocks)")
        seed_audio = blocks_to_audio(seed_blocks.float(), config=cfg)
        per_block = seed_audio.reshape(seed_audio.shape[0], -1, cfg.block_size)
        ceiling = per_block.pow(2).mean(dim=-1).sqrt().amax(dim=1, keepdim=True)  # [B, 1]
        dtype = self.inp.weight.dtype
        pred, state = self(seed_blocks.to(dtype))
        nxt = self._bound(blocks_to_audio(pred[:, -1:].float(), config=cfg), ceiling)
        out = []
        for i in range(n_blocks):
            out.append(nxt)
            if i == n_blocks - 1:
                break
            feed = nxt
            if noise > 0:
                feed = nxt + noise * torch.randn(nxt.shape, generator=generator,
                                                 device=nxt.device, dtype=nxt.dtype)
            pred, state = self(audio_to_blocks(feed, config=cfg).to(dtype), state)
            nxt = self._bound(blocks_to_audio(pred.float(), config=cfg), ceiling)
        audio = torch.stack(out, dim=1).reshape(seed_blocks.shape[0], -1)
        return audio_to_blocks(audio, config=cfg)
