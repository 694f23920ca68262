"""How long a made loop is: the rule every engine follows.

A loop lasts the longest 2, 4, 8, 16 … bars whose length at the tempo lies within
the asked durations; when no power of two fits, the longest whole number of bars that
does. The composer writes exactly that many bars; model engines (MusicGen, SampleRNN,
LSTM) cut that many from what they played.
"""

from __future__ import annotations

import math

from loopmill.errors import BadInputError

__all__ = ["choose_bars"]


def choose_bars(
    *, bpm: float, min_duration: float, max_duration: float, beats_per_bar: int = 4
) -> int:
    """The loop length in bars: the longest 2^k bars within the limits, else any.

    Raises
    ------
    BadInputError
        When no whole number of bars at ``bpm`` fits between the limits.
    """
    bar_s = beats_per_bar * 60.0 / bpm
    lo, hi = math.ceil(min_duration / bar_s - 1e-9), math.floor(max_duration / bar_s + 1e-9)
    if hi < max(lo, 1):
        raise BadInputError(
            f"no whole number of bars at {bpm:g} BPM ({bar_s:.2f} s each) lasts between "
            f"{min_duration:g} and {max_duration:g} s; widen the durations or change bpm",
            field="bpm",
        )
    lo = max(lo, 1)
    powers = [2**k for k in range(10) if lo <= 2**k <= hi]
    return powers[-1] if powers else hi
