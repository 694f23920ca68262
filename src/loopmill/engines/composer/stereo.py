"""Stereo placement of the composer's parts: pan, width, and a sidechain pump.

:func:`place` puts a mono part in the stereo field: a constant-power pan plus a
*side* signal — the part itself, delayed by a few milliseconds and high-passed —
added to the left and subtracted from the right. The mono fold-down ``(L + R) / 2``
cancels the side exactly, so widening never costs mono compatibility, and the low
end (bass, kick) stays centred because the side is high-passed (the bass's own side
starts at 400 Hz: its harmonics a little wide, its fundamental mono). The delay is
circular (the loop's own periodic extension), so the result still loops seamlessly.

:func:`harmonics` is a sub bass's saturated upper harmonics alone (an 808's growl):
placed wide, it spreads the bass's character while its fundamental stays mono.
"""

from __future__ import annotations

import math

import numpy as np
import pedalboard

from loopmill.audio.denormals import no_denormals
from loopmill.errors import BadInputError

__all__ = ["PLACEMENT", "harmonics", "ping_pong", "place", "pump_envelope"]

#: role -> (pan -1..1, width 0..1, side delay ms, side high-pass Hz)
PLACEMENT: dict[str, tuple[float, float, float, float]] = {
    "kick": (0.0, 0.0, 0.0, 0.0),
    "bass": (0.0, 0.4, 8.0, 400.0),  # its harmonics a little wide; the fundamental mono
    "drums": (0.0, 0.45, 9.0, 250.0),
    "hats": (0.35, 0.7, 7.0, 0.0),  # nothing low to keep centred: no filter
    "perc": (-0.4, 0.75, 11.0, 200.0),
    "cymbals": (0.0, 1.0, 13.0, 0.0),
    "chords": (0.0, 1.0, 17.0, 110.0),
    "drone": (0.0, 1.0, 23.0, 90.0),
    "arp": (0.4, 0.9, 11.0, 150.0),
    "lead": (-0.12, 0.55, 19.0, 200.0),
    "counter": (0.35, 0.8, 14.0, 150.0),
    "ostinato": (-0.3, 0.8, 12.0, 150.0),  # second violins' side, against the counter
    "musicbox": (0.45, 0.9, 11.0, 150.0),
    "texture": (0.0, 1.0, 29.0, 150.0),
}


def place(
    y: np.ndarray, *, sr: int, pan: float, width: float, delay_ms: float, highpass_hz: float,
    gain: float = 1.0,
) -> np.ndarray:
    """A mono loop ``y`` ``[T]`` placed in the stereo field: ``[2, T]`` float32.

    Parameters
    ----------
    y : np.ndarray ``[T]``
        One loop period of a mono part.
    sr : int
        Sample rate.
    pan : float
        -1 (left) .. 1 (right), constant power.
    width : float
        0 (a point) .. 1: the side signal's level relative to the part.
    delay_ms, highpass_hz : float
        The side signal is the part delayed (circularly) by ``delay_ms`` and high-passed
        at ``highpass_hz`` (pedalboard's first-order filter, 6 dB/octave; 0: none).
    gain : float
        Overall level.

    Returns
    -------
    np.ndarray ``[2, T]``; ``(L + R) / 2`` equals the panned part alone (mono-safe).
    """
    if y.ndim != 1:
        raise BadInputError(f"place takes a mono part [T], got shape {y.shape}")
    if not -1.0 <= pan <= 1.0 or not 0.0 <= width <= 1.0:
        raise BadInputError(f"pan {pan} must be in -1..1 and width {width} in 0..1")
    angle = (pan + 1.0) * math.pi / 4.0
    gl, gr = math.cos(angle) * math.sqrt(2.0), math.sin(angle) * math.sqrt(2.0)
    out = np.stack([y * np.float32(gain * gl), y * np.float32(gain * gr)])
    if width > 0 and y.size > 1:
        n, d = y.size, round(delay_ms * sr / 1000.0) % y.size
        warm = min(n, sr // 10) if highpass_hz > 0 else 0
        # [the side's last `warm` samples (filter warm-up), the side] = y delayed by d,
        # written straight into one buffer (no roll, no concatenation copies)
        x = np.empty((1, warm + n), dtype=np.float32)
        x[0, warm:warm + d] = y[n - d:]
        x[0, warm + d:] = y[:n - d]
        x[0, :warm] = x[0, n:n + warm]
        if highpass_hz > 0:
            hp = pedalboard.HighpassFilter(cutoff_frequency_hz=float(highpass_hz))
            with no_denormals():
                x = hp(x, sr)
        side = x[0, warm:]
        side *= np.float32(gain * width)
        out[0] += side
        out[1] -= side
    return out


def pump_envelope(
    kicks: list[float], *, n: int, sr: int, bpm: float, depth: float, release_beats: float = 0.45
) -> np.ndarray:
    """A sidechain duck ``[n]``: down by ``depth`` at every kick, back up over
    ``release_beats`` (periodic: a kick near the end ducks the loop's start too)."""
    env = np.ones(n, dtype=np.float32)
    if depth <= 0 or not kicks:
        return env
    spb = 60.0 / bpm * sr
    rel = max(1, round(release_beats * spb))
    t = np.arange(rel, dtype=np.float32) / rel
    duck = np.float32(depth) * (1.0 - t) ** 2  # fast recovery, then settle
    gain = np.zeros(n, dtype=np.float32)
    for beat in sorted(set(round(k, 3) for k in kicks)):
        off = round(beat * spb) % n
        end = off + rel
        seg = np.maximum(gain[off:min(end, n)], duck[: min(end, n) - off])
        gain[off:min(end, n)] = seg
        if end > n:
            gain[: end - n] = np.maximum(gain[: end - n], duck[n - off:])
    return env - gain


def ping_pong(
    y: np.ndarray, *, sr: int, delay_s: float, feedback: float, mix: float, taps: int = 4
) -> np.ndarray:
    """A ping-pong echo return of a stereo loop ``y`` ``[2, T]``: ``[2, T]`` float32.

    The mono sum is repeated every ``delay_s`` seconds, each repeat ``feedback`` times
    the last, alternately right and left (the first repeat right). The delay is
    circular, so a repeat past the loop's end sounds at its start: the return loops
    seamlessly with its source. Add it to the dry part.

    Parameters
    ----------
    y : np.ndarray ``[2, T]``
        One loop period.
    sr : int
        Sample rate.
    delay_s : float
        Time between repeats, seconds (> 0).
    feedback : float
        0..1, the level of each repeat relative to the one before.
    mix : float
        Level of the first repeat.
    taps : int
        How many repeats.
    """
    if y.ndim != 2 or y.shape[0] != 2:
        raise BadInputError(f"ping_pong takes stereo audio [2, T], got shape {y.shape}")
    if delay_s <= 0 or not 0.0 <= feedback <= 1.0:
        raise BadInputError(f"delay_s {delay_s} must be > 0 and feedback {feedback} in 0..1")
    n = y.shape[1]
    mono = (y[0] + y[1]) * np.float32(0.5)
    out = np.zeros_like(y, dtype=np.float32)
    d = round(delay_s * sr)
    for k in range(1, taps + 1):
        out[k % 2] += np.roll(mono, (k * d) % n) * np.float32(
            mix * feedback ** (k - 1))
    return out


def harmonics(
    y: np.ndarray, *, sr: int, drive: float = 4.0, cutoff_hz: float = 250.0
) -> np.ndarray:
    """The upper harmonics of a mono loop ``y`` ``[T]``: ``[T]`` float32.

    ``y`` is saturated (an asymmetric tanh: odd and even harmonics, the octave's growl
    as well as the fifth's buzz) and high-passed at ``cutoff_hz``, 24 dB/octave, so
    that nothing of a sub's fundamental is left. The filter works on the loop's own
    spectrum (zero phase, circular), so the result loops seamlessly.

    Parameters
    ----------
    y : np.ndarray ``[T]``
        One loop period of a mono part, about -1..1.
    sr : int
        Sample rate.
    drive : float
        > 0, how hard the saturation is driven (more: more and higher harmonics).
    cutoff_hz : float
        > 0, below this the layer is silent (its fundamental stays where it was).
    """
    if y.ndim != 1:
        raise BadInputError(f"harmonics takes a mono part [T], got shape {y.shape}")
    if drive <= 0 or cutoff_hz <= 0:
        raise BadInputError(f"drive {drive} and cutoff_hz {cutoff_hz} must be > 0")
    bias = 0.3
    sat = (np.tanh(drive * y + bias) - math.tanh(bias)) / math.tanh(drive)
    # a zero-phase 24 dB/octave high-pass over the loop's spectrum: circular, so seamless
    spec = np.fft.rfft(sat)
    r = (np.fft.rfftfreq(y.size, 1.0 / sr) / cutoff_hz) ** 4
    spec *= r / np.sqrt(1.0 + r * r)
    return np.fft.irfft(spec, y.size).astype(np.float32)
