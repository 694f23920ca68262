"""The "for you" sort: loops ordered by the listener model's predicted score."""

from __future__ import annotations

from typing import Any

from loopmill.errors import BadInputError


def for_you_page(studio: Any, filters: dict[str, Any], *, offset: int,
                 limit: int) -> tuple[list[dict[str, Any]], int, dict[int, float]]:
    """One page of loops, best predicted first."""
    raise BadInputError("the for-you sort needs the listener model; not available yet")
