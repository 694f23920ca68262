"""Embedders: audio ``[C, T]`` -> a fixed-length vector whose cosine compares music.

* ``features`` (default, offline, milliseconds): loopmill's own frame features
  (:func:`loopmill.analysis.features.compute_features`) summarised as log-mel
  statistics, chroma statistics, an onset/tempo profile, loudness statistics and
  spectral contrast; each value standardised with fixed reference statistics of
  composer loops, and each block weighted so that no block dominates the cosine.
* ``clap:PATH``: a local CLAP model (``transformers``' ``ClapModel``; a hub id or a
  folder saved with ``save_pretrained``), its audio projection.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from loopmill.errors import BadInputError, MissingDependencyError, MissingModelError

__all__ = ["EMBEDDERS", "ClapEmbedder", "Embedder", "FeatureEmbedder", "cosine",
           "make_embedder"]

ANALYSIS_SR = 16000
#: block name -> size, in the order of the vector
BLOCKS: dict[str, int] = {"mel_mean": 32, "mel_std": 32, "chroma_mean": 12, "chroma_std": 12,
                          "onset": 18, "loudness": 3, "contrast": 6}


class Embedder(Protocol):
    """Audio -> vector."""

    name: str
    dim: int

    def embed(self, y: np.ndarray, *, sr: int) -> np.ndarray:
        """``y`` ``[C, T]`` at ``sr`` -> float64 vector ``[dim]``."""
        ...


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of the rows of ``a`` ``[N, D]`` (or ``[D]``) with ``b`` ``[D]``."""
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b)
    return np.asarray(a @ b / np.maximum(den, 1e-12))


def _raw_features(y: np.ndarray, *, sr: int) -> np.ndarray:
    """The unstandardised feature vector (see :data:`BLOCKS`)."""
    from loopmill.analysis.features import compute_features

    f = compute_features(y, sr=sr, analysis_sr=ANALYSIS_SR, hop_length=256, n_fft=1024)
    mel = f.mel_db.reshape(32, 2, -1).mean(axis=1)  # 64 -> 32 bands
    onset = f.onset_env.astype(np.float64)
    o = onset - onset.mean()
    ac = np.correlate(o, o, mode="full")[o.size - 1:]
    ac = ac / ac[0] if ac.size and ac[0] > 1e-12 else np.zeros_like(ac)
    # onset autocorrelation at 16 lags from 32 ms to 1 s (log spaced): the groove's
    # periodicities, whatever the tempo
    lags = np.unique(np.geomspace(2, ANALYSIS_SR / 256, 16).astype(int))
    prof = np.zeros(16)
    prof[: lags.size] = ac[np.minimum(lags, ac.size - 1)] if ac.size else 0.0
    rms_db = 20 * np.log10(np.maximum(f.rms.astype(np.float64), 1e-6))
    bands = np.array_split(f.mel_db, 6, axis=0)
    contrast = [float(np.mean(np.percentile(b, 95, axis=0) - np.percentile(b, 5, axis=0)))
                for b in bands]
    return np.concatenate([
        mel.mean(axis=1), mel.std(axis=1), f.chroma.mean(axis=1), f.chroma.std(axis=1),
        [onset.mean(), onset.std()], prof,
        [rms_db.mean(), rms_db.std(), np.percentile(rms_db, 95) - np.percentile(rms_db, 10)],
        contrast,
    ]).astype(np.float64)


class FeatureEmbedder:
    """loopmill's own features as a standardised vector (offline, no model).

    Parameters
    ----------
    mean, std : ndarray, optional
        Reference statistics; default those of composer loops in
        :mod:`loopmill.evolve._embed_stats` (made by :func:`reference_stats`).
    """

    name = "features"
    dim = sum(BLOCKS.values())

    def __init__(self, mean: np.ndarray | None = None, std: np.ndarray | None = None) -> None:
        if mean is None or std is None:
            from loopmill.evolve import _embed_stats

            mean, std = np.asarray(_embed_stats.MEAN), np.asarray(_embed_stats.STD)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.maximum(np.asarray(std, dtype=np.float64), 1e-6)
        if self.mean.shape != (self.dim,) or self.std.shape != (self.dim,):
            raise BadInputError(f"reference statistics need {self.dim} values each")
        # each block counts as much as any other in a cosine, whatever its size
        self.weight = np.concatenate([np.full(n, 1 / np.sqrt(n)) for n in BLOCKS.values()])

    def embed(self, y: np.ndarray, *, sr: int) -> np.ndarray:
        """``y`` ``[C, T]`` at ``sr`` -> standardised float64 vector ``[dim]``.

        Raises
        ------
        BadInputError
            Not audio, NaN samples, or shorter than a quarter second.
        """
        if np.asarray(y).shape[-1] < sr // 4:
            raise BadInputError("audio is shorter than 0.25 s; embed at least a bar")
        return (_raw_features(y, sr=sr) - self.mean) / self.std * self.weight


def reference_stats(n: int = 64, *, seed: int = 0, sr: int = 22050) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """Mean and standard deviation of the raw features of ``n`` composer loops with
    random controls over every genre (what :mod:`_embed_stats` holds)."""
    from loopmill.engines.composer.arrange import STYLES
    from loopmill.engines.registry import get_engine
    from loopmill.evolve.genomes import ComposerGenome
    from loopmill.prompts.spec import MusicSpec

    rng = np.random.default_rng(seed)
    eng = get_engine("composer")
    rows = []
    genres = sorted(STYLES)
    for i in range(n):
        g = ComposerGenome(MusicSpec("", genre=genres[i % len(genres)]), seconds=8.0, seed=i)
        d = g.decode(rng.uniform(size=g.dim))
        out = eng.generate(d.spec, d.params, sr=sr)
        rows.append(_raw_features(out.audio, sr=sr))
    arr = np.stack(rows)
    return arr.mean(axis=0), arr.std(axis=0)


class ClapEmbedder:
    """A local CLAP model's audio embedding (``ClapModel.get_audio_features``).

    Parameters
    ----------
    path : str
        A folder saved with ``save_pretrained`` (model and feature extractor) or a hub
        id already in the local cache.

    Raises
    ------
    MissingDependencyError
        torch or transformers is missing.
    MissingModelError
        The folder is not a CLAP model, or the hub id is not downloaded.
    """

    name = "clap"

    def __init__(self, path: str) -> None:
        try:
            import torch
            from transformers import ClapFeatureExtractor, ClapModel
        except ImportError:
            raise MissingDependencyError(
                "embedder clap needs torch and transformers; pip install 'loopmill[musicgen]'",
                field="embedder",
            ) from None
        self._torch = torch
        local = Path(path).expanduser()
        is_local = local.is_dir() or path.startswith((".", "/", "~"))
        if is_local and not (local / "config.json").is_file():
            raise MissingModelError(f"{path} is not a CLAP model folder (no config.json); pass "
                                    "a folder saved with save_pretrained or a hub id")
        where = str(local) if is_local else path
        try:
            self.model = ClapModel.from_pretrained(where, local_files_only=True).eval()
            self.extractor = ClapFeatureExtractor.from_pretrained(where, local_files_only=True)
        except OSError:
            raise MissingModelError(
                f"{path} is not a usable CLAP model here (not downloaded, or incomplete); on a "
                f"machine with network run `huggingface-cli download {path}` and pass the folder"
            ) from None
        self.sr = int(self.extractor.sampling_rate)
        self.dim = int(self.model.config.projection_dim)

    def embed(self, y: np.ndarray, *, sr: int) -> np.ndarray:
        """``y`` ``[C, T]`` at ``sr`` -> the model's audio embedding ``[dim]``."""
        from loopmill.analysis.features import to_mono
        from loopmill.audio.resample import resample

        mono = to_mono(y)
        if sr != self.sr:
            mono = resample(mono[None, :], orig_sr=sr, target_sr=self.sr)[0]
        # whole windows of the model's length, averaged: deterministic (the extractor's
        # own truncation of long audio picks random crops)
        n = int(getattr(self.extractor, "nb_max_samples", self.sr * 10))
        chunks = [mono[a:a + n] for a in range(0, max(mono.size - n // 4, 1), n)]
        feats = self.extractor(chunks, sampling_rate=self.sr, return_tensors="pt",
                               truncation="rand_trunc", padding="repeatpad")
        with self._torch.inference_mode():
            out = self.model.get_audio_features(**{k: v for k, v in feats.items()
                                                   if k in ("input_features", "is_longer")})
        out = getattr(out, "pooler_output", out)
        return np.asarray(out.float().mean(dim=0).cpu().numpy(), dtype=np.float64)


#: embedder kind -> factory(argument after the colon)
EMBEDDERS: dict[str, Callable[[str], Any]] = {
    "features": lambda arg: FeatureEmbedder(),
    "clap": ClapEmbedder,
}

_CACHE: dict[str, Any] = {}


def make_embedder(spec: str = "features") -> Embedder:
    """The embedder named by ``spec`` (``features`` or ``clap:PATH``), one per process.

    Raises
    ------
    BadInputError
        An unknown embedder, or ``clap`` without a path.
    """
    kind, _, arg = spec.partition(":")
    if kind not in EMBEDDERS:
        raise BadInputError(f"unknown embedder {spec!r}; use features or clap:PATH")
    if kind == "clap" and not arg:
        raise BadInputError("embedder clap needs a model: clap:PATH (a folder or hub id)")
    if spec not in _CACHE:
        _CACHE[spec] = EMBEDDERS[kind](arg)
    return _CACHE[spec]
