"""``MusicSpec``: what to make, the contract every engine receives."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import KW_ONLY, dataclass
from typing import Any

from loopmill import settings
from loopmill.errors import BadInputError
from loopmill.prompts.vocab import MODES
from loopmill.settings import BPM_RANGE, RENDER_DURATION_RANGE

__all__ = [
    "BPM_RANGE",
    "RENDER_DURATION_RANGE",
    "MusicSpec",
    "check_bpm",
    "check_duration",
    "check_energy",
    "normalize_tonic",
]

_ACCIDENTALS = {"": "", "#": "#", "♯": "#", "b": "b", "♭": "b", "sharp": "#", "flat": "b"}


def _field(name: str) -> str | None:
    """``name`` when it is a field's name (``"bpm"``), None for a phrase (``"the
    prompt's tempo"``): only a field is declared on the error for a front end to rename."""
    return name if name.isidentifier() else None


def _in_range(value: object, name: str, lo: float, hi: float, fix: str) -> float:
    """``value`` as a finite float in ``lo..hi``, or a BadInputError naming ``name``
    that ends with ``fix``: the one checker behind every ``check_*`` here."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInputError(f"{name} {value!r} is not a number; {fix}", field=_field(name))
    result = float(value)
    if not math.isfinite(result):
        raise BadInputError(f"{name} {value!r} is not a finite number; {fix}",
                            field=_field(name))
    if not lo <= result <= hi:
        raise BadInputError(f"{name} {result:g} is out of range; {fix}", field=_field(name))
    return result


def check_bpm(value: object, *, name: str = "bpm") -> float:
    """Validate a tempo; ``name`` is how the message refers to it.

    A field's name (``"bpm"``, the default) is declared on the error, so the CLI says
    ``--bpm``; a phrase (``"the prompt's tempo"``) is used as it is.

    Returns
    -------
    float
        The tempo in beats per minute.

    Raises
    ------
    BadInputError
        Not a number, or outside 24..240.
    """
    lo, hi = BPM_RANGE
    return _in_range(value, name, lo, hi, f"use {lo:g} to {hi:g}")


def check_duration(value: object, *, name: str) -> float:
    """Validate a duration in seconds (1..600); see `check_bpm`."""
    lo, hi = RENDER_DURATION_RANGE
    return _in_range(value, name, lo, hi, f"use {lo:g} to {hi:g} seconds")


def check_energy(value: object, *, name: str = "energy") -> float:
    """Validate an energy level (0..1); see `check_bpm`."""
    return _in_range(value, name, 0.0, 1.0, "use 0 (calm) to 1 (intense)")


def normalize_tonic(text: str) -> str | None:
    """Spell a tonic canonically (``"f#"`` -> ``"F#"``, ``"B♭"`` -> ``"Bb"``).

    Parameters
    ----------
    text : str
        A letter A-G followed by an optional ``#``, ``b``, ``♯``, ``♭``, ``sharp`` or
        ``flat`` (a space or hyphen may come before the word forms).

    Returns
    -------
    str or None
        The tonic, one of `loopmill.prompts.vocab.TONICS`, or None if ``text`` is not one.
    """
    stripped = text.strip()
    if not stripped or stripped[0].upper() not in "ABCDEFG":
        return None
    acc = _ACCIDENTALS.get(stripped[1:].strip(" -").lower())
    return None if acc is None else stripped[0].upper() + acc


def _words(value: object, name: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (tuple, list)):
        raise BadInputError(
            f"{name} must be a list of words, got {value!r}; e.g. {name}=['calm', 'dark']"
        )
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise BadInputError(f"{name} holds {item!r}; use non-empty words")
    return tuple(item.strip() for item in value)


@dataclass(frozen=True)
class MusicSpec:
    """What to make: the contract that every engine receives.

    Everything but ``text`` is keyword-only and optional; engines choose their own
    defaults for fields left at None or empty.

    Attributes
    ----------
    text : str
        The prompt as the user wrote it, recognised words still in it.
    genre : str or None
        Canonical genre (see `loopmill.prompts.vocab.GENRES`) or a free-form one.
    moods, instruments, sections : tuple of str
        Canonical names where known (`MOODS`, `INSTRUMENTS`, `SECTIONS`), in prompt order.
    bpm : float or None
        Tempo, 24..240.
    key : str or None
        Tonic, e.g. ``"D"``, ``"F#"``, ``"Bb"``; spelling is normalised on creation.
    mode : str or None
        ``"major"``, ``"minor"`` or a church mode (``"dorian"``, ... ``"locrian"``).
    energy : float or None
        0 (calm) to 1 (intense).
    min_duration, max_duration : float
        Seconds of audio to generate, 1..600, ``min_duration <= max_duration``.
    seed : int or None
        Random seed (>= 0) for reproducible generation.

    Raises
    ------
    BadInputError
        On creation, when a value is out of range or unknown; the message names the
        value and the fix.
    """

    text: str
    _: KW_ONLY
    genre: str | None = None
    moods: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    bpm: float | None = None
    key: str | None = None
    mode: str | None = None
    energy: float | None = None
    sections: tuple[str, ...] = ()
    min_duration: float = settings.MIN_DURATION
    max_duration: float = settings.MAX_DURATION
    seed: int | None = None

    def __post_init__(self) -> None:
        put = object.__setattr__
        if not isinstance(self.text, str):
            raise BadInputError(f"text must be a string, got {self.text!r}")
        if self.genre is not None and (not isinstance(self.genre, str) or not self.genre.strip()):
            raise BadInputError(f"genre {self.genre!r} is not a genre name; use e.g. 'synthwave'")
        for name in ("moods", "instruments", "sections"):
            put(self, name, _words(getattr(self, name), name))
        if self.bpm is not None:
            put(self, "bpm", check_bpm(self.bpm))
        if self.key is not None:
            tonic = normalize_tonic(self.key) if isinstance(self.key, str) else None
            if tonic is None:
                raise BadInputError(
                    f"unknown key tonic {self.key!r}; use A-G with an optional #/b, "
                    'e.g. "D", "F#" or "Bb"'
                )
            put(self, "key", tonic)
        if self.mode is not None:
            mode = self.mode.strip().lower() if isinstance(self.mode, str) else None
            if mode not in MODES:
                raise BadInputError(f"unknown mode {self.mode!r}; use one of {', '.join(MODES)}")
            put(self, "mode", mode)
        if self.energy is not None:
            put(self, "energy", check_energy(self.energy))
        lo = check_duration(self.min_duration, name="min_duration")
        hi = check_duration(self.max_duration, name="max_duration")
        if lo > hi:
            raise BadInputError(
                f"min_duration {lo:g} is longer than max_duration {hi:g}; "
                "make min_duration <= max_duration", field=("min_duration", "max_duration")
            )
        put(self, "min_duration", lo)
        put(self, "max_duration", hi)
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0
        ):
            raise BadInputError(f"seed {self.seed!r} is not valid; use an integer >= 0",
                                field="seed")

    @property
    def key_name(self) -> str | None:
        """Key as text, e.g. ``"D minor"``, ``"F#"`` (no mode) or None (no tonic)."""
        if self.key is None:
            return None
        return f"{self.key} {self.mode}" if self.mode else self.key

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (tuples become lists); `from_dict` reverses it."""
        out = dataclasses.asdict(self)
        for name in ("moods", "instruments", "sections"):
            out[name] = list(out[name])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MusicSpec:
        """Build a spec from `to_dict` output (missing fields take their defaults).

        Raises
        ------
        BadInputError
            Unknown fields, a missing ``text``, or invalid values.
        """
        _check_fields(data)
        if "text" not in data:
            raise BadInputError("a MusicSpec needs 'text'; add the prompt text")
        fields = dict(data)
        return cls(fields.pop("text"), **fields)

    def with_overrides(self, **changes: Any) -> MusicSpec:
        """A copy with ``changes`` applied and validated, e.g. ``spec.with_overrides(bpm=120)``.

        Raises
        ------
        BadInputError
            Unknown fields or invalid values.
        """
        _check_fields(changes)
        return dataclasses.replace(self, **changes)


_FIELDS = tuple(f.name for f in dataclasses.fields(MusicSpec))


def _check_fields(data: dict[str, Any]) -> None:
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise BadInputError(
            f"unknown MusicSpec field(s) {', '.join(map(repr, unknown))}; "
            f"use {', '.join(_FIELDS)}"
        )
