"""MusicGen-Melody's conditioning, computed without torchaudio.

transformers' ``MusicgenMelodyFeatureExtractor`` needs torchaudio (which pins its own
torch build); the features are simple, so loopmill computes the same ones in numpy: a
power spectrogram (Hann window of ``n_fft``, centred), the librosa chroma filter bank,
and the strongest pitch class of every frame as a one-hot vector. Continuation of a
melody model (which takes no ``input_values``) goes through the codec's codes, passed
as the decoder's prompt.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["chroma_window", "encode_prompt", "melody_chroma"]


def melody_chroma(*, y: np.ndarray, sr: int, n_fft: int, hop_length: int,
                  num_chroma: int = 12) -> np.ndarray:
    """One-hot chroma of a melody, as MusicGen-Melody is conditioned on.

    Parameters
    ----------
    y : np.ndarray
        ``[T]`` or ``[C, T]`` float audio at ``sr`` (mixed to mono).
    sr, n_fft, hop_length, num_chroma
        The model's feature-extractor settings (``preprocessor_config.json``).

    Returns
    -------
    np.ndarray
        ``[frames, num_chroma]`` float32, one 1 per frame (pitch class 0 is C);
        ``frames = 1 + T // hop_length``.
    """
    from transformers.audio_utils import chroma_filter_bank

    x = np.asarray(y, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=0)
    if x.shape[0] < n_fft:  # short melodies are padded to one window, as transformers does
        pad = n_fft - x.shape[0]
        x = np.pad(x, (pad // 2, pad - pad // 2))
    x = np.pad(x, (n_fft // 2, n_fft // 2), mode="reflect")  # centred frames
    frames = 1 + (x.shape[0] - n_fft) // hop_length
    idx = np.arange(n_fft)[None, :] + hop_length * np.arange(frames)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * np.hanning(n_fft + 1)[:-1], axis=1)) ** 2
    bank = chroma_filter_bank(num_frequency_bins=n_fft, num_chroma=num_chroma,
                              sampling_rate=sr, tuning=0)
    raw = spec @ bank.T  # [frames, chroma]
    out = np.zeros((frames, num_chroma), dtype=np.float32)
    out[np.arange(frames), raw.argmax(axis=1)] = 1.0
    return out


def chroma_window(chroma: np.ndarray, *, start_s: float, frames_per_s: float,
                  length: int) -> np.ndarray:
    """``length`` frames of ``chroma`` from ``start_s`` seconds on, the melody repeated
    as often as needed (a loop's melody keeps going past its end).

    Returns
    -------
    np.ndarray ``[length, num_chroma]``
    """
    start = round(start_s * frames_per_s)
    take = (start + np.arange(length)) % chroma.shape[0]
    return np.ascontiguousarray(chroma[take])


def encode_prompt(model: Any, audio: list[np.ndarray], *, channels: int) -> Any:
    """Codec codes of prompt audio, shaped as the decoder's ``decoder_input_ids``.

    Parameters
    ----------
    audio : list of ``[C, T]`` float32 at the codec's rate, one per batch item, same T.

    Returns
    -------
    torch.LongTensor ``[B * num_codebooks, frames]`` (stereo: left and right codebooks
    interleaved, as the stereo models predict them).
    """
    import torch

    enc = model.audio_encoder
    x = torch.from_numpy(np.stack(audio)).to(device=model.device, dtype=model.dtype)
    with torch.inference_mode():
        if channels == 1:
            codes = enc.encode(x[:, :1]).audio_codes[0]  # [B, K, frames]
        else:
            left = enc.encode(x[:, :1]).audio_codes[0]
            right = enc.encode(x[:, 1:2]).audio_codes[0]
            codes = torch.stack([left, right], dim=2).reshape(left.shape[0], -1, left.shape[2])
    return codes.reshape(-1, codes.shape[-1])
