"""Engines over the user's own trained models: SampleRNN and the LSTM composer.

Both are unconditional: they make music like their training audio and ignore the
prompt's words (the output says so). The audio goes through the loop engine like
MusicGen's, so a loop is cut at the asked tempo from whatever the model played.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from loopmill._extras import require
from loopmill.engines.base import Capabilities, EngineBase, EngineOutput
from loopmill.engines.params import GenerationParams
from loopmill.errors import BadInputError, MissingModelError
from loopmill.prompts.spec import MusicSpec

__all__ = ["PROMPT_NOTE", "TrainedEngine", "sample_audio"]

PROMPT_NOTE = ("the prompt's words are ignored: a trained SampleRNN or LSTM model is "
               "unconditional and plays like its training audio")


def _torch() -> Any:
    return require("torch", what="a trained SampleRNN or LSTM model", extra="train")


def sample_audio(model: Any, kind: str, *, seconds: float, count: int = 1,
                 temperature: float = 1.0, seed: int = 0,
                 seed_audio: Any = None) -> list[np.ndarray]:
    """``count`` streams of ``seconds`` each, generated together in one batch.

    Parameters
    ----------
    model : SampleRNN or LSTMComposer
        In eval mode, on its device.
    kind : str
        ``samplernn`` or ``lstm``.
    temperature : float
        SampleRNN: divides the logits. LSTM: scales the noise added to the fed-back
        blocks (0.005 x temperature), which varies the continuation.
    seed_audio : Tensor ``[T]``, optional
        LSTM: audio to continue (a window of it is picked by the seed).

    Returns
    -------
    list of ``[T]`` float32 arrays at the model's rate.
    """
    torch = _torch()
    if seconds <= 0 or count < 1:
        raise BadInputError(f"seconds {seconds:g} and count {count} must be positive",
                            field=("seconds", "count"))
    dev = next(model.parameters()).device
    gen = torch.Generator(device=dev).manual_seed(int(seed))
    sr = int(model.config.sample_rate)
    if kind == "samplernn":
        from loopmill.models.samplernn import dequantize

        q = model.generate(n_samples=round(seconds * sr), batch_size=count,
                           temperature=temperature, generator=gen)
        y = dequantize(q, q_levels=model.config.q_levels, kind=model.config.quantization)
        return [row.cpu().numpy().astype(np.float32) for row in y]
    from loopmill.models.lstm_composer import audio_to_blocks, blocks_to_audio

    cfg = model.config
    if seed_audio is None or len(seed_audio) < 2 * cfg.block_size:
        raise MissingModelError("this LSTM checkpoint holds no seed audio to continue; pass "
                                "an audio file as continue_from", field="continue_from")
    rng = np.random.default_rng(seed)
    span = min(len(seed_audio), 8 * cfg.block_size)
    starts = rng.integers(0, len(seed_audio) - span + 1, size=count)
    clips = torch.stack([torch.as_tensor(seed_audio[s: s + span]) for s in starts]).to(dev)
    blocks = audio_to_blocks(clips.float(), config=cfg)
    n = max(1, int(np.ceil(seconds * sr / cfg.block_size)))
    out = model.continue_(blocks, n_blocks=n, noise=0.005 * temperature, generator=gen)
    y = blocks_to_audio(out, config=cfg)[:, : round(seconds * sr)]
    return [row.cpu().numpy().astype(np.float32) for row in y]


class TrainedEngine(EngineBase):
    """A SampleRNN or LSTM checkpoint as a loopmill engine (``--engine samplernn|lstm
    --model CHECKPOINT``); ``kind=None`` takes whichever the checkpoint holds."""

    capabilities = Capabilities(loads=True, needs_model=True)

    @classmethod
    def from_model(cls, model: str | None, **options: Any) -> TrainedEngine:
        """The engine for a checkpoint (``options``: ``kind``, ``device``)."""
        kind = options.pop("kind", None)
        return cls(kind, model, **options)

    def __init__(self, kind: str | None, checkpoint: str | None, *,
                 device: str = "auto") -> None:
        if not checkpoint:
            raise BadInputError(f"engine {kind} needs model CHECKPOINT: a .pt file or a run "
                                "folder from `loopmill train`", field=("engine", "model"))
        self.name = kind or "trained"
        self.kind, self.checkpoint, self.device = kind, checkpoint, device
        self._model: Any = None
        self._data: dict[str, Any] = {}

    def check(self) -> None:
        """Cheap check (no loading): the checkpoint exists."""
        from loopmill.training.checkpoint import checkpoint_path

        checkpoint_path(self.checkpoint)

    def load(self) -> None:
        """Load the model now; a missing or foreign checkpoint fails here."""
        if self._model is not None:
            return
        torch = _torch()
        from loopmill.training.checkpoint import load_model

        dev = self.device if self.device != "auto" else (
            "cuda" if torch.cuda.is_available() else "cpu")
        kind, model, data = load_model(self.checkpoint, device=dev)
        if self.kind is not None and kind != self.kind:
            raise BadInputError(f"{self.checkpoint} is a {kind} checkpoint; use engine {kind}",
                                field="engine")
        if dev == "cpu":
            from loopmill._threads import use_torch_threads

            use_torch_threads(model)  # small models: one thread (see _threads.torch_threads)
        self.kind, self._model, self._data = kind, model, data

    @property
    def sample_rate(self) -> int:
        """The model's own rate (the training audio's); loads the model."""
        self.load()
        return int(self._model.config.sample_rate)

    def sample(self, *, seconds: float, count: int = 1, temperature: float = 1.0,
               seed: int = 0, seed_audio: Any = None) -> list[np.ndarray]:
        """Raw streams at :attr:`sample_rate` (see :func:`sample_audio`); the LSTM
        continues ``seed_audio``, by default the clip stored in its checkpoint."""
        self.load()
        if seed_audio is None:
            seed_audio = self._data.get("seed_audio")
        return sample_audio(self._model, str(self.kind), seconds=seconds, count=count,
                            temperature=temperature, seed=seed, seed_audio=seed_audio)

    def generate(self, spec: MusicSpec, params: GenerationParams, *, sr: int) -> EngineOutput:
        """Enough audio for the loop engine: the longest loop asked for, half again, and
        two bars, at the model's rate resampled to ``sr``."""
        from loopmill.audio.resample import resample

        seed = spec.seed if spec.seed is not None else int(np.random.default_rng().integers(2**31))
        bpm = float(spec.bpm or 120.0)
        seconds = spec.max_duration * 1.5 + 8 * 60.0 / bpm
        model_sr = self.sample_rate
        seed_audio = None
        if params.extra.get("continue"):
            from loopmill.audio import load

            seed_audio = load(str(params.extra["continue"]), sr=model_sr, mono=True)[0][0]
        (audio,) = self.sample(seconds=seconds, temperature=params.temperature, seed=seed,
                               seed_audio=seed_audio)
        y = audio[None, :]
        if sr != model_sr:
            y = resample(y, orig_sr=model_sr, target_sr=sr)
        return EngineOutput(audio=np.ascontiguousarray(y, dtype=np.float32), sr=sr,
                            seamless=False, bpm=bpm, bars=None, beats_per_bar=4, key=None,
                            seed=seed, info={"model": str(self._data.get("path")),
                                             "note": PROMPT_NOTE})
