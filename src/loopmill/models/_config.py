"""What the models' dataclass configs share: their integer checks, and rebuilding one
from the plain dict a checkpoint holds (:mod:`loopmill.training.checkpoint`)."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import fields
from typing import Any, TypeVar

from loopmill.errors import BadInputError

__all__ = ["as_int", "config_from_dict"]

C = TypeVar("C")


def as_int(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int of at least ``minimum`` (numpy ints pass; floats, bools don't)."""
    try:
        out = -1 if isinstance(value, bool) else operator.index(value)
    except TypeError:
        out = -1
    if out < minimum:
        raise BadInputError(f"{name} {value!r} must be an integer of at least {minimum}")
    return out


def config_from_dict(cls: type[C], data: Mapping[str, Any], *, model: str) -> C:
    """``cls(**data)``, refusing keys ``cls`` has no field for (a ``model`` config
    key that is unknown names them, and the known ones)."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]  # a dataclass
    unknown = sorted(set(data) - known)
    if unknown:
        raise BadInputError(f"unknown {model} config key(s) {', '.join(unknown)}; "
                            f"known: {', '.join(sorted(known))}")
    return cls(**data)
