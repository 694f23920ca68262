"""Loop-seamless effects for the composer's stems.

An effect with memory (reverb, delay, compressor, filter) run once over a loop starts
cold: the reverb tail of the loop's last notes is missing from its first seconds, so
the wrap is audible. :func:`process_loop` runs the board over the loop's periodic
extension instead (the loop as if it had already played) and keeps the last period,
so the tails wrap around the seam.

:func:`chain_for` builds a genre- and role-specific :class:`pedalboard.Pedalboard`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pedalboard

from loopmill.audio.loudness import as_2d
from loopmill.errors import BadInputError
from loopmill.loops.post import process_wrapped

__all__ = [
    "GENRE_CHAINS", "ROLES", "Send", "bus_reverb", "chain_for", "process_loop", "split_send",
    "tail_seconds",
]

_MIN_WARM_S = 0.5  # filters and envelope followers settle well within this
_MAX_TAIL_S = 30.0  # a frozen reverb never decays: warm it up this long at most
_DECAY = math.log(1e-3)  # tails are counted down to -60 dB
_FREEVERB_COMB_S = 1640 / 44100  # longest freeverb comb (1617 + stereo spread)
_MODULATED = (pedalboard.Chorus, pedalboard.Phaser)
_FILTERS = (
    pedalboard.LowpassFilter,
    pedalboard.HighpassFilter,
    pedalboard.LadderFilter,
    pedalboard.LowShelfFilter,
    pedalboard.HighShelfFilter,
    pedalboard.PeakFilter,
)


def _plugins(board: Iterable[pedalboard.Plugin]) -> Iterator[pedalboard.Plugin]:
    for p in board:
        if isinstance(p, pedalboard.PluginContainer):
            yield from _plugins(p)
        else:
            yield p


def _plugin_tail(p: pedalboard.Plugin) -> float:
    """Seconds for ``p``'s response to an impulse to fall below -60 dB (estimated)."""
    if isinstance(p, pedalboard.Reverb):
        if p.freeze_mode >= 0.5:
            return _MAX_TAIL_S
        g = float(p.room_size) * 0.28 + 0.7  # JUCE/freeverb comb feedback
        return _FREEVERB_COMB_S * _DECAY / math.log(g) + 0.05
    if isinstance(p, pedalboard.Delay):
        fb = min(abs(float(p.feedback)), 0.999)
        d = float(p.delay_seconds)
        return d * (1.0 + (_DECAY / math.log(fb) if fb > 1e-3 else 0.0))
    if isinstance(p, pedalboard.Compressor | pedalboard.Limiter | pedalboard.BrickwallLimiter):
        return 5.0 * float(p.release_ms) / 1000.0
    if isinstance(p, pedalboard.NoiseGate):
        return 5.0 * float(p.release_ms) / 1000.0
    if isinstance(p, pedalboard.Chorus):
        return float(p.centre_delay_ms) / 500.0 + 0.05
    if isinstance(p, pedalboard.Convolution):
        return 5.0
    if isinstance(p, pedalboard.Phaser | pedalboard.LadderFilter):
        return 0.2
    if isinstance(
        p,
        pedalboard.Gain
        | pedalboard.Distortion
        | pedalboard.Bitcrush
        | pedalboard.Clipping
        | pedalboard.Invert
        | pedalboard.LowpassFilter
        | pedalboard.HighpassFilter
        | pedalboard.LowShelfFilter
        | pedalboard.HighShelfFilter
        | pedalboard.PeakFilter,
    ):
        return 0.0
    return 2.0  # unknown plugin: a generous guess


def tail_seconds(board: Iterable[pedalboard.Plugin]) -> float:
    """Estimated length of ``board``'s effect tail in seconds (sum over its plugins)."""
    return min(sum(_plugin_tail(p) for p in _plugins(board)), _MAX_TAIL_S)


def process_loop(
    y: np.ndarray,
    *,
    sr: int,
    board: pedalboard.Pedalboard | pedalboard.Plugin,
    channels: int | None = None,
    make: Callable[[], pedalboard.Pedalboard | pedalboard.Plugin] | None = None,
) -> np.ndarray:
    """Run ``board`` over one loop period so that effect tails wrap around the seam.

    The board processes the loop's periodic extension with a pre-roll of its
    estimated tail (at least 0.5 s; see :func:`tail_seconds`), through
    :func:`loopmill.loops.post.process_wrapped`.
    Modulation LFOs (``Chorus``, ``Phaser``) are nudged, for the call only, to a rate
    that fits a whole number of cycles in the loop, so their phase also wraps; filter
    cutoffs above 0.45 sr are lowered to it for the call.

    Parameters
    ----------
    y : np.ndarray, shape [C, T] (1-D is mono)
        One loop period.
    sr : int
        Sample rate.
    board : pedalboard.Pedalboard or Plugin
        The effects. It is reset before processing; nothing else is changed on it.
    channels : int, optional
        Output channel count. A mono input is duplicated to this many channels before
        processing (a stereo reverb then returns a stereo image).
    make : callable, optional
        Builds a fresh board like ``board``: the loop is then processed as two halves
        on two threads (see :func:`loopmill.loops.post.process_wrapped`); ignored for
        boards with an LFO (chorus, phaser), whose phase would differ per half.

    Returns
    -------
    np.ndarray, float32, shape [C', T]
        ``C' = channels`` when given, else ``C``.

    Raises
    ------
    BadInputError
        Empty audio, bad ``sr``, or a channel count that cannot be reached.
    """
    if sr <= 0:
        raise BadInputError(f"sr={sr} is invalid; pass a positive sample rate")
    x = as_2d(y).astype(np.float32, copy=False)
    c, t = x.shape
    if t == 0:
        raise BadInputError("audio is empty; a loop needs at least one sample")
    if channels is not None and channels != c:
        if c != 1 or channels < 1:
            raise BadInputError(
                f"cannot turn {c}-channel audio into {channels} channels; pass mono audio "
                "or channels=None"
            )
        x = np.repeat(x, channels, axis=0)
    plugins = (
        [board] if not isinstance(board, pedalboard.PluginContainer) else list(_plugins(board))
    )
    saved = _fit_to_loop(plugins, t / sr, sr)
    factory = None
    if make is not None and not any(isinstance(p, _MODULATED) for p in plugins):

        def factory() -> pedalboard.Plugin:
            fresh = make()
            _fit_to_loop(list(_plugins(fresh)) if isinstance(fresh, pedalboard.PluginContainer)
                         else [fresh], t / sr, sr)
            return fresh

    try:
        return process_wrapped(x, sr, board, max(tail_seconds(plugins), _MIN_WARM_S),
                               make=factory)
    finally:
        for p, attr, value in saved:
            setattr(p, attr, value)


@dataclass(frozen=True)
class Send:
    """A stem's share of the shared reverb bus, taken from its own chain's reverb.

    ``dry`` is the gain on the stem itself (pedalboard's reverb scales its dry level
    by 2), ``wet`` the level sent to the bus; the reverb's settings are kept so the
    bus can take the send-weighted mean of them.
    """

    dry: float
    wet: float
    room_size: float
    damping: float
    width: float


def split_send(board: pedalboard.Pedalboard) -> tuple[pedalboard.Pedalboard, Send | None]:
    """Take the (first) reverb out of a stem's board and turn it into a bus send.

    One reverb over the sum of the sends replaces one reverb per stem: a freeverb is
    linear and time-invariant, so the result is the same wherever the stems' reverbs
    share settings, and the effects stage costs one reverb instead of four or five.
    Plugins after the reverb now process the dry stem only, and the send is taken at
    the end of the chain.

    Returns
    -------
    (board, send) : the board without its reverb, and the send (None: no reverb).
    """
    plugins = list(board)
    for i, p in enumerate(plugins):
        if isinstance(p, pedalboard.Reverb) and float(p.freeze_mode) < 0.5:
            rest = pedalboard.Pedalboard(plugins[:i] + plugins[i + 1:])
            send = Send(dry=2.0 * float(p.dry_level), wet=float(p.wet_level),
                        room_size=float(p.room_size), damping=float(p.damping),
                        width=float(p.width))
            return rest, send
    return board, None


def bus_reverb(sends: Iterable[Send]) -> pedalboard.Reverb:
    """The shared reverb: 100 % wet, settings the send-weighted mean of the stems'.

    Raises
    ------
    BadInputError
        No send has a positive level.
    """
    used = [s for s in sends if s.wet > 0]
    total = sum(s.wet for s in used)
    if total <= 0:
        raise BadInputError("no stem sends to the reverb bus; there is nothing to reverberate")

    def mean(attr: str) -> float:
        return sum(s.wet * float(getattr(s, attr)) for s in used) / total

    return pedalboard.Reverb(room_size=mean("room_size"), damping=mean("damping"),
                             width=mean("width"), wet_level=1.0, dry_level=0.0)


def _fit_to_loop(
    plugins: list[pedalboard.Plugin], period_s: float, sr: int
) -> list[tuple[pedalboard.Plugin, str, float]]:
    """Fit the board to this loop for one call; return the settings to restore.

    LFOs get a whole number of cycles per loop; filter cutoffs stay under 0.45 sr
    (a low-pass above Nyquist turns the output into NaN).
    """
    saved: list[tuple[pedalboard.Plugin, str, float]] = []
    nyq = 0.45 * sr
    for p in plugins:
        if isinstance(p, _MODULATED):
            rate = float(p.rate_hz)
            saved.append((p, "rate_hz", rate))
            p.rate_hz = max(1, round(rate * period_s)) / period_s
        for attr in ("cutoff_frequency_hz", "cutoff_hz"):
            if isinstance(p, _FILTERS) and hasattr(p, attr) and getattr(p, attr) > nyq:
                saved.append((p, attr, float(getattr(p, attr))))
                setattr(p, attr, nyq)
    return saved



# The genre chains live in their own module; re-exported here, where they always were.
from loopmill.engines.composer.chains import GENRE_CHAINS, ROLES, chain_for  # noqa: E402
