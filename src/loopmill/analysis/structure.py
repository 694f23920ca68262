"""Form and stereo measurements of a loop: how alike its bars are, how wide it is.

A loop that is one bar played sixteen times is in key, in tempo and seamless, and
still a failure. These functions measure that:

* :func:`bar_similarity` — the bar-by-bar log-mel correlation matrix, at the bar phase
  where the bars line up best;
* :func:`distinct_bars` — how many bars have no near-twin (correlation below 0.95);
* :func:`sample_copies` — how many bars are sample-level copies of another (r > 0.99);
* :func:`channel_correlation` — Pearson correlation of left and right (1 = mono);
* :func:`mono_loss_db` — level lost when the stereo image is folded to mono.
"""

from __future__ import annotations

import numpy as np

from loopmill.analysis.features import compute_features
from loopmill.errors import BadInputError

__all__ = [
    "TWIN_CORRELATION",
    "bar_similarity",
    "channel_correlation",
    "distinct_bars",
    "mono_loss_db",
    "sample_copies",
]

#: Two bars whose log-mel correlation reaches this are heard as the same bar.
TWIN_CORRELATION = 0.95
#: Two bars whose waveform correlation exceeds this are sample-level copies.
COPY_CORRELATION = 0.99
_FRAMES_PER_BAR = 32
_PHASES = 8


def _check(y: np.ndarray, bars: int) -> np.ndarray:
    x = np.asarray(y, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] == 0:
        raise BadInputError(f"audio must be [channels, samples] and not empty, got {x.shape}")
    if bars < 2:
        raise BadInputError(f"bars={bars}: a loop needs at least 2 bars to compare them")
    return x


def _corr(m: np.ndarray) -> np.ndarray:
    """Row-wise Pearson correlation matrix of ``m`` ``[N, D]``."""
    z = m - m.mean(axis=1, keepdims=True)
    z /= np.linalg.norm(z, axis=1, keepdims=True) + 1e-12
    return np.clip(z @ z.T, -1.0, 1.0)


def _bar_mels(mel: np.ndarray, bars: int, shift: float) -> np.ndarray:
    """``[bars, 64 * FRAMES]``: each bar's log-mel resampled to a fixed frame count."""
    f = mel.shape[1]
    per = f / bars
    pos = (np.arange(bars * _FRAMES_PER_BAR) + 0.5) * per / _FRAMES_PER_BAR + shift * per
    idx = np.floor(pos).astype(int) % f
    return mel[:, idx].T.reshape(bars, -1)


def bar_similarity(y: np.ndarray, *, sr: int, bars: int) -> np.ndarray:
    """Bar-by-bar log-mel correlation of a loop ``y`` ``[C, T]`` of ``bars`` bars.

    The loop is read as periodic; of eight bar phases (offsets of 0, 1/8, ... 7/8 of a
    bar) the one with the highest mean off-diagonal correlation is used: the bars' own
    grid, wherever the loop starts.

    Returns
    -------
    np.ndarray ``[bars, bars]`` float64, 1 on the diagonal.
    """
    x = _check(y, bars)
    mel = compute_features(x, sr=sr).mel_db.astype(np.float64)
    mel = mel[:, : max(1, mel.shape[1] - 1)]  # the last frame is past the loop's end
    best, best_mean = None, -np.inf
    off = ~np.eye(bars, dtype=bool)
    for k in range(_PHASES):
        c = _corr(_bar_mels(mel, bars, k / _PHASES))
        mean = float(c[off].mean())
        if mean > best_mean:
            best, best_mean = c, mean
    assert best is not None
    return best


def distinct_bars(
    y: np.ndarray, *, sr: int, bars: int, threshold: float = TWIN_CORRELATION
) -> int:
    """How many bars have no twin: log-mel correlation below ``threshold`` with every other.

    See :func:`bar_similarity`.
    """
    c = bar_similarity(y, sr=sr, bars=bars)
    np.fill_diagonal(c, -1.0)
    return int(np.sum(c.max(axis=1) < threshold))


def sample_copies(y: np.ndarray, *, bars: int, threshold: float = COPY_CORRELATION) -> int:
    """How many bars are sample-level copies of another: waveform r above ``threshold``.

    Bars are cut on the loop's own grid (``T / bars`` samples each) from the mono mix.
    """
    x = _check(y, bars).mean(axis=0)
    per = x.size // bars
    m = x[: per * bars].reshape(bars, per).astype(np.float64)
    c = _corr(m)
    np.fill_diagonal(c, -1.0)
    return int(np.sum(c.max(axis=1) > threshold))


def channel_correlation(y: np.ndarray) -> float:
    """Pearson correlation of the left and right channel (1: mono; 0: unrelated)."""
    x = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != 2:
        raise BadInputError(f"channel_correlation needs stereo audio [2, T], got {x.shape}")
    return float(_corr(x)[0, 1])


def mono_loss_db(y: np.ndarray) -> float:
    """dB lost by folding to mono: RMS of (L + R) / 2 against the mean channel RMS.

    0 dB for a mono signal, about -3 dB for unrelated channels, very negative when
    the channels cancel (out of phase): a mono-compatible mix stays above -3 dB.
    """
    x = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != 2:
        raise BadInputError(f"mono_loss_db needs stereo audio [2, T], got {x.shape}")
    mono = np.sqrt(np.mean(((x[0] + x[1]) / 2) ** 2))
    side = np.sqrt(np.mean(x**2))
    return float(20 * np.log10(max(mono, 1e-12) / max(side, 1e-12)))
