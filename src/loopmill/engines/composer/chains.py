"""Genre- and role-specific effect chains for the composer's stems (pedalboard boards).

:func:`chain_for` builds a fresh board; run it with
:func:`loopmill.engines.composer.effects.process_loop` to keep the loop seamless.
Every echo is tempo-synced: a chain states its delays in beats (a dotted eighth is
0.75 beat) and :func:`chain_for` turns them into seconds at the loop's tempo, so the
repeats fall on the grid the parts play on (a delay fixed in seconds drifts off it,
and its periodicity competes with the beat's).
"""

from __future__ import annotations

from collections.abc import Callable

import pedalboard

from loopmill.errors import BadInputError

__all__ = ["GENRE_CHAINS", "ROLES", "chain_for"]

ROLES = ("drums", "bass", "pad", "arp", "lead", "master")


_Chain = list[pedalboard.Plugin]


def _reverb(
    room: float, wet: float, dry: float = 0.8, damping: float = 0.5, width: float = 1.0
) -> pedalboard.Reverb:
    return pedalboard.Reverb(
        room_size=room, wet_level=wet, dry_level=dry, damping=damping, width=width
    )


def _echo(beats: float, feedback: float, mix: float, *, beat: float) -> pedalboard.Delay:
    """A delay of ``beats`` beats (``beat``: seconds per beat) at ``feedback`` and ``mix``."""
    return pedalboard.Delay(delay_seconds=beats * beat, feedback=feedback, mix=mix)


def _comp(
    threshold: float = -18.0, ratio: float = 3.0, attack: float = 10.0, release: float = 120.0
) -> pedalboard.Compressor:
    return pedalboard.Compressor(
        threshold_db=threshold, ratio=ratio, attack_ms=attack, release_ms=release
    )


def _synthwave(role: str, beat: float) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [_comp(-16.0, 3.0, 5.0, 100.0), _reverb(0.35, 0.12, 0.9)],
        "bass": [pedalboard.LowpassFilter(2500.0), _comp(-20.0, 3.0)],
        "pad": [pedalboard.Chorus(rate_hz=0.6, depth=0.35, mix=0.5), _reverb(0.88, 0.35, 0.7, 0.4)],
        "arp": [_echo(0.75, 0.35, 0.25, beat=beat), _reverb(0.7, 0.2)],
        "lead": [
            pedalboard.Chorus(rate_hz=0.8, depth=0.2, mix=0.3),
            _echo(0.5, 0.3, 0.2, beat=beat),
            _reverb(0.75, 0.25),
        ],
        "master": [_comp(-14.0, 2.0, 20.0, 200.0)],
    }
    return table[role]


def _lofi(role: str, beat: float) -> _Chain:
    sat = [pedalboard.Distortion(drive_db=4.0), pedalboard.Gain(-3.0)]
    table: dict[str, _Chain] = {
        "drums": [pedalboard.LowpassFilter(6000.0), *sat, _reverb(0.25, 0.1, 0.9)],
        "bass": [pedalboard.LowpassFilter(1200.0), _comp(-20.0, 3.0)],
        "pad": [pedalboard.LowpassFilter(3500.0), *sat, _reverb(0.45, 0.2)],
        "arp": [
            pedalboard.LowpassFilter(4000.0),
            _echo(0.5, 0.25, 0.2, beat=beat),
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


def _ambient(role: str, beat: float) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [pedalboard.LowpassFilter(5000.0), _reverb(0.8, 0.3, 0.7)],
        "bass": [pedalboard.LowpassFilter(900.0), _reverb(0.6, 0.12, 0.9)],
        "pad": [_reverb(0.96, 0.5, 0.6, 0.3), _echo(1.0, 0.45, 0.3, beat=beat)],
        "arp": [_echo(0.75, 0.5, 0.35, beat=beat), _reverb(0.94, 0.45, 0.6)],
        "lead": [_echo(0.5, 0.4, 0.3, beat=beat), _reverb(0.93, 0.4, 0.7)],
        "master": [_reverb(0.7, 0.08, 1.0), _comp(-18.0, 1.5, 40.0, 300.0)],
    }
    return table[role]


def _chiptune(role: str, beat: float) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [],
        "bass": [],
        "pad": [_echo(0.25, 0.15, 0.12, beat=beat)],
        "arp": [_echo(0.375, 0.2, 0.15, beat=beat)],
        "lead": [_echo(0.5, 0.2, 0.15, beat=beat)],
        "master": [_comp(-12.0, 2.0, 5.0, 80.0)],
    }
    return table[role]


def _acoustic(
    role: str, *, damping: float, rooms: dict[str, tuple[float, float, float]],
    lowpass: dict[str, float], master: pedalboard.Compressor,
) -> _Chain:
    """An acoustic ensemble in one room: per role an optional low-pass, then the room
    (``rooms[role]``: size, wet, dry; one ``damping`` for all); the master compresses."""
    chain: _Chain = []
    if role in lowpass:
        chain.append(pedalboard.LowpassFilter(lowpass[role]))
    if role in rooms:
        chain.append(_reverb(*rooms[role], damping=damping))
    return [*chain, master] if role == "master" else chain


def _orchestral(role: str, beat: float) -> _Chain:
    return _acoustic(role, damping=0.6, lowpass={"bass": 3000.0}, rooms={
        "drums": (0.85, 0.25, 0.8), "bass": (0.8, 0.15, 0.9), "pad": (0.85, 0.3, 0.75),
        "arp": (0.82, 0.25, 0.8), "lead": (0.83, 0.28, 0.8)},
        master=_comp(-20.0, 1.5, 50.0, 400.0))


def _house(role: str, beat: float) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [_comp(-20.0, 4.0, 3.0, 80.0), pedalboard.Gain(2.0)],
        "bass": [pedalboard.HighpassFilter(35.0), _comp(-20.0, 4.0, 5.0, 80.0)],
        "pad": [pedalboard.Chorus(rate_hz=0.5, depth=0.25, mix=0.35), _reverb(0.6, 0.2)],
        "arp": [_echo(0.75, 0.4, 0.3, beat=beat), _reverb(0.5, 0.12)],
        "lead": [_echo(0.5, 0.3, 0.2, beat=beat), _reverb(0.55, 0.15)],
        "master": [_comp(-14.0, 3.0, 10.0, 100.0)],
    }
    return table[role]


def _amp(drive: float, *, level: float) -> _Chain:
    """A guitar amp: drive into a cabinet (tight lows, a 2.4 kHz bite, no fizz above 5 kHz)."""
    return [
        pedalboard.HighpassFilter(cutoff_frequency_hz=90.0),
        pedalboard.Distortion(drive_db=drive),
        pedalboard.PeakFilter(cutoff_frequency_hz=2400.0, gain_db=3.0, q=0.8),
        pedalboard.LowpassFilter(cutoff_frequency_hz=4800.0),
        pedalboard.Gain(level),
    ]


def _rock(role: str, beat: float, drive: float = 1.0) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [_comp(-18.0, 4.0, 5.0, 100.0), _reverb(0.4, 0.12, 0.9)],
        "bass": [pedalboard.Distortion(drive_db=3.0 + 4 * (drive - 1)), pedalboard.Gain(-2.0),
                 _comp(-20.0, 4.0)],
        "pad": [*_amp(14.0 * drive, level=-12.0 - 4 * (drive - 1)), _reverb(0.45, 0.12)],
        "arp": [*_amp(14.0 * drive, level=-12.0), _echo(0.5, 0.2, 0.15, beat=beat)],
        "lead": [*_amp(20.0 * drive, level=-16.0), _comp(-18.0, 3.0),
                 _echo(0.75, 0.25, 0.18, beat=beat), _reverb(0.4, 0.15)],
        "master": [_comp(-16.0, 3.0, 10.0, 120.0)],
    }
    return table[role]


def _metal(role: str, beat: float) -> _Chain:
    return _rock(role, beat, drive=1.6)


def _fantasy(role: str, beat: float) -> _Chain:
    hall = _reverb(0.8, 0.28, 0.8, 0.5)
    table: dict[str, _Chain] = {
        "drums": [pedalboard.LowpassFilter(7000.0), _reverb(0.6, 0.2, 0.85)],
        "bass": [pedalboard.LowpassFilter(2500.0), _reverb(0.7, 0.12, 0.9)],
        "pad": [hall],
        "arp": [_echo(0.5, 0.25, 0.18, beat=beat), _reverb(0.8, 0.25, 0.8)],
        "lead": [_reverb(0.78, 0.25, 0.8)],
        "master": [_comp(-18.0, 1.8, 30.0, 250.0)],
    }
    return table[role]


def _horror(role: str, beat: float) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [pedalboard.LowpassFilter(3500.0), _reverb(0.9, 0.35, 0.75)],
        "bass": [pedalboard.LowpassFilter(900.0), _reverb(0.8, 0.15, 0.9)],
        "pad": [pedalboard.Chorus(rate_hz=0.15, depth=0.5, mix=0.4), _reverb(0.95, 0.45, 0.6)],
        "arp": [_echo(0.75, 0.5, 0.35, beat=beat), _reverb(0.94, 0.4, 0.6)],
        "lead": [_echo(0.5, 0.45, 0.35, beat=beat), _reverb(0.95, 0.45, 0.6)],
        "master": [pedalboard.LowpassFilter(9000.0), _comp(-18.0, 1.5, 40.0, 300.0)],
    }
    return table[role]


def _dnb(role: str, beat: float) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [_comp(-20.0, 4.0, 2.0, 60.0), pedalboard.Gain(2.0), _reverb(0.3, 0.08, 0.9)],
        "bass": [pedalboard.Distortion(drive_db=6.0), pedalboard.Gain(-5.0),
                 pedalboard.LowpassFilter(1800.0), _comp(-20.0, 4.0, 5.0, 80.0)],
        "pad": [pedalboard.Chorus(rate_hz=0.4, depth=0.3, mix=0.4), _reverb(0.85, 0.3, 0.7)],
        "arp": [_echo(0.75, 0.35, 0.25, beat=beat), _reverb(0.6, 0.15)],
        "lead": [_echo(1.0, 0.3, 0.2, beat=beat), _reverb(0.7, 0.2)],
        "master": [_comp(-14.0, 3.0, 5.0, 80.0)],
    }
    return table[role]


def _trap(role: str, beat: float) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [_comp(-18.0, 4.0, 3.0, 80.0), pedalboard.Gain(1.5)],
        "bass": [pedalboard.Distortion(drive_db=5.0), pedalboard.Gain(-4.0),
                 pedalboard.LowpassFilter(900.0)],
        "pad": [pedalboard.LowpassFilter(5000.0), _reverb(0.85, 0.3, 0.7)],
        "arp": [_echo(0.75, 0.3, 0.2, beat=beat), _reverb(0.7, 0.2)],
        "lead": [_echo(1.0, 0.35, 0.25, beat=beat), _reverb(0.8, 0.25)],
        "master": [_comp(-14.0, 3.0, 10.0, 100.0)],
    }
    return table[role]


def _world(role: str, beat: float) -> _Chain:
    room = _reverb(0.5, 0.18, 0.85, 0.6)
    table: dict[str, _Chain] = {
        "drums": [_comp(-18.0, 2.5, 8.0, 120.0), _reverb(0.45, 0.15, 0.9)],
        "bass": [pedalboard.LowpassFilter(2000.0)],
        "pad": [room],
        "arp": [_echo(0.5, 0.2, 0.15, beat=beat), _reverb(0.5, 0.18)],
        "lead": [_reverb(0.6, 0.22, 0.85)],
        "master": [_comp(-16.0, 2.0, 20.0, 200.0)],
    }
    return table[role]


def _jazz(role: str, beat: float) -> _Chain:
    # a soft, dark kit (brushes and a warm ride, not a rock hi-hat) in a small room
    return _acoustic(role, damping=0.7, lowpass={"drums": 4000.0, "bass": 2500.0}, rooms={
        "drums": (0.3, 0.15, 0.9), "pad": (0.35, 0.18, 0.85), "arp": (0.35, 0.18, 0.85),
        "lead": (0.38, 0.2, 0.85)},
        master=_comp(-20.0, 1.5, 30.0, 250.0))


def _neutral(role: str, beat: float) -> _Chain:
    table: dict[str, _Chain] = {
        "drums": [_reverb(0.3, 0.1, 0.9)],
        "bass": [],
        "pad": [_reverb(0.6, 0.2)],
        "arp": [_reverb(0.5, 0.15)],
        "lead": [_reverb(0.5, 0.15)],
        "master": [_comp(-16.0, 2.0, 20.0, 200.0)],
    }
    return table[role]


#: genre -> builder(role, seconds per beat) of that role's chain
GENRE_CHAINS: dict[str, Callable[[str, float], _Chain]] = {
    "synthwave": _synthwave,
    "lofi": _lofi,
    "ambient": _ambient,
    "chiptune": _chiptune,
    "orchestral": _orchestral,
    "house": _house,
    "rock": _rock,
    "jazz": _jazz,
    "fantasy": _fantasy,
    "horror": _horror,
    "dnb": _dnb,
    "trap": _trap,
    "metal": _metal,
    "world": _world,
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
    "medieval": "fantasy",
    "drum and bass": "dnb",
    "hip hop": "trap",
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


def chain_for(
    genre: str, *, moods: tuple[str, ...] = (), role: str, bpm: float
) -> pedalboard.Pedalboard:
    """A fresh effects board for one stem of a genre, its echoes synced to ``bpm``.

    Parameters
    ----------
    genre : str
        One of :data:`GENRE_CHAINS` (``synthwave``, ``lofi``, ``ambient`` ...; a few
        aliases such as ``lo-fi`` are accepted); any other genre gets a neutral chain
        (light reverb, gentle master compression).
    moods : tuple of str
        Moods that nudge the chain: ``dark`` (darker low-pass), ``bright`` (opener
        low-pass), ``dreamy`` / ``ethereal`` / ``spacious`` (bigger, wetter reverb).
    role : str
        ``drums``, ``bass``, ``pad``, ``arp``, ``lead`` or ``master``.
    bpm : float
        The loop's tempo (> 0): every delay is a whole or dotted note value of it.

    Returns
    -------
    pedalboard.Pedalboard
        A new board (possibly empty: chiptune drums stay dry); run it with
        :func:`process_loop` to keep the loop seamless.

    Raises
    ------
    BadInputError
        An unknown role, or a tempo that is not positive.
    """
    if role not in ROLES:
        raise BadInputError(f"role={role!r} is unknown; use one of {', '.join(ROLES)}")
    if not bpm > 0:
        raise BadInputError(f"bpm={bpm!r} must be a positive tempo, e.g. 120")
    key = genre.strip().lower()
    build = GENRE_CHAINS.get(_ALIASES.get(key, key), _neutral)
    return pedalboard.Pedalboard(_nudge(build(role, 60.0 / bpm), tuple(moods), role))
