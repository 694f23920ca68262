"""kill -9 of the coordinator: no worker may live on (and publish) without it."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from loopmill.pipeline.auto import AutoOptions, run_auto
from tests.faults import runs
from tests.faults.procs import alive, descendants, needs_proc, wait_gone


def _kill_coordinator_with_workers(tmp_path: Path, *extra: str, after: int = 1
                                   ) -> tuple[Path, set[int]]:
    proc = runs.start(tmp_path, *runs.auto_args(tmp_path, "--count", "8", "--workers", "2",
                                                *extra))
    # wait until both workers are up and ``after`` items are stored
    runs.wait_for(lambda: runs.done_lines(tmp_path) >= after
                  and len(descendants(proc.pid)) >= 3, proc)
    kids = descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)  # the coordinator only: workers get no signal
    proc.wait()
    (run_dir,) = (tmp_path / "runs").iterdir()
    return run_dir, kids


@needs_proc
def test_kill9_of_the_coordinator_leaves_no_worker_alive(tmp_path: Path) -> None:
    _, kids = _kill_coordinator_with_workers(tmp_path)
    assert len(kids) >= 2  # two workers (and the resource tracker)
    left = wait_gone(kids, 10)
    try:
        assert not left, f"orphans still alive 10 s after kill -9: {sorted(left)}"
    finally:
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    # and nothing more appears: the workers published nothing after the coordinator died
    files = sorted((tmp_path / "out").glob("*.ogg"))
    time.sleep(1.5)
    assert sorted((tmp_path / "out").glob("*.ogg")) == files


@needs_proc
@pytest.mark.slow
@pytest.mark.parametrize("after", [0, 2, 5])
def test_kill9_at_several_points_then_resume(tmp_path: Path, after: int) -> None:
    run_dir, kids = _kill_coordinator_with_workers(tmp_path, after=after)
    assert not wait_gone(kids, 10)
    # resume: every file has exactly one catalog row, no duplicates, nothing partial
    report = run_auto(AutoOptions(), resume=run_dir)
    assert report.ok, report.failures
    files = sorted((tmp_path / "out").glob("*.ogg"))
    rows = runs.rows(tmp_path / "cat.sqlite")
    assert len(files) == 8 == len(rows)
    assert sorted(Path(json.loads(r["uris"])[0]).name for r in rows) == [f.name for f in files]
    assert not list((tmp_path / "out").glob(".*"))


@needs_proc
def test_a_worker_whose_parent_is_gone_exits_by_itself(tmp_path: Path) -> None:
    """The watchdog (for platforms without a parent-death signal) on its own."""
    import subprocess
    import sys

    code = ("import os,sys,time;from loopmill._parent import watch_parent;"
            "watch_parent(int(sys.argv[1]), use_signal=False, interval=0.1);time.sleep(60)")
    middle = subprocess.Popen(
        [sys.executable, "-c",
         "import subprocess,sys,time;p=subprocess.Popen([sys.executable,'-c',sys.argv[1],"
         "str(__import__('os').getpid())]);print(p.pid,flush=True);time.sleep(60)", code],
        stdout=subprocess.PIPE, text=True)
    assert middle.stdout is not None
    child = int(middle.stdout.readline())
    time.sleep(0.5)
    assert alive(child)
    middle.kill()
    middle.wait()
    assert not wait_gone({child}, 5)


