"""Drive the real ``loopmill`` command in a child process, as a user's shell would."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

EXE = str(Path(sys.executable).with_name("loopmill"))


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test's environment plus private run, cache and temp folders."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    return {**os.environ, "LOOPMILL_RUNS": str(tmp_path / "runs"), "TMPDIR": str(tmp),
            **extra}


def start(tmp_path: Path, *args: str, **extra: str) -> subprocess.Popen[str]:
    """``loopmill ARGS`` in its own session (so a kill reaches only what it started)."""
    return subprocess.Popen([EXE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env(tmp_path, **extra), start_new_session=True)


def run(tmp_path: Path, *args: str, timeout: float = 120, **extra: str
        ) -> subprocess.CompletedProcess[str]:
    """``loopmill ARGS`` to the end."""
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=timeout,
                          env=env(tmp_path, **extra))


def auto_args(tmp_path: Path, *args: str) -> list[str]:
    return ["auto", "--dest", str(tmp_path / "out"), "--catalog", str(tmp_path / "cat.sqlite"),
            "--seed", "3", "--min-duration", "8", "--max-duration", "12", *args]


def wait_for(predicate: Any, proc: subprocess.Popen[str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise AssertionError(proc.communicate())
        time.sleep(0.1)
    raise AssertionError("timed out")


def done_lines(tmp_path: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in (tmp_path / "runs").glob("*/done.jsonl"))


def rows(catalog: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(catalog) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute("select * from loops order by id"))
