"""The command's quick exit: the status, the atexit handlers and the streams are kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from loopmill._exit import exit_code


def _run(body: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import atexit, sys, threading\n"
        "from loopmill._exit import exit_now\n"
        "atexit.register(lambda: print('atexit ran', flush=True))\n"
        "sys.stdout.write('buffered, not flushed')\n" + body
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (3, 3), ("bad", 1)])
def test_status_atexit_and_buffered_output_survive(code: object, status: int) -> None:
    done = _run(f"exit_now({code!r})\nprint('never reached')\n")
    assert done.returncode == status
    assert done.stdout.startswith("buffered, not flushed")
    assert "atexit ran" in done.stdout
    assert "never reached" not in done.stdout
    assert ("bad" in done.stderr) == (code == "bad")
    assert exit_code(code) == status


def test_a_running_thread_gets_a_normal_exit() -> None:
    # a non-daemon thread still working: the interpreter waits for it as usual
    done = _run(
        "import time\n"
        "t = threading.Thread(target=lambda: (time.sleep(0.3), print('thread done')))\n"
        "t.start()\n"
        "exit_now(4)\n"
    )
    assert done.returncode == 4
    assert "thread done" in done.stdout
    assert "atexit ran" in done.stdout


def test_the_command_keeps_its_exit_codes(tmp_path: Path) -> None:
    exe = [sys.executable, "-c", "from loopmill.cli.main import main; main()"]
    bad = subprocess.run([*exe, "generate", "lofi", "--format", "xyz", "--dest",
                          str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "unknown --format 'xyz'" in bad.stderr
    ok = subprocess.run([*exe, "--version"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0
    assert ok.stdout.startswith("loopmill ")
