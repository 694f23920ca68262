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

ROLES = ("drums", "bass", "pad", "arp", "lead", "master")

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


# ---------------------------------------------------------------------------------------
# genre chains

_Chain = list[pedalboard.Plugin]


def _reverb(
    room: float, wet: float, dry: float = 0.8, damping: float = 0.5, width: float = 1.0
) -> pedalboard.Reverb:
    return pedalboard.Reverb(
        room_size=room, wet_level=wet, dry_level=dry, damping=damping, width=width
    )


def _comp(
    threshold: float = -18.0, ratio: float = 3.0, attack: float = 10.0, release: float = 120.0
) -> pedalboard.Compressor:
    return pedalboard.Compressor(
        threshold_db=threshold, ratio=ratio, attack_ms=attack, release_ms=release
    )


def _synthwave(role: str) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [_comp(-16.0, 3.0, 5.0, 100.0), _reverb(0.35, 0.12, 0.9)],
        "bass": [pedalboard.LowpassFilter(2500.0), _comp(-20.0, 3.0)],
        "pad": [pedalboard.Chorus(rate_hz=0.6, depth=0.35, mix=0.5), _reverb(0.88, 0.35, 0.7, 0.4)],
        "arp": [pedalboard.Delay(0.375, 0.35, 0.25), _reverb(0.7, 0.2)],
        "lead": [
            pedalboard.Chorus(rate_hz=0.8, depth=0.2, mix=0.3),
            pedalboard.Delay(0.25, 0.3, 0.2),
            _reverb(0.75, 0.25),
        ],
        "master": [_comp(-14.0, 2.0, 20.0, 200.0)],
    }
    return table[role]


def _lofi(role: str) -> _Chain:
    sat = [pedalboard.Distortion(drive_db=4.0), pedalboard.Gain(-3.0)]
    table: dict[str, _Chain] = {
        "drums": [pedalboard.LowpassFilter(6000.0), *sat, _reverb(0.25, 0.1, 0.9)],
        "bass": [pedalboard.LowpassFilter(1200.0), _comp(-20.0, 3.0)],
        "pad": [pedalboard.LowpassFilter(3500.0), *sat, _reverb(0.45, 0.2)],
        "arp": [
            pedalboard.LowpassFilter(4000.0),
            pedalboard.Delay(0.33, 0.25, 0.2),
            _reverb(0.35, 0.15),
        ],
        "lead": [pedalboard.LowpassFilter(4500.0), *sat, _reverb(0.35, 0.15)],
        "master": [
            pedalboard.LowpassFilter(9000.0),
            pedalboard.Bitcrush(bit_depth=12.0),
            _comp(-16.0, 2.5, 15.0, 150.0),
        ],
    }
    return table[role]


def _ambient(role: str) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [pedalboard.LowpassFilter(5000.0), _reverb(0.8, 0.3, 0.7)],
        "bass": [pedalboard.LowpassFilter(900.0), _reverb(0.6, 0.12, 0.9)],
        "pad": [_reverb(0.96, 0.5, 0.6, 0.3), pedalboard.Delay(0.6, 0.45, 0.3)],
        "arp": [pedalboard.Delay(0.5, 0.5, 0.35), _reverb(0.94, 0.45, 0.6)],
        "lead": [pedalboard.Delay(0.45, 0.4, 0.3), _reverb(0.93, 0.4, 0.7)],
        "master": [_reverb(0.7, 0.08, 1.0), _comp(-18.0, 1.5, 40.0, 300.0)],
    }
    return table[role]


def _chiptune(role: str) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [],
        "bass": [],
        "pad": [pedalboard.Delay(0.12, 0.15, 0.12)],
        "arp": [pedalboard.Delay(0.15, 0.2, 0.15)],
        "lead": [pedalboard.Delay(0.1875, 0.2, 0.15)],
        "master": [_comp(-12.0, 2.0, 5.0, 80.0)],
    }
    return table[role]


def _orchestral(role: str) -> _Chain:
    hall = _reverb(0.85, 0.3, 0.75, 0.6)
    table: dict[str, _Chain] = {
        "drums": [_reverb(0.85, 0.25, 0.8, 0.6)],
        "bass": [pedalboard.LowpassFilter(3000.0), _reverb(0.8, 0.15, 0.9, 0.6)],
        "pad": [hall],
        "arp": [_reverb(0.82, 0.25, 0.8, 0.6)],
        "lead": [_reverb(0.83, 0.28, 0.8, 0.6)],
        "master": [_comp(-20.0, 1.5, 50.0, 400.0)],
    }
    return table[role]


def _house(role: str) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [_comp(-20.0, 4.0, 3.0, 80.0), pedalboard.Gain(2.0)],
        "bass": [pedalboard.HighpassFilter(35.0), _comp(-20.0, 4.0, 5.0, 80.0)],
        "pad": [pedalboard.Chorus(rate_hz=0.5, depth=0.25, mix=0.35), _reverb(0.6, 0.2)],
        "arp": [pedalboard.Delay(0.375, 0.4, 0.3), _reverb(0.5, 0.12)],
        "lead": [pedalboard.Delay(0.25, 0.3, 0.2), _reverb(0.55, 0.15)],
        "master": [_comp(-14.0, 3.0, 10.0, 100.0)],
    }
    return table[role]


def _rock(role: str) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [_comp(-18.0, 4.0, 5.0, 100.0), _reverb(0.4, 0.12, 0.9)],
        "bass": [pedalboard.Distortion(drive_db=3.0), pedalboard.Gain(-2.0), _comp(-20.0, 4.0)],
        "pad": [
            pedalboard.Distortion(drive_db=8.0),
            pedalboard.Gain(-6.0),
            pedalboard.LowpassFilter(6000.0),
            _reverb(0.45, 0.15),
        ],
        "arp": [
            pedalboard.Distortion(drive_db=10.0),
            pedalboard.Gain(-8.0),
            pedalboard.LowpassFilter(6000.0),
            pedalboard.Delay(0.25, 0.2, 0.15),
        ],
        "lead": [
            pedalboard.Distortion(drive_db=18.0),
            pedalboard.Gain(-14.0),
            pedalboard.LowpassFilter(5500.0),
            _comp(-18.0, 3.0),
            _reverb(0.4, 0.15),
        ],
        "master": [_comp(-16.0, 3.0, 10.0, 120.0)],
    }
    return table[role]


def _jazz(role: str) -> _Chain:
    room = _reverb(0.35, 0.18, 0.85, 0.7)
    table: dict[str, _Chain] = {
        # Soft, dark kit (brushes and a warm ride, not a rock hi-hat)
        "drums": [pedalboard.LowpassFilter(4000.0), _reverb(0.3, 0.15, 0.9, 0.7)],
        "bass": [pedalboard.LowpassFilter(2500.0)],
        "pad": [room],
        "arp": [_reverb(0.35, 0.18, 0.85, 0.7)],
        "lead": [_reverb(0.38, 0.2, 0.85, 0.7)],
        "master": [_comp(-20.0, 1.5, 30.0, 250.0)],
    }
    return table[role]


def _neutral(role: str) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [_reverb(0.3, 0.1, 0.9)],
        "bass": [],
        "pad": [_reverb(0.6, 0.2)],
        "arp": [_reverb(0.5, 0.15)],
        "lead": [_reverb(0.5, 0.15)],
        "master": [_comp(-16.0, 2.0, 20.0, 200.0)],
    }
    return table[role]


GENRE_CHAINS: dict[str, Callable[[str], _Chain]] = {
    "synthwave": _synthwave,
    "lofi": _lofi,
    "ambient": _ambient,
    "chiptune": _chiptune,
    "orchestral": _orchestral,
    "house": _house,
    "rock": _rock,
    "jazz": _jazz,
}

_ALIASES = {
    "lo-fi": "lofi",
    "lo fi": "lofi",
    "chip": "chiptune",
    "8-bit": "chiptune",
    "8bit": "chiptune",
    "retrowave": "synthwave",
    "outrun": "synthwave",
    "cinematic": "orchestral",
    "classical": "orchestral",
    "edm": "house",
    "techno": "house",
    "metal": "rock",
}


def _nudge(chain: _Chain, moods: tuple[str, ...], role: str) -> _Chain:
    """Mood tweaks: dark lowers/adds a low-pass, bright lifts it, dreamy adds reverb."""
    moods_l = {m.lower() for m in moods}
    if "dark" in moods_l or "ominous" in moods_l:
        lpfs = [p for p in chain if isinstance(p, pedalboard.LowpassFilter)]
        for lpf in lpfs:
            lpf.cutoff_frequency_hz = float(lpf.cutoff_frequency_hz) * 0.6
        if not lpfs and role != "drums":
            chain.insert(0, pedalboard.LowpassFilter(3000.0 if role != "master" else 8000.0))
    if "bright" in moods_l:
        for q in chain:
            if isinstance(q, pedalboard.LowpassFilter):
                q.cutoff_frequency_hz = min(float(q.cutoff_frequency_hz) * 1.5, 18000.0)
    if moods_l & {"dreamy", "ethereal", "spacious"}:
        verbs = [p for p in chain if isinstance(p, pedalboard.Reverb)]
        for verb in verbs:
            verb.room_size = min(float(verb.room_size) + 0.08, 0.97)
            verb.wet_level = min(float(verb.wet_level) + 0.1, 0.6)
        if not verbs and role not in ("bass", "master"):
            chain.append(_reverb(0.8, 0.25))
    return chain


def chain_for(genre: str, *, moods: tuple[str, ...] = (), role: str) -> pedalboard.Pedalboard:
    """A fresh effects board for one stem of a genre.

    Parameters
    ----------
    genre : str
        ``synthwave``, ``lofi``, ``ambient``, ``chiptune``, ``orchestral``, ``house``,
        ``rock`` or ``jazz`` (a few aliases such as ``lo-fi`` are accepted); any other
        genre gets a neutral chain (light reverb, gentle master compression).
    moods : tuple of str
        Moods that nudge the chain: ``dark`` (darker low-pass), ``bright`` (opener
        low-pass), ``dreamy`` / ``ethereal`` / ``spacious`` (bigger, wetter reverb).
    role : str
        ``drums``, ``bass``, ``pad``, ``arp``, ``lead`` or ``master``.

    Returns
    -------
    pedalboard.Pedalboard
        A new board (possibly empty: chiptune drums stay dry); run it with
        :func:`process_loop` to keep the loop seamless.

    Raises
    ------
    BadInputError
        An unknown role.
    """
    if role not in ROLES:
        raise BadInputError(f"role={role!r} is unknown; use one of {', '.join(ROLES)}")
    key = genre.strip().lower()
    build = GENRE_CHAINS.get(_ALIASES.get(key, key), _neutral)
    return pedalboard.Pedalboard(_nudge(build(role), tuple(moods), role))
