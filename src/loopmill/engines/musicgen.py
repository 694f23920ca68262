"""MusicGen through Hugging Face ``transformers`` (not audiocraft, which pins torch 2.1).

Models by hub id (``facebook/musicgen-small`` … ``-stereo-large``, ``-melody``) or by a
local folder with the same layout (config, generation config, weights, processor).
Audio longer than the model's window (30 s for Meta's checkpoints) is made by
windowed continuation, as audiocraft does: each new window is prompted with the last
``window - stride`` seconds and contributes ``stride`` new seconds; the last frames
of every window, where MusicGen often turns noisy, are generated and dropped.
The output is not a loop yet: the pipeline cuts one with the loop engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from loopmill import settings
from loopmill._extras import ensure_installed, require
from loopmill._hub import not_available, resolve_offline
from loopmill.engines.base import Capabilities, EngineBase, EngineOutput
from loopmill.engines.params import GenerationParams
from loopmill.errors import BadInputError, MissingModelError
from loopmill.prompts.spec import MusicSpec

__all__ = ["HUB_MODELS", "MusicGenEngine", "load_musicgen", "prompt_text"]

HUB_MODELS = tuple(f"facebook/musicgen-{n}" for n in (
    "small", "medium", "large", "melody", "stereo-small", "stereo-medium", "stereo-large",
    "stereo-melody"))
_TRIM_S = 0.2  # MusicGen's last frames are often noisy: generated, then dropped


def _torch() -> Any:
    torch = require("torch", what="the musicgen engine", extra="musicgen")
    require("transformers", what="the musicgen engine", extra="musicgen")
    return torch


@dataclass
class LoadedModel:
    """A model, its processor and where it runs."""

    model: Any
    processor: Any
    device: str
    dtype: Any
    name: str
    #: a melody model's feature settings (``preprocessor_config.json``); else None
    chroma: dict[str, Any] | None = None

    @property
    def sampling_rate(self) -> int:
        """The audio codec's rate (32 kHz for Meta's models)."""
        return int(self.model.config.audio_encoder.sampling_rate)

    @property
    def frame_rate(self) -> float:
        """Codec frames (decoder steps) per second of audio."""
        return float(self.model.config.audio_encoder.frame_rate)

    @property
    def channels(self) -> int:
        """1, or 2 for the stereo models."""
        return int(getattr(self.model.config.audio_encoder, "audio_channels", 1))

    @property
    def window_s(self) -> float:
        """Longest audio one call can make (``max_length`` steps of the decoder)."""
        steps = int(getattr(self.model.generation_config, "max_length", 0) or 1503)
        return (steps - self.model.decoder.num_codebooks) / self.frame_rate


def _device(device: str) -> str:
    torch = _torch()
    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def load_musicgen(model: str = settings.MUSICGEN_MODEL, *, device: str = "auto",
                  dtype: str | None = None) -> LoadedModel:
    """Load a MusicGen model and its processor from a hub id or a local folder.

    Parameters
    ----------
    model : str
        ``facebook/musicgen-*`` or a folder saved with ``save_pretrained``.
    device : str
        ``auto`` (cuda, then mps, then cpu), or any torch device.
    dtype : str, optional
        ``float32``, ``float16`` or ``bfloat16``; default bf16 (fp16 where bf16 is not
        supported) on a GPU, fp32 on the CPU.

    Raises
    ------
    MissingDependencyError
        torch or transformers is missing.
    MissingModelError
        The folder is not a MusicGen model, or the hub id is not downloaded and the
        hub cannot be reached (offline, ``HF_HUB_OFFLINE=1``).
    """
    # The model is found (folder, cache or a hub that answers) before torch and
    # transformers are imported: those take seconds, and a missing model fails fast.
    for module in ("torch", "transformers"):
        ensure_installed(module, what="the musicgen engine", extra="musicgen")
    local = Path(model).expanduser()
    is_local = local.is_dir() or model.startswith((".", "/", "~"))
    if is_local and not (local / "config.json").is_file():
        raise MissingModelError(
            f"{model} is not a MusicGen model folder (no config.json); pass a folder saved "
            "with save_pretrained, or a hub id such as facebook/musicgen-small"
        )
    # Cached: load from the cache alone. Not cached: one quiet check that the hub
    # answers, so a machine without network fails in one line, in seconds.
    offline = True if is_local else resolve_offline(model)
    torch = _torch()
    from transformers import (
        AutoConfig,
        AutoProcessor,
        AutoTokenizer,
        MusicgenForConditionalGeneration,
        MusicgenMelodyForConditionalGeneration,
    )

    dev = _device(device)
    if dtype is None:
        if dev == "cuda":
            dt = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        else:
            dt = torch.float32
    else:
        if dtype not in ("float32", "float16", "bfloat16"):
            raise BadInputError(f"dtype {dtype!r}: use float32, float16 or bfloat16")
        dt = getattr(torch, dtype)
    where = str(local) if is_local else model
    chroma = None
    net: Any
    try:
        kind = AutoConfig.from_pretrained(where, local_files_only=offline).model_type
        if kind == "musicgen_melody":
            # Melody features are computed in loopmill (the transformers extractor
            # needs torchaudio): only the tokenizer and the extractor's settings load.
            from transformers.utils import cached_file

            net = MusicgenMelodyForConditionalGeneration.from_pretrained(
                where, torch_dtype=dt, local_files_only=offline)
            proc = AutoTokenizer.from_pretrained(where, local_files_only=offline)
            fe = cached_file(where, "preprocessor_config.json", local_files_only=offline)
            chroma = json.loads(Path(str(fe)).read_text())
        else:
            net = MusicgenForConditionalGeneration.from_pretrained(
                where, torch_dtype=dt, local_files_only=offline)
            proc = AutoProcessor.from_pretrained(where, local_files_only=offline)
    except OSError as exc:
        if is_local:
            first = str(exc).splitlines()[0]
            raise MissingModelError(
                f"cannot load the model in {model}: {first}; is the folder complete?"
            ) from None
        raise not_available(model, why=f"loading it failed ({str(exc).splitlines()[0]})"
                            ) from None
    except (ValueError, KeyError) as exc:
        raise MissingModelError(f"{model} is not a usable MusicGen model: {exc}") from None
    net = net.to(dev).eval()
    if dev == "cpu":
        from loopmill._threads import use_torch_threads

        use_torch_threads(net)  # a tiny model: one thread (see _threads.torch_threads)
    return LoadedModel(model=net, processor=proc, device=dev, dtype=dt, name=model,
                       chroma=chroma)


def prompt_text(spec: MusicSpec, bpm: float) -> str:
    """The text sent to the model: the prompt plus the tempo and key it must keep."""
    parts = [spec.text.strip()] if spec.text.strip() else []
    if "bpm" not in spec.text.lower():
        parts.append(f"{bpm:g} bpm")
    if spec.key_name and spec.key_name.lower() not in spec.text.lower():
        parts.append(spec.key_name)
    return ", ".join(parts)


class MusicGenEngine(EngineBase):
    """The MusicGen engine; the model loads on first use and stays loaded.

    Parameters
    ----------
    model, device, dtype
        See :func:`load_musicgen`.
    stride_s : float
        New seconds per continuation window past the model's window (audiocraft: 10;
        at most the window minus one second).
    window_s : float, optional
        Override the model's window (tests use short ones).
    """

    name = "musicgen"
    capabilities = Capabilities(loads=True, batch=True, needs_model=True, melody=True,
                                continuation=True)

    @classmethod
    def from_model(cls, model: str | None, **options: Any) -> MusicGenEngine:
        """The engine for a hub id or folder (default ``facebook/musicgen-small``)."""
        return cls(model or "facebook/musicgen-small", **options)

    def __init__(self, model: str = settings.MUSICGEN_MODEL, *, device: str = "auto",
                 dtype: str | None = None, stride_s: float = 10.0,
                 window_s: float | None = None) -> None:
        self.model_name, self.device, self.dtype = model, device, dtype
        self.stride_s, self._window_s = stride_s, window_s
        self._loaded: LoadedModel | None = None

    def check(self) -> None:
        """Cheap availability check without loading weights (a coordinator's check).

        Raises
        ------
        MissingDependencyError, MissingModelError
            As :func:`load_musicgen` would, for a missing package, a folder without a
            config, or a hub id that is not in the local cache while the hub is off or
            does not answer (one quiet check of a few seconds).
        """
        # No import here: torch + transformers take seconds, and this check fails fast.
        for module in ("torch", "transformers"):
            ensure_installed(module, what="the musicgen engine", extra="musicgen")
        local = Path(self.model_name).expanduser()
        if local.is_dir() or self.model_name.startswith((".", "/", "~")):
            if not (local / "config.json").is_file():
                raise MissingModelError(
                    f"{self.model_name} is not a MusicGen model folder (no config.json); pass "
                    "a folder saved with save_pretrained, or a hub id such as "
                    "facebook/musicgen-small"
                )
            return
        resolve_offline(self.model_name)

    def load(self) -> None:
        """Load the model now (a missing model fails here, before any work)."""
        _ = self.loaded

    @property
    def loaded(self) -> LoadedModel:
        """The model (loaded now if it is not yet)."""
        if self._loaded is None:
            self._loaded = load_musicgen(self.model_name, device=self.device, dtype=self.dtype)
        return self._loaded

    def _generate(self, texts: list[str], seconds: float, params: GenerationParams,
                  prompt_audio: list[np.ndarray] | None = None,
                  chroma: list[np.ndarray] | None = None) -> list[np.ndarray]:
        """One batched call: ``seconds`` of new audio for each text, ``[C, T]`` each.

        ``chroma`` (melody models): ``[frames, 12]`` one-hot conditioning per text.
        """
        torch = _torch()
        lm = self.loaded
        skip = 0
        if lm.chroma is not None:  # a melody model: tokenizer, chroma, codec prompt
            inputs = dict(lm.processor(texts, padding=True, return_tensors="pt"))
            if chroma is not None:
                inputs["input_features"] = torch.from_numpy(np.stack(chroma)).to(lm.dtype)
            if prompt_audio is not None:
                from loopmill.engines.musicgen_melody import encode_prompt

                ids = encode_prompt(lm.model, prompt_audio, channels=lm.channels)
                inputs["decoder_input_ids"] = ids
                skip = round(ids.shape[-1] * lm.sampling_rate / lm.frame_rate)
        else:
            kw: dict[str, Any] = {"text": texts, "padding": True, "return_tensors": "pt"}
            if prompt_audio is not None:
                kw["audio"] = [a if lm.channels > 1 else a[0] for a in prompt_audio]
                kw["sampling_rate"] = lm.sampling_rate
                skip = prompt_audio[0].shape[1]
            inputs = dict(lm.processor(**kw))
        inputs = {k: v.to(lm.device) for k, v in inputs.items()}
        if "input_values" in inputs:
            inputs["input_values"] = inputs["input_values"].to(lm.dtype)
        if params.extra.get("conditioning") is not None:
            inputs = self._conditioned(inputs, params, batch=len(texts))
        steps = round((seconds + _TRIM_S) * lm.frame_rate)
        with torch.inference_mode():
            out = lm.model.generate(
                **inputs, max_new_tokens=steps, do_sample=True,
                temperature=params.temperature, top_k=params.top_k or None,
                top_p=params.top_p or None, guidance_scale=params.guidance or None,
            )
        audio = out.float().cpu().numpy()  # [B, C, T]
        new = round(seconds * lm.sampling_rate)
        return [np.ascontiguousarray(a[:, skip:skip + new], dtype=np.float32) for a in audio]

    def encode_text(self, texts: list[str]) -> np.ndarray:
        """The text encoder's output for each text, ``[B, tokens, hidden]`` float32: what
        generation attends to, and what ``params.extra["conditioning"]`` replaces."""
        torch = _torch()
        lm = self.loaded
        tok = lm.processor if lm.chroma is not None else lm.processor.tokenizer
        ids = tok(texts, padding=True, return_tensors="pt")
        with torch.inference_mode():
            out = lm.model.text_encoder(input_ids=ids["input_ids"].to(lm.device),
                                        attention_mask=ids["attention_mask"].to(lm.device))
        return np.asarray(out.last_hidden_state.float().cpu().numpy(), dtype=np.float32)

    def _conditioned(self, inputs: dict[str, Any], params: GenerationParams, *,
                     batch: int) -> dict[str, Any]:
        """``inputs`` with the text replaced by given encoder states ``[tokens, hidden]``
        (the same for every item); the unconditional half for guidance is zeros, as
        transformers makes it from a text."""
        torch = _torch()
        from transformers.modeling_outputs import BaseModelOutput

        lm = self.loaded
        cond = np.asarray(params.extra["conditioning"], dtype=np.float32)
        hidden = int(lm.model.text_encoder.config.d_model)
        if cond.ndim != 2 or cond.shape[1] != hidden or not np.isfinite(cond).all():
            raise BadInputError(f"conditioning must be finite [tokens, {hidden}] encoder states "
                                f"of this model, not shape {cond.shape}")
        h = torch.from_numpy(cond).to(lm.device, lm.dtype)[None].repeat(batch, 1, 1)
        mask = torch.ones(h.shape[:2], dtype=torch.long, device=lm.device)
        if (params.guidance or 0) > 1:
            h = torch.cat([h, torch.zeros_like(h)], dim=0)
            mask = torch.cat([mask, torch.zeros_like(mask)], dim=0)
        # input_ids stay only to give generate the batch size: the states replace them
        out = {k: v for k, v in inputs.items() if k != "attention_mask"}
        out.update(encoder_outputs=BaseModelOutput(last_hidden_state=h), attention_mask=mask)
        return out

    def generate_batch(self, specs: list[MusicSpec], params: GenerationParams, *,
                       seconds: float, seed: int, prompt_audio: np.ndarray | None = None,
                       melody: np.ndarray | None = None) -> list[np.ndarray]:
        """``seconds`` of audio for each spec in one batched call per window.

        Parameters
        ----------
        prompt_audio : ndarray ``[C, T]`` at the model's rate, optional
            Audio to continue: its end prompts the first window, and only the new
            audio is returned.
        melody : ndarray ``[T]`` at the model's rate, optional
            Melody models: the tune to follow (its chroma, repeated as needed, is
            aligned with the new audio in every window).

        Returns
        -------
        list of ndarray ``[C, T]`` float32 at the model's rate, ``T = seconds * sr``.
        """
        torch = _torch()
        lm = self.loaded
        window = self._window_s or lm.window_s
        window_new = window - _TRIM_S
        if seconds <= 0:
            raise BadInputError(f"duration {seconds:g} s must be positive")
        if melody is not None and lm.chroma is None:
            raise BadInputError("melody needs a model that follows a tune, such as "
                                f"facebook/musicgen-melody; {lm.name} is not one",
                                field="melody")
        stride = min(self.stride_s, window_new - 1.0) if window_new > 2 else window_new / 2
        hop = round(lm.sampling_rate / lm.frame_rate)
        # whole codec frames, so a prompt decodes to exactly the audio it came from
        keep = max(hop, round((window_new - stride) * lm.sampling_rate / hop) * hop)
        texts = [prompt_text(s, s.bpm or 120.0) for s in specs]
        conditioning = self._melody(melody)

        def cond(start_s: float) -> list[np.ndarray] | None:
            if conditioning is None:
                return None
            from loopmill.engines.musicgen_melody import chroma_window

            mel, fps, length = conditioning
            return [chroma_window(mel, start_s=start_s, frames_per_s=fps, length=length)
                    ] * len(texts)

        torch.manual_seed(seed)
        if prompt_audio is None:
            first = min(seconds, window_new)
            outs = self._generate(texts, first, params, chroma=cond(0.0))
        else:
            tail = np.ascontiguousarray(prompt_audio[:, -keep:], dtype=np.float32)
            first = min(seconds, stride)
            outs = self._generate(texts, first, params, prompt_audio=[tail] * len(texts),
                                  chroma=cond(-tail.shape[1] / lm.sampling_rate))
        while outs[0].shape[1] < round(seconds * lm.sampling_rate):
            tails = [o[:, -keep:] for o in outs]
            more = min(stride, seconds - outs[0].shape[1] / lm.sampling_rate)
            start = (outs[0].shape[1] - tails[0].shape[1]) / lm.sampling_rate
            new = self._generate(texts, more, params, prompt_audio=tails, chroma=cond(start))
            outs = [np.concatenate([o, n], axis=1) for o, n in zip(outs, new, strict=True)]
        total = round(seconds * lm.sampling_rate)
        return [o[:, :total] for o in outs]

    def _melody(self, melody: np.ndarray | None) -> tuple[np.ndarray, float, int] | None:
        """A melody's one-hot chroma, its frames per second and the model's chroma length."""
        lm = self.loaded
        if melody is None or lm.chroma is None:
            return None
        from loopmill.engines.musicgen_melody import melody_chroma

        fe = lm.chroma
        sr, hop = int(fe.get("sampling_rate", 32000)), int(fe.get("hop_length", 4096))
        mel = melody_chroma(y=melody, sr=sr, n_fft=int(fe.get("n_fft", 16384)), hop_length=hop,
                            num_chroma=int(fe.get("num_chroma", 12)))
        return mel, sr / hop, int(getattr(lm.model.config, "chroma_length", 235))

    def generate_audio(self, spec: MusicSpec, params: GenerationParams, *, seconds: float,
                       sr: int, seed: int, prompt_audio: np.ndarray | None = None) -> np.ndarray:
        """``[C, T]`` audio of ``seconds`` at ``sr``, continuing ``prompt_audio``
        (``[C, T]`` at ``sr``; its end prompts the model) when given."""
        from loopmill.audio.resample import resample

        lm = self.loaded
        prompt = None
        if prompt_audio is not None:
            prompt = resample(prompt_audio, orig_sr=sr, target_sr=lm.sampling_rate)
            if prompt.shape[0] != lm.channels:
                prompt = np.repeat(prompt.mean(axis=0, keepdims=True), lm.channels, axis=0)
        (audio,) = self.generate_batch([spec], params, seconds=seconds, seed=seed,
                                       prompt_audio=prompt)
        if lm.sampling_rate != sr:
            audio = resample(audio, orig_sr=lm.sampling_rate, target_sr=sr)
        return np.asarray(audio, dtype=np.float32)

    def generate(self, spec: MusicSpec, params: GenerationParams, *, sr: int) -> EngineOutput:
        """Make ``spec.max_duration`` seconds (plus room) for the loop engine to cut."""
        return self.generate_many([spec], params, sr=sr)[0]

    def generate_many(self, specs: list[MusicSpec], params: GenerationParams, *,
                      sr: int) -> list[EngineOutput]:
        """One output per spec, all in one batched call per window.

        The batch is seeded with the first spec's seed (drawn when it has none): the
        same specs in the same order give the same audio. Each output records its own
        spec's seed and, for a batch of more than one, ``info["batch"]`` (the batch
        seed, its index and the batch size) — what it takes to make it again.
        """
        from loopmill.audio.resample import resample

        if not specs:
            return []
        first = specs[0].seed
        batch_seed = first if first is not None else int(np.random.default_rng().integers(2**31))
        # Room for the loop engine: the longest loop asked for, half again, and two bars
        # (the model may drift to half or double time; the search needs whole bars).
        seconds = max(s.max_duration * 1.5 + 8 * 60.0 / float(s.bpm or 120.0) for s in specs)
        lm = self.loaded
        prompt = None
        if params.extra.get("continue"):
            from loopmill.audio import load

            prompt, _ = load(str(params.extra["continue"]), sr=lm.sampling_rate,
                             mono=lm.channels == 1)
            if prompt.shape[0] != lm.channels:  # a mono file for a stereo model
                prompt = np.repeat(prompt[:1], lm.channels, axis=0)
        melody = None
        if params.extra.get("melody"):
            from loopmill.audio import load

            # generate_batch refuses a model without melody conditioning
            rate = int((lm.chroma or {}).get("sampling_rate", lm.sampling_rate))
            mono, _ = load(str(params.extra["melody"]), sr=rate, mono=True)
            melody = mono[0]
        audios = self.generate_batch(list(specs), params, seconds=seconds, seed=batch_seed,
                                     prompt_audio=prompt, melody=melody)
        outs = []
        for i, (spec, audio) in enumerate(zip(specs, audios, strict=True)):
            if sr != lm.sampling_rate:
                audio = resample(audio, orig_sr=lm.sampling_rate, target_sr=sr)
            bpm = float(spec.bpm or 120.0)
            info: dict[str, Any] = {"model": lm.name, "device": lm.device,
                                    "prompt_sent": prompt_text(spec, bpm)}
            if len(specs) > 1:
                info["batch"] = {"seed": batch_seed, "index": i, "size": len(specs)}
            seed = spec.seed if spec.seed is not None else (batch_seed + i) % 2**31
            outs.append(EngineOutput(audio=audio, sr=sr, seamless=False, bpm=bpm, bars=None,
                                     beats_per_bar=4, key=spec.key_name, seed=seed, info=info))
        return outs
