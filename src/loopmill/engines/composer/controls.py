"""``ComposerControls``: every musical decision of the composer that a person or a search sets.

One frozen, validated object. The composer renders it exactly (the same controls, spec
and seed give the same audio), ``generate --controls FILE.json`` reads it, the sidecar and
the catalog record it, and ``evolve``'s composer genome decodes a vector to it. Every
continuous control lies in a closed range, so a search can move through it smoothly;
:func:`to_unit` / :func:`from_unit` map the continuous ones to ``[0, 1]``.

A control left at ``None`` means "the genre's or the moods' choice", which is what the
composer did before controls existed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from loopmill.errors import BadInputError

__all__ = [
    "CONTINUOUS",
    "FORMS",
    "ROLES",
    "ComposerControls",
    "from_unit",
    "load_controls",
    "to_unit",
]

#: The parts the composer mixes; ``levels`` and ``instruments`` are keyed by these.
ROLES = ("drums", "bass", "chords", "drone", "arp", "lead", "counter", "perc", "texture",
         "ostinato", "musicbox")

#: Form names: ``auto`` lets the genre choose; the others fix the section plan.
FORMS = ("auto", "AABA", "ABAB", "ABAC", "AAB", "build", "through")
Form = Literal["auto", "AABA", "ABAB", "ABAC", "AAB", "build", "through"]

#: continuous control -> (low, high); the order is the genome's order.
CONTINUOUS: dict[str, tuple[float, float]] = {
    "energy": (0.0, 1.0),
    "density": (0.0, 1.0),
    "brightness": (0.0, 1.0),
    "space": (0.0, 1.0),
    "swing": (0.0, 0.75),
    "variation": (0.0, 1.0),
    "chord_colour": (0.0, 1.0),
    "melody_density": (0.0, 1.0),
    "melody_register": (0.0, 1.0),
    "stereo_width": (0.0, 1.0),
    "humanize": (0.0, 1.0),
}


def _unit(lo: float, hi: float, doc: str) -> Any:
    return Field(default=None, ge=lo, le=hi, allow_inf_nan=False, description=doc)


class ComposerControls(BaseModel):
    """The composer's controls; ``None`` leaves a choice to the genre and moods.

    Attributes
    ----------
    energy : float or None, 0..1
        Loudness of the groove, drum activity, velocity; ``None``: from the moods.
    density : float or None, 0..1
        Notes per beat in accompaniment and drums.
    brightness : float or None, 0..1
        Filter cut-offs and harmonic content, dark to bright.
    space : float or None, 0..1
        Reverb and delay amount, dry to cavernous.
    swing : float or None, 0..0.75
        Off-beat delay as a fraction of half a subdivision; ``None``: the genre's.
    variation : float or None, 0..1
        How much bars and sections differ (fills, motif development, pattern changes).
    chord_colour : float or None, 0..1
        Triads (0) to sevenths, ninths, suspensions and passing chords (1).
    melody_density : float or None, 0..1
        Notes per bar in the lead; 0 is sparse, 1 is busy.
    melody_register : float or None, 0..1
        The lead's register, low to high.
    stereo_width : float or None, 0..1
        Spread of the parts across the stereo field (bass and kick stay centred).
    humanize : float or None, 0..1
        Timing and velocity deviations from the grid.
    levels : dict[str, float]
        Part (one of ``ROLES``) -> gain factor, 0..2; missing parts keep 1.
    instruments : dict[str, str]
        Part -> patch name, overriding the genre's choice.
    form : str
        One of ``FORMS``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    energy: float | None = _unit(0.0, 1.0, "groove intensity")
    density: float | None = _unit(0.0, 1.0, "notes per beat")
    brightness: float | None = _unit(0.0, 1.0, "dark to bright")
    space: float | None = _unit(0.0, 1.0, "dry to reverberant")
    swing: float | None = _unit(0.0, 0.75, "off-beat delay")
    variation: float | None = _unit(0.0, 1.0, "difference between bars and sections")
    chord_colour: float | None = _unit(0.0, 1.0, "triads to extended chords")
    melody_density: float | None = _unit(0.0, 1.0, "lead notes per bar")
    melody_register: float | None = _unit(0.0, 1.0, "lead register, low to high")
    stereo_width: float | None = _unit(0.0, 1.0, "spread of the parts")
    humanize: float | None = _unit(0.0, 1.0, "timing and velocity deviation")
    levels: dict[str, float] = Field(default_factory=dict)  # finite: checked below
    instruments: dict[str, str] = Field(default_factory=dict)
    form: Form = "auto"

    @field_validator("levels")
    @classmethod
    def _levels(cls, levels: dict[str, float]) -> dict[str, float]:
        for role, gain in levels.items():
            if role not in ROLES:
                raise ValueError(f"unknown part {role!r}; use one of {', '.join(ROLES)}")
            if not (0.0 <= gain <= 2.0):
                raise ValueError(f"{role} {gain!r} is out of range; use 0 to 2")
        return levels

    @field_validator("instruments")
    @classmethod
    def _instruments(cls, instruments: dict[str, str]) -> dict[str, str]:
        for role in instruments:
            if role not in ROLES:
                raise ValueError(f"unknown part {role!r}; use one of {', '.join(ROLES)}")
        return instruments

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ComposerControls:
        """Validate a mapping (e.g. a sidecar's ``controls``).

        Raises
        ------
        BadInputError
            An unknown key or a value out of range; the message names the field.
        """
        if not isinstance(data, Mapping):
            raise BadInputError(
                f"controls must be a JSON object of control names to values, not "
                f"{type(data).__name__}; see ComposerControls"
            )
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "controls"
            if err["type"] == "extra_forbidden":
                known = ", ".join(cls.model_fields)
                raise BadInputError(f"unknown control {where!r}; use {known}") from None
            msg = str(err["msg"]).removeprefix("Value error, ")
            msg = msg[:1].lower() + msg[1:]
            if err["type"] == "value_error":
                raise BadInputError(f"control {where}: {msg}") from None
            raise BadInputError(f"control {where} {err.get('input')!r}: {msg}") from None

    def to_dict(self, *, explicit: bool = False) -> dict[str, Any]:
        """Plain JSON-able dict; ``explicit=True`` leaves out the ``None`` choices."""
        out = self.model_dump()
        if explicit:
            out = {k: v for k, v in out.items() if v is not None and v != {}}
        return out

    def resolve(self, **defaults: float) -> ComposerControls:
        """A copy whose ``None`` continuous controls take ``defaults[name]`` (if given)."""
        filled = {k: v for k, v in defaults.items() if getattr(self, k, 0) is None}
        unknown = sorted(set(defaults) - set(CONTINUOUS))
        if unknown:
            raise BadInputError(
                f"unknown control(s) {', '.join(unknown)}; use {', '.join(CONTINUOUS)}"
            )
        return self.model_copy(update=filled) if filled else self


def to_unit(controls: ComposerControls, *, fill: float = 0.5) -> np.ndarray:
    """The continuous controls as a float64 vector in ``[0, 1]`` (order of ``CONTINUOUS``).

    A ``None`` control maps to ``fill``.
    """
    out = []
    for name, (lo, hi) in CONTINUOUS.items():
        v = getattr(controls, name)
        out.append(fill if v is None else (float(v) - lo) / (hi - lo))
    return np.asarray(out, dtype=np.float64)


def from_unit(
    x: Sequence[float] | np.ndarray, *, base: ComposerControls | None = None
) -> ComposerControls:
    """Controls from a vector in ``[0, 1]`` (clipped), on top of ``base``'s other fields.

    Raises
    ------
    BadInputError
        ``x`` has the wrong length or non-finite values.
    """
    v = np.asarray(x, dtype=np.float64).reshape(-1)
    if v.size != len(CONTINUOUS):
        raise BadInputError(
            f"a controls vector has {len(CONTINUOUS)} values ({', '.join(CONTINUOUS)}), "
            f"not {v.size}"
        )
    if not np.all(np.isfinite(v)):
        raise BadInputError("a controls vector holds NaN or infinite values")
    v = np.clip(v, 0.0, 1.0)
    update = {
        name: float(lo + (hi - lo) * v[i]) for i, (name, (lo, hi)) in enumerate(CONTINUOUS.items())
    }
    return (base or ComposerControls()).model_copy(update=update)


def load_controls(path: str | Path) -> ComposerControls:
    """Read controls from a JSON file: the object itself, or a sidecar with ``controls``.

    Raises
    ------
    BadInputError
        The file is missing, not JSON, or holds invalid controls.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInputError(f"{p}: controls file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{p}: cannot read the controls file: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"{p}: not JSON ({exc.msg} at line {exc.lineno}); write an object such as "
            '{"energy": 0.8}'
        ) from None
    if isinstance(data, dict) and isinstance(data.get("controls"), dict):
        data = data["controls"]  # a loopmill sidecar: make that loop again
    return ComposerControls.from_dict(data)
