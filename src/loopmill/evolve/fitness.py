"""Fitness: how good an evaluated individual is (higher is better).

Modes (a registry, :data:`FITNESS`):

* ``music`` — mean cosine similarity of the loop's embedding to the target files'.
* ``user`` — a saved listener model's score (:mod:`loopmill.evolve.listener`).
* ``dynamic`` — the listener model, retrained from the ratings given during the run.

Every mode subtracts ``noise_weight`` times a measured noise penalty (hiss, harsh
broadband noise and clipping; 0 for clean tonal audio, about 1 for white noise) and,
when asked, ``seam_weight`` times the seam score of the loop's wrap and
``loudness_weight`` times :func:`loudness_penalty` (how hard the limiter must work to
bring the loop to the target loudness under the true-peak ceiling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from loopmill.errors import BadInputError
from loopmill.evolve.embed import Embedder, cosine

__all__ = ["FITNESS", "Fitness", "Measures", "load_targets", "loudness_penalty", "measure",
           "noise_penalty"]

#: peak-to-loudness ratio (dB) over what the targets allow at which the penalty is 1
_PLR_SPAN_DB = 12.0


@dataclass(frozen=True)
class Measures:
    """What the evaluation of one individual measured.

    Attributes
    ----------
    embedding : ndarray ``[D]``
    noise : float
        :func:`noise_penalty` of the audio, 0..1.
    seam : float
        Seam score of the wrap (0 is as smooth as any other point; NaN when not measured).
    loudness : float
        :func:`loudness_penalty` of the audio, 0..1 (NaN when not measured).
    """

    embedding: np.ndarray
    noise: float
    seam: float = float("nan")
    loudness: float = float("nan")


def noise_penalty(*, y: np.ndarray, sr: int, n_fft: int = 1024) -> float:
    """How noisy ``y`` is: 0 for clean tonal music, about 1 for white noise or hard clipping.

    The mean over loud frames of the spectral flatness (geometric over arithmetic
    mean of the power spectrum; white noise ~0.56, a chord ~0.01) scaled to ~1 for
    white noise, plus the share of energy above 8 kHz that is flat (hiss), plus 20
    times the fraction of clipped samples (``|y| >= 0.999``); clipped to ``[0, 1]``.

    Parameters
    ----------
    y : ndarray ``[C, T]``
    sr : int
    """
    from loopmill.analysis.features import to_mono

    x = to_mono(y).astype(np.float64)
    clip = float(np.mean(np.abs(np.asarray(y)) >= 0.999))
    hop = n_fft // 2
    if x.size < n_fft:
        return min(1.0, 20 * clip)
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    if frames.shape[0] > 256:  # a spread of frames is enough
        frames = frames[:: frames.shape[0] // 256]
    power = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1)) ** 2 + 1e-12
    energy = power.sum(axis=1)
    loud = energy > 1e-3 * energy.max()
    if not np.any(loud):
        return min(1.0, 20 * clip)
    p = power[loud]
    flat = np.exp(np.log(p).mean(axis=1)) / p.mean(axis=1)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    hi = freqs >= 8000.0
    hiss = 0.0
    if hi.sum() > 4:
        ph = p[:, hi]
        share = ph.sum(axis=1) / p.sum(axis=1)
        hiss = float(np.mean(share * np.exp(np.log(ph).mean(axis=1)) / ph.mean(axis=1)))
    return float(np.clip(np.mean(flat) / 0.56 + hiss + 20 * clip, 0.0, 1.0))


def loudness_penalty(*, y: np.ndarray, sr: int, target_lufs: float | None = None,
                     true_peak_db: float | None = None) -> float:
    """How much a loop must be limited to reach ``target_lufs`` under ``true_peak_db``.

    Every loop is finished at the target loudness with its true peak under the ceiling
    (:func:`loopmill.loops.post.finish_loop`). A loop whose peak-to-loudness ratio fits
    in ``true_peak_db - target_lufs`` (13 dB by default) needs a gain only: 0. Each dB
    more is a dB the limiter takes off its peaks (flattened transients, pumping): the
    penalty rises linearly to 1 at 12 dB over. Silent audio cannot be finished: 1.

    Parameters
    ----------
    y : np.ndarray, shape [C, T]
    sr : int
    target_lufs, true_peak_db : float, optional
        Default: loopmill's (-14 LUFS, -1 dBTP).

    Returns
    -------
    float in [0, 1]
    """
    from loopmill import settings
    from loopmill.audio.loudness import integrated_loudness, true_peak

    target = settings.TARGET_LUFS if target_lufs is None else target_lufs
    ceiling = settings.TRUE_PEAK_DB if true_peak_db is None else true_peak_db
    x = np.atleast_2d(np.asarray(y, dtype=np.float32))
    lufs = integrated_loudness(x, sr=sr)
    if not np.isfinite(lufs):
        return 1.0
    excess = (true_peak(x, sr=sr) - lufs) - (ceiling - target)
    return float(np.clip(excess / _PLR_SPAN_DB, 0.0, 1.0))


def measure(y: np.ndarray, *, sr: int, embedder: Embedder, seam: bool = False,
            loudness: bool = False) -> Measures:
    """Embed ``y`` and measure its noise (its seam when ``seam``, its
    :func:`loudness_penalty` when ``loudness``)."""
    s = lo = float("nan")
    if seam:
        from loopmill.loops.seam import seam_score

        s = float(seam_score(y, sr=sr, start=0, end=y.shape[1]))
    if loudness:
        lo = loudness_penalty(y=y, sr=sr)
    return Measures(embedding=embedder.embed(y, sr=sr), noise=noise_penalty(y=y, sr=sr),
                    seam=s, loudness=lo)


def load_targets(paths: Sequence[str | Path], *, embedder: Embedder,
                 sr: int = 22050) -> np.ndarray:
    """Embeddings ``[N, D]`` of the target audio files.

    Raises
    ------
    BadInputError
        No targets, or a file that is missing or not audio (the message names it).
    """
    from loopmill.audio import load

    if not paths:
        raise BadInputError("music fitness needs at least one target audio file (fitness.target)")
    rows = []
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise BadInputError(f"target {path} does not exist; pass an audio file")
        try:
            y, rate = load(str(path), sr=sr)
        except BadInputError as exc:
            raise BadInputError(f"target {path} is not audio loopmill can read: {exc}") from None
        rows.append(embedder.embed(y, sr=rate))
    return np.stack(rows)


class Fitness:
    """Score measures; ``mode`` picks the base term (see the module docstring).

    Parameters
    ----------
    mode : str
        ``music``, ``user`` or ``dynamic``.
    targets : ndarray ``[N, D]``, optional
        Target embeddings (``music``).
    listener : ListenerModel, optional
        The listener model (``user`` and ``dynamic``).
    noise_weight, seam_weight, loudness_weight : float
        Weights of the penalties (a weight of 0 leaves its measure out).
    """

    def __init__(self, mode: str, *, targets: np.ndarray | None = None, listener: Any = None,
                 noise_weight: float = 0.0, seam_weight: float = 0.0,
                 loudness_weight: float = 0.0) -> None:
        if mode not in FITNESS:
            raise BadInputError(f"unknown fitness {mode!r}; use one of {', '.join(FITNESS)}")
        if mode == "music" and (targets is None or len(targets) == 0):
            raise BadInputError("music fitness needs target files (fitness.target)")
        if mode in ("user", "dynamic") and listener is None:
            raise BadInputError(f"{mode} fitness needs a listener model (user_model)")
        self.mode, self.targets, self.listener = mode, targets, listener
        self.noise_weight, self.seam_weight = float(noise_weight), float(seam_weight)
        self.loudness_weight = float(loudness_weight)

    def base(self, embeddings: np.ndarray) -> np.ndarray:
        """The mode's term for embeddings ``[N, D]``."""
        return np.asarray(FITNESS[self.mode](self, np.atleast_2d(embeddings)), dtype=np.float64)

    def __call__(self, measures: Sequence[Measures]) -> np.ndarray:
        """Fitness of each measured individual, ``[N]``.

        Raises
        ------
        BadInputError
            A NaN fitness (a broken embedding or listener model); the message says which.
        """
        emb = np.stack([m.embedding for m in measures])
        out = self.base(emb) - self.noise_weight * np.array([m.noise for m in measures])
        if self.seam_weight:
            out -= self.seam_weight * np.nan_to_num(np.array([m.seam for m in measures]))
        if self.loudness_weight:
            out -= self.loudness_weight * np.array([m.loudness for m in measures])
        bad = np.flatnonzero(~np.isfinite(out))
        if bad.size:
            raise BadInputError(f"fitness is NaN for candidate(s) {', '.join(map(str, bad))}; "
                                "the embedding or the listener model is broken (retrain it)")
        return out


def _music(f: Fitness, emb: np.ndarray) -> np.ndarray:
    assert f.targets is not None  # checked in __init__
    return np.mean([cosine(emb, t) for t in f.targets], axis=0)


def _listener(f: Fitness, emb: np.ndarray) -> np.ndarray:
    return np.asarray(f.listener.predict(emb))


#: fitness mode -> base term(fitness, embeddings [N, D]) -> [N]
FITNESS = {"music": _music, "user": _listener, "dynamic": _listener}
