"""Synthetic signals with known answers, shared by the test packages."""

from __future__ import annotations

import numpy as np

SR = 44100

# C major, A minor, F major, G major triads (Hz): a I-vi-IV-V progression.
PROGRESSION = (
    (261.63, 329.63, 392.00),
    (220.00, 261.63, 329.63),
    (174.61, 220.00, 261.63),
    (196.00, 246.94, 293.66),
)


def tone(freqs: tuple[float, ...], n: int, *, sr: int = SR, decay: float = 1.5) -> np.ndarray:
    """A decaying chord of harmonic tones, ``[n]`` float32."""
    t = np.arange(n) / sr
    out = np.zeros(n)
    for f in freqs:
        for h, amp in ((1, 1.0), (2, 0.4), (3, 0.2)):
            out += amp * np.sin(2 * np.pi * f * h * t)
    attack = np.minimum(1.0, t / 0.005)  # 5 ms attack: no click at the chord start
    return (out * attack * np.exp(-decay * t) / (1.6 * len(freqs))).astype(np.float32)


def kick(n: int, *, sr: int = SR) -> np.ndarray:
    """A synthetic kick drum (pitch-dropping sine), ``[n]`` float32."""
    t = np.arange(n) / sr
    phase = 2 * np.pi * (50 * t + 60 * (1 - np.exp(-t * 30)) / 30)
    return (np.sin(phase) * np.exp(-t * 12)).astype(np.float32)


def progression_track(
    *,
    bpm: float = 120.0,
    repeats: int = 3,
    beats_per_bar: int = 4,
    noise: float = 0.01,
    lead_in: float = 0.0,
    seed: int = 0,
    sr: int = SR,
) -> tuple[np.ndarray, float]:
    """A 4-bar chord progression with a kick on every beat, repeated ``repeats`` times.

    Returns
    -------
    tuple[np.ndarray, float]
        Stereo audio ``[2, T]`` and the exact length of one bar in samples.
    """
    rng = np.random.default_rng(seed)
    beat = 60.0 * sr / bpm
    bar = beat * beats_per_bar
    n_bars = 4 * repeats
    lead = round(lead_in * sr)
    total = lead + round(bar * n_bars) + round(bar)  # a bar of ring-out at the end
    y = np.zeros(total, dtype=np.float32)
    for b in range(n_bars):
        s = lead + round(b * bar)
        chord = tone(PROGRESSION[b % 4], round(bar), sr=sr)
        y[s : s + len(chord)] += chord
        for k in range(beats_per_bar):
            ks = lead + round(b * bar + k * beat)
            hit = kick(round(beat), sr=sr) * (0.9 if k == 0 else 0.5)
            y[ks : ks + len(hit)] += hit[: total - ks]
    y = y + noise * rng.standard_normal(total).astype(np.float32)
    stereo = np.stack([y, 0.9 * y]).astype(np.float32)
    return stereo * 0.5, bar


def click_track(
    *, bpm: float, seconds: float = 24.0, beats_per_bar: int = 4, sr: int = SR, seed: int = 0
) -> np.ndarray:
    """Noise-burst clicks on every beat, the downbeat louder, ``[2, T]`` float32."""
    rng = np.random.default_rng(seed)
    n = round(seconds * sr)
    y = np.zeros(n, dtype=np.float32)
    beat = 60.0 * sr / bpm
    burst_n = round(0.03 * sr)
    env = np.exp(-np.arange(burst_n) / (0.006 * sr)).astype(np.float32)
    k = 0
    while round(k * beat) + burst_n < n:
        s = round(k * beat)
        amp = 1.0 if k % beats_per_bar == 0 else 0.45
        y[s : s + burst_n] += amp * env * rng.standard_normal(burst_n).astype(np.float32)
        k += 1
    y *= 0.5
    return np.stack([y, y])


def peak_hz(x: np.ndarray, sr: int = SR) -> float:
    """Frequency of the strongest FFT bin above DC (Hann window), refined by parabolic
    interpolation of the log magnitudes around it."""
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    k = int(np.argmax(spec[1:])) + 1
    if k >= spec.size - 1:
        return k * sr / x.size
    a, b, c = np.log(spec[k - 1:k + 2] + 1e-12)
    return float((k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / x.size)
