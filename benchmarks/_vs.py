"""Run a benchmark's commands against another commit, side by side with this tree.

``source(rev, tmp)`` unpacks ``rev``'s ``src/`` (``git archive``) into ``tmp`` and
returns it; :func:`env` makes a fresh process import loopmill from a given ``src/``
(the installed entry point is bypassed: both sides run ``python -m loopmill``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
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


#: The environment a user's shell gives: bytecode cached, as Python does by default
#: (some sandboxes set ``PYTHONDONTWRITEBYTECODE``, and then every run compiles again).
USER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def env(src: Path) -> dict[str, str]:
    """The environment of a process that imports loopmill from ``src``.

    Without ``PYTHONDONTWRITEBYTECODE``: both sides cache their bytecode, as a user's
    Python does, so neither pays for compiling its sources on every run.
    """
    return {**USER_ENV, "PYTHONPATH": str(src)}


def loopmill(*args: str) -> list[str]:
    """``python -m loopmill ARGS`` with this interpreter."""
    return [sys.executable, "-m", "loopmill", *args]


def sides(rev: str, tmp: Path) -> dict[str, dict[str, str]]:
    """The environments of both sides: ``old`` imports ``rev``'s src, ``new`` this tree's."""
    return {"old": env(source(rev, tmp)), "new": env(ROOT / "src")}


def alternate(repeat: int, make: Callable[[str, int], list[str]],
              envs: dict[str, dict[str, str]],
              cpu: dict[str, list[float]] | None = None) -> dict[str, list[float]]:
    """Wall seconds of ``make(side, r)``'s command, ``repeat`` times per side, the two
    sides alternating (old first, then new first) so that load hits both alike.

    Given ``cpu`` (a dict), its ``old`` and ``new`` lists get each run's CPU seconds
    (user + system of the child): on a machine loaded by others the CPU time varies
    far less than the wall time, so its ratio is the steadier one."""
    import resource
    import time

    times: dict[str, list[float]] = {"old": [], "new": []}
    for r in range(repeat):
        for side in (("old", "new") if r % 2 == 0 else ("new", "old")):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            proc = subprocess.run(make(side, r), env=envs[side], capture_output=True, text=True)
            times[side].append(time.perf_counter() - t)
            if proc.returncode:
                raise SystemExit(f"{side} failed ({proc.returncode}): {proc.stderr[-2000:]}")
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if cpu is not None:
                cpu.setdefault(side, []).append(after.ru_utime - before.ru_utime
                                                + after.ru_stime - before.ru_stime)
    return times
