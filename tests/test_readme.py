"""Every example in the README runs: its shell commands and its Python blocks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Set-up lines are what .ci/run itself does; running pytest here would recurse.
SKIP = ("python3 -m venv", "pip install", "python -m pytest")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "examples", work / "examples")
    return work


def test_readme_top_shows_install_loop_and_tests() -> None:
    first = _blocks("bash")[0]
    assert "pip install" in first
    assert "loopmill generate" in first
    assert "python -m pytest" in first
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "\npython -m pytest\n" in ci, "CI must run exactly the README's test command"


def test_readme_shell_examples_run(workdir: Path) -> None:
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    # auto's catalog, run folders and spool stay in the work dir
    env["XDG_DATA_HOME"], env["XDG_CACHE_HOME"] = str(workdir / "data"), str(workdir / "cache")
    commands = [
        line.strip()
        for block in _blocks("bash")
        for line in block.splitlines()
        if line.strip() and not line.strip().startswith(SKIP)
    ]
    assert any(c.startswith("loopmill inspect") for c in commands)
    for cmd in commands:
        proc = subprocess.run(
            cmd, shell=True, cwd=workdir, env=env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    assert (workdir / "loops" / "demo_loop.wav").is_file()
    assert len(list((workdir / "loops").glob("loop_*_42.ogg"))) == 1  # --seed 42, first
    assert (workdir / "loops" / "demo_loop.json").is_file()
    assert len(list((workdir / "bulk").glob("*.ogg"))) == 4
    assert (workdir / "data" / "demo" / "manifest.json").is_file()  # dataset prepare
    assert (workdir / "runs" / "demo" / "best.pt").is_file()  # train samplernn
    assert len(list((workdir / "samples").glob("samplernn_1_*.wav"))) == 4  # sample
    assert len(list((workdir / "bulk").glob("*.json"))) == 4
    assert (workdir / "catalog.csv").read_text().count("\n") >= 5  # header + 4 loops
    assert (workdir / "suites" / "space-shooter" / "manifest.json").is_file()


def test_readme_python_examples_run(workdir: Path) -> None:
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        for block in _blocks("python"):
            exec(compile(block, "README.md", "exec"), {})  # our own README
    finally:
        os.chdir(cwd)
    assert (workdir / "demo_loop.flac").is_file()
