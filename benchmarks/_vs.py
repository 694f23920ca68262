"""Run a benchmark's commands against another commit, side by side with this tree.

``source(rev, tmp)`` unpacks ``rev``'s ``src/`` (``git archive``) into ``tmp`` and
returns it; :func:`env` makes a fresh process import loopmill from a given ``src/``
(the installed entry point is bypassed: both sides run ``python -m loopmill``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def source(rev: str, tmp: Path) -> Path:
    """``rev``'s ``src`` folder, unpacked under ``tmp``."""
    out = tmp / f"rev-{rev.replace('/', '_')}"
    out.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out / "src"


def env(src: Path) -> dict[str, str]:
    """The environment of a process that imports loopmill from ``src``."""
    return {**os.environ, "PYTHONPATH": str(src)}


def loopmill(*args: str) -> list[str]:
    """``python -m loopmill ARGS`` with this interpreter."""
    return [sys.executable, "-m", "loopmill", *args]
