"""loopmill: an unlimited source of seamless, loopable music."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("loopmill")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
