"""The GRUV-style LSTM composer: audio as a sequence of blocks, next block predicted.

Audio is cut into blocks of ``block_size`` samples (0.25 s at 44.1 kHz), in the time
domain or as the real and imaginary parts of each block's FFT. A time-distributed
dense layer, a stack of LSTMs and a second dense layer predict the next block; to
compose, the model warms up on a seed clip and then feeds its own predictions back.

GRUV's continuations grew into loud noise: each fed-back error adds to the next. Here
every generated block is clipped to [-1, 1] and rescaled when its RMS exceeds the
loudest block of the seed, so a continuation stays as loud as its seed at most.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from loopmill.errors import BadInputError

__all__ = ["LSTMComposer", "LSTMComposerConfig", "audio_to_blocks", "blocks_to_audio"]


@dataclass
class LSTMComposerConfig:
    """Hyperparameters, saved inside every checkpoint and rebuilt from it on load."""

    block_size: int = 11025
    domain: str = "time"
    hidden: int = 1024
    n_layers: int = 4
    sample_rate: int = 44100
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("block_size", "hidden", "n_layers", "sample_rate"):
            if int(getattr(self, name)) < 1:
                raise BadInputError(f"{name} {getattr(self, name)} must be at least 1")
        if self.domain not in ("time", "fft"):
            raise BadInputError(f"domain {self.domain!r}: use time or fft")
        if not 0.0 <= self.dropout < 1.0:
            raise BadInputError(f"dropout {self.dropout:g} must be in [0, 1)")

    @property
    def features(self) -> int:
        """Numbers per block: the samples, or the real and imaginary parts of the
        ``block_size // 2 + 1`` FFT bins."""
        return self.block_size if self.domain == "time" else 2 * (self.block_size // 2 + 1)

    def to_dict(self) -> dict[str, Any]:
        """Plain types, for a checkpoint."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LSTMComposerConfig:
        """Rebuild from :meth:`to_dict`."""
        return cls(**data)


def audio_to_blocks(y: Tensor, *, config: LSTMComposerConfig) -> Tensor:
    """``[T]`` or ``[B, T]`` audio -> ``[B, n_blocks, features]`` (a partial last block
    is dropped)."""
    x = y.unsqueeze(0) if y.dim() == 1 else y
    n = x.shape[1] // config.block_size
    blocks = x[:, : n * config.block_size].reshape(x.shape[0], n, config.block_size)
    if config.domain == "time":
        return blocks.float()
    spec = torch.fft.rfft(blocks.float(), dim=-1)
    return torch.cat([spec.real, spec.imag], dim=-1)


def blocks_to_audio(blocks: Tensor, *, config: LSTMComposerConfig) -> Tensor:
    """``[B, n_blocks, features]`` -> ``[B, n_blocks * block_size]`` audio."""
    if config.domain == "time":
        x = blocks
    else:
        half = blocks.shape[-1] // 2
        spec = torch.complex(blocks[..., :half], blocks[..., half:])
        x = torch.fft.irfft(spec, n=config.block_size, dim=-1)
    return x.reshape(x.shape[0], -1)


class LSTMComposer(nn.Module):
    """Dense -> ``n_layers`` LSTM -> dense, over blocks.

    Parameters
    ----------
    config : LSTMComposerConfig
    """

    def __init__(self, config: LSTMComposerConfig) -> None:
        super().__init__()
        self.config = config
        self.inp = nn.Linear(config.features, config.hidden)
        self.lstm = nn.LSTM(config.hidden, config.hidden, num_layers=config.n_layers,
                            batch_first=True, dropout=config.dropout if config.n_layers > 1 else 0)
        self.out = nn.Linear(config.hidden, config.features)

    def forward(self, x: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """``x`` [B, N, features] -> the predicted next block at every step, and the
        LSTM state."""
        h, state = self.lstm(self.inp(x), state)
        return self.out(h), state

    def _bound(self, block: Tensor, ceiling: Tensor) -> Tensor:
        """Clip one predicted block to [-1, 1] and to the seed's loudest block RMS."""
        cfg = self.config
        y = blocks_to_audio(block, config=cfg).clamp(-1.0, 1.0)  # [B, block_size]
        rms = y.pow(2).mean(dim=-1, keepdim=True).sqrt()
        y = y * torch.clamp(ceiling / rms.clamp_min(1e-9), max=1.0)
        return audio_to_blocks(y, config=cfg)

    @torch.no_grad()
    def continue_(self, seed_blocks: Tensor, *, n_blocks: int, noise: float = 0.0,
                  generator: torch.Generator | None = None) -> Tensor:
        """Compose ``n_blocks`` blocks after ``seed_blocks`` ``[B, N, features]``.

        ``noise`` adds Gaussian noise of that RMS to every fed-back block (variety).
        Every block is bounded (see the module docstring), so the output audio stays
        within [-1, 1] and no block is louder than the seed's loudest.

        Returns
        -------
        Tensor ``[B, n_blocks, features]``
        """
        if n_blocks < 1:
            raise BadInputError(f"n_blocks {n_blocks} must be at least 1")
        seed_audio = blocks_to_audio(seed_blocks, config=self.config)
        per_block = seed_audio.reshape(seed_audio.shape[0], -1, self.config.block_size)
        ceiling = per_block.pow(2).mean(dim=-1).sqrt().amax(dim=1, keepdim=True)  # [B, 1]
        pred, state = self(seed_blocks)
        nxt = self._bound(pred[:, -1:], ceiling)
        out = []
        for _ in range(n_blocks):
            out.append(nxt)
            feed = nxt
            if noise > 0:
                feed = nxt + noise * torch.randn(nxt.shape, generator=generator,
                                                 device=nxt.device)
            pred, state = self(feed, state)
            nxt = self._bound(pred, ceiling)
        return torch.cat(out, dim=1)
