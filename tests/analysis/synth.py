"""Synthetic test signals with known tempo, bar lines and key (44.1 kHz stereo)."""

from __future__ import annotations

import numpy as np

SR = 44100
PITCH_CLASSES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def _stereo(mono: np.ndarray, rng: np.random.Generator, noise_db: float = -60.0) -> np.ndarray:
    noise = rng.standard_normal((2, mono.size)) * 10 ** (noise_db / 20)
    y = np.stack([mono, 0.9 * mono]) + noise
    peak = np.abs(y).max()
    return (0.5 * y / peak).astype(np.float32)


def click_track(
    bpm: float,
    *,
    duration: float = 24.0,
    beats_per_bar: int = 4,
    accent_db: float = 8.0,
    kind: str = "noise",
    offset: float = 0.37,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clicks on every beat, the first of each bar louder (and higher for sine blips).

    Returns ``(y [2, N], beat_times, downbeat_times)``.
    """
    rng = np.random.default_rng(seed)
    n = int(duration * SR)
    out = np.zeros(n)
    period = 60.0 / bpm
    beats = np.arange(offset, duration - 0.1, period)
    click_len = int(0.04 * SR)
    t = np.arange(click_len) / SR
    env = np.exp(-t / 0.008)
    for i, bt in enumerate(beats):
        down = i % beats_per_bar == 0
        gain = 10 ** (accent_db / 20) if down else 1.0
        if kind == "noise":
            click = rng.standard_normal(click_len) * env
        else:
            click = np.sin(2 * np.pi * (1760.0 if down else 880.0) * t) * env
        s = round(bt * SR)
        m = min(click_len, n - s)
        out[s : s + m] += gain * click[:m]
    return _stereo(out, rng), beats, beats[::beats_per_bar]


def _tone(freq: float, n: int, *, harmonics: int = 4, decay: float = 0.0) -> np.ndarray:
    t = np.arange(n) / SR
    x = sum(np.sin(2 * np.pi * freq * h * t) / h for h in range(1, harmonics + 1))
    env = np.minimum(1.0, t / 0.01) * np.minimum(1.0, (n - np.arange(n)) / (0.01 * SR))
    if decay > 0:
        env = env * np.exp(-t / decay)
    return np.asarray(x * env)


def midi_hz(m: float) -> float:
    return float(440.0 * 2 ** ((m - 69) / 12))


def drum_pattern(
    bpm: float,
    *,
    bars: int = 12,
    offset: float = 0.25,
    bass_notes: tuple[int, ...] = (40, 45, 43, 38),
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kick on 1 and 3, snare on 2 and 4, hats on eighths, bass note changing per bar.

    Returns ``(y [2, N], beat_times, downbeat_times)``.
    """
    rng = np.random.default_rng(seed)
    period = 60.0 / bpm
    n = int((offset + bars * 4 * period + 0.5) * SR)
    out = np.zeros(n)

    def add(x: np.ndarray, at: float) -> None:
        s = round(at * SR)
        m = min(x.size, n - s)
        out[s : s + m] += x[:m]

    tk = np.arange(int(0.25 * SR)) / SR
    kick = np.sin(2 * np.pi * (50 * tk + 60 * 0.04 * (1 - np.exp(-tk / 0.04)))) * np.exp(-tk / 0.12)
    ts = np.arange(int(0.18 * SR)) / SR
    snare = (0.6 * rng.standard_normal(ts.size) + 0.5 * np.sin(2 * np.pi * 190 * ts)) * np.exp(
        -ts / 0.05
    )
    th = np.arange(int(0.05 * SR)) / SR
    hat_noise = np.diff(rng.standard_normal(th.size + 1))
    hat = 0.15 * hat_noise * np.exp(-th / 0.012)
    beats = offset + np.arange(bars * 4) * period
    for i, bt in enumerate(beats):
        add(kick if i % 2 == 0 else snare, bt)
        add(hat, bt)
        add(hat, bt + period / 2)
    for b in range(bars):
        note = bass_notes[b % len(bass_notes)]
        add(0.35 * _tone(midi_hz(note), int(4 * period * SR), harmonics=3), beats[4 * b])
    return _stereo(out, rng), beats, beats[::4]


MAJOR_PROG = ((0, "maj"), (9, "min"), (5, "maj"), (7, "maj"))  # I vi IV V
# i-VI-III-VII is left out on purpose: it holds exactly the notes of the relative
# major's vi-IV-I-V, so only the order (not the pitch content) says "minor".
MINOR_PROGS = (
    ((0, "min"), (5, "min"), (7, "min"), (0, "min")),  # i iv v i
    ((0, "min"), (8, "maj"), (10, "maj"), (0, "min")),  # i VI VII i
)


def chord_progression(
    tonic: int,
    mode: str,
    *,
    chord_seconds: float = 1.5,
    repeats: int = 2,
    variant: int = 0,
    noise_db: float = -60.0,
    detune_cents: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """Additive-tone chords (root in octave 3, triad around octave 4); returns [2, N]."""
    rng = np.random.default_rng(seed)
    prog = MAJOR_PROG if mode == "major" else MINOR_PROGS[variant % 2]
    n_chord = int(chord_seconds * SR)
    parts = []
    for _ in range(repeats):
        for deg, quality in prog:
            root = 48 + (tonic + deg) % 12
            third = 4 if quality == "maj" else 3
            notes = [root, root + 12, root + 12 + third, root + 19]
            x = sum(_tone(midi_hz(m + detune_cents / 100), n_chord, harmonics=5) for m in notes)
            parts.append(np.asarray(x))
    mono = np.concatenate(parts)
    return _stereo(mono, rng, noise_db=noise_db)


def waltz(
    bpm: float, *, bars: int = 12, offset: float = 0.3
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """3/4 "oom-pah-pah": bass note on 1, chord stabs on 2 and 3, bass changing per bar.

    Returns ``(y [2, N], beat_times, downbeat_times)``.
    """
    period = 60.0 / bpm
    n = int((offset + bars * 3 * period + 0.5) * SR)
    out = np.zeros(n)
    notes = (45, 41, 48, 43)
    for b in range(bars):
        t0 = offset + b * 3 * period
        root = notes[b % len(notes)]
        bass = _tone(midi_hz(root), int(0.4 * SR), harmonics=4, decay=0.3)
        s = round(t0 * SR)
        out[s : s + bass.size] += bass[: n - s]
        for k in (1, 2):
            stab = sum(
                _tone(midi_hz(m), int(0.25 * SR), decay=0.15)
                for m in (root + 15, root + 19, root + 24)
            )
            s = round((t0 + k * period) * SR)
            out[s : s + int(0.25 * SR)] += 0.3 * np.asarray(stab)[: n - s]
    beats = offset + np.arange(bars * 3) * period
    y = np.stack([out, out]) * 0.3
    return y.astype(np.float32), beats, beats[::3]


def song(
    bpm: float, *, bars: int = 12, offset: float = 0.3, tonic: int = 0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drum pattern plus an I-vi-IV-V chord per bar; returns ``(y, beats, downbeats)``."""
    drums, beats, downbeats = drum_pattern(bpm, bars=bars, offset=offset, seed=seed)
    chords = chord_progression(
        tonic, "major", chord_seconds=4 * 60 / bpm, repeats=-(-bars // 4), seed=seed
    )
    harm = np.concatenate([np.zeros((2, round(offset * SR)), np.float32), chords], axis=1)
    n = min(drums.shape[1], harm.shape[1])
    return (0.6 * drums[:, :n] + 0.4 * harm[:, :n]).astype(np.float32), beats, downbeats
