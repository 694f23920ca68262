"""``GenerationParams``: how to sample, passed to an engine's ``generate`` with a spec."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from loopmill import settings
from loopmill.errors import BadInputError

__all__ = ["GenerationParams"]


def _real(value: object, name: str, fix: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInputError(f"{name} {value!r} is not a number; {fix}")
    if not math.isfinite(value):
        raise BadInputError(f"{name} {value!r} is not a finite number; {fix}")
    return float(value)


@dataclass(frozen=True, kw_only=True)
class GenerationParams:
    """Sampling settings for an engine; stateless, never set on an engine object.

    Attributes
    ----------
    temperature : float
        Softmax temperature, > 0; higher is more varied.
    top_k : int
        Sample from the k most likely tokens; 0 turns it off.
    top_p : float
        Nucleus sampling mass, 0..1; 0 turns it off.
    guidance : float
        Classifier-free guidance scale, >= 0.
    extra : Mapping[str, Any]
        Engine-specific options, stored as a read-only mapping (a shallow copy of
        what was given).

    Raises
    ------
    BadInputError
        On creation, when a value is out of range; the message names it and the fix.
    """

    temperature: float = settings.TEMPERATURE
    top_k: int = settings.TOP_K
    top_p: float = settings.TOP_P
    guidance: float = settings.GUIDANCE
    extra: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    def __post_init__(self) -> None:
        put = object.__setattr__
        temperature = _real(self.temperature, "temperature", "use a value > 0, e.g. 1.0")
        if temperature <= 0:
            raise BadInputError(f"temperature {temperature:g} is out of range; use a value > 0, "
                                "e.g. 1.0")
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 0:
            raise BadInputError(f"top_k {self.top_k!r} is out of range; use 0 (off) or a "
                                "positive integer, e.g. 250")
        top_p = _real(self.top_p, "top_p", "use 0 (off) to 1")
        if not 0 <= top_p <= 1:
            raise BadInputError(f"top_p {top_p:g} is out of range; use 0 (off) to 1")
        guidance = _real(self.guidance, "guidance", "use 0 or more, e.g. 3.0")
        if guidance < 0:
            raise BadInputError(f"guidance {guidance:g} is out of range; use 0 or more, e.g. 3.0")
        if not isinstance(self.extra, Mapping) or not all(isinstance(k, str) for k in self.extra):
            raise BadInputError(
                f"extra {self.extra!r} is not a mapping of option names to values; "
                "use e.g. {'cfg_coef': 3.0}"
            )
        put(self, "temperature", temperature)
        put(self, "top_p", top_p)
        put(self, "guidance", guidance)
        put(self, "extra", MappingProxyType(dict(self.extra)))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (``extra`` as a dict); JSON-able when the extra values are."""
        return {
            "temperature": self.temperature,
            "top_k": self.top_k,
            "top_p": self.top_p,
            "guidance": self.guidance,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GenerationParams:
        """Build params from `to_dict` output; missing fields take their defaults.

        Raises
        ------
        BadInputError
            Unknown fields or invalid values.
        """
        known = ("temperature", "top_k", "top_p", "guidance", "extra")
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise BadInputError(
                f"unknown GenerationParams field(s) {', '.join(map(repr, unknown))}; "
                f"use {', '.join(known)}"
            )
        return cls(**data)

    def __reduce__(self) -> tuple[Any, ...]:
        # MappingProxyType cannot be pickled; rebuild from a plain dict (Dask, spawn).
        return (_rebuild, (self.to_dict(),))


def _rebuild(data: dict[str, Any]) -> GenerationParams:
    return GenerationParams.from_dict(data)
