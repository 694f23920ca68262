"""How many threads one loop's work may use (rendering, loudness, decoding, encoding).

Two by default: one ``generate`` on this project's 2-core target machine uses both.
A bulk run's worker processes set it to 1, so that N workers use N cores instead of
fighting over them. ``LOOPMILL_THREADS`` sets it for a whole process.
"""

from __future__ import annotations

import os

from loopmill.errors import BadInputError

_DEFAULT = 2
_override: int | None = None


def max_threads() -> int:
    """Threads one loop's work may use (>= 1)."""
    if _override is not None:
        return _override
    env = os.environ.get("LOOPMILL_THREADS", "").strip()
    if env:
        try:
            value = int(env)
        except ValueError:
            raise BadInputError(
                f"LOOPMILL_THREADS={env!r} is not a whole number; set it to 1 or more"
            ) from None
        if value >= 1:
            return value
        raise BadInputError(f"LOOPMILL_THREADS={env!r} must be at least 1")
    return _DEFAULT


def set_max_threads(n: int | None) -> None:
    """Set the per-loop thread count for this process (None: back to the default)."""
    global _override
    if n is not None and n < 1:
        raise BadInputError(f"threads={n} must be at least 1")
    _override = n
