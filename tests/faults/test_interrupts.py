"""Ctrl-C, twice: the run stops at once and still says how to go on."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.faults import runs
from tests.faults.procs import descendants, needs_proc, wait_gone


@needs_proc
@pytest.mark.slow
def test_a_second_ctrl_c_keeps_the_resume_hint(tmp_path: Path) -> None:
    proc = runs.start(tmp_path, *runs.auto_args(tmp_path, "--workers", "1"))  # until Ctrl-C
    runs.wait_for(lambda: runs.done_lines(tmp_path) >= 1, proc)
    kids = descendants(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)  # the terminal signals the whole group
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert f"loopmill auto --resume {run_dir}" in err.replace("\n", "")
    assert not wait_gone(kids, 10)  # and no worker is left behind
