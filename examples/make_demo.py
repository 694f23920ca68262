"""Render ``examples/demo.ogg``: 12 bars of a synthetic groove at 110 BPM in A minor.

The README's first example loops this file, so it ships with the repository. It is
loopmill's own synthetic audio (no third-party recording). Re-create it with::

    python examples/make_demo.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

SR = 44100
BPM = 110.0
# Am - F - C - G, one chord a bar (root, third, fifth in Hz).
CHORDS = ((220.0, 261.63, 329.63), (174.61, 220.0, 261.63), (261.63, 329.63, 392.0),
          (196.0, 246.94, 293.66))


def render(seed: int = 7) -> np.ndarray:
    """The demo groove as stereo ``[2, T]`` float32."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / BPM
    n_bars = 12
    total = round((n_bars * 4 + 2) * beat * SR)
    left = np.zeros(total)
    right = np.zeros(total)
    for bar in range(n_bars):
        root, third, fifth = CHORDS[bar % 4]
        s = round(bar * 4 * beat * SR)
        n = round(4 * beat * SR)
        t = np.arange(n) / SR
        env = np.minimum(1, t / 0.02) * np.exp(-0.6 * t)
        pad = sum(np.sin(2 * np.pi * f * t + p) for f, p in ((root, 0), (third, 1), (fifth, 2)))
        left[s : s + n] += 0.12 * pad * env
        right[s : s + n] += 0.12 * pad * env * 0.9
        bass_env = np.exp(-3 * (t % beat))
        bass = 0.25 * np.sin(2 * np.pi * root / 2 * t) * bass_env
        left[s : s + n] += bass
        right[s : s + n] += bass
        for k in range(8):  # kick on 1 and 3, snare on 2 and 4, hats on eighths
            hs = s + round(k * beat / 2 * SR)
            hn = round(0.05 * SR)
            hat = rng.standard_normal(hn) * np.exp(-np.arange(hn) / (0.008 * SR)) * 0.05
            left[hs : hs + hn] += hat
            right[hs : hs + hn] += hat * 0.7
            if k % 2 == 0:
                dn = round(0.25 * SR)
                td = np.arange(dn) / SR
                if k % 4 == 0:
                    drum = np.sin(2 * np.pi * (45 * td + 2 * (1 - np.exp(-td * 40)))) * np.exp(
                        -td * 10
                    ) * 0.6
                else:
                    drum = rng.standard_normal(dn) * np.exp(-td * 25) * 0.25
                left[hs : hs + dn] += drum[: total - hs]
                right[hs : hs + dn] += drum[: total - hs]
    y = np.stack([left, right])
    return (0.8 * y / np.abs(y).max()).astype(np.float32)


if __name__ == "__main__":
    out = Path(__file__).with_name("demo.ogg")
    sf.write(out, render().T, SR, format="OGG", subtype="VORBIS")
    print(f"wrote {out}")
