"""loopmill: an unlimited source of seamless, loopable music.

The public entry points are imported lazily so that ``import loopmill`` (and the
CLI's start) stay fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# The single source of the version (pyproject reads it): a literal, because
# importlib.metadata costs ~50 ms of every CLI start.
__version__ = "0.1.0"

_LAZY = {
    "generate": "loopmill.pipeline.generate",
    "make_loop": "loopmill.loops.make",
    "plan_loop": "loopmill.loops.make",
    "Loop": "loopmill.loops.types",
    "loop_files": "loopmill.pipeline.loop_files",
    "LoopOptions": "loopmill.pipeline.loop_files",
    "inspect_file": "loopmill.pipeline.inspect",
    "analyze": "loopmill.analysis",
    "load": "loopmill.audio",
    "save": "loopmill.audio",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'loopmill' has no attribute {name!r}")
