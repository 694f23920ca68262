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


def _tagged_blocks(lang: str) -> list[tuple[tuple[str, ...], str]]:
    """Each ``lang`` block with the modules a ``<!-- needs: a, b -->`` line just before
    it names (a block for an extra runs only where the extra is installed)."""
    out = []
    for m in re.finditer(rf"(?:<!-- needs: ([\w, ]+?)(?: \(.*?\))? -->\n)?```{lang}\n(.*?)```",
                         README, flags=re.S):
        needs = tuple(n.strip() for n in (m.group(1) or "").split(",") if n.strip())
        out.append((needs, m.group(2)))
    return out


def _shell_blocks() -> list[tuple[tuple[str, ...], list[str]]]:
    """Each bash block's commands (set-up lines left out), with what it needs."""
    return [(needs, [line.strip() for line in body.splitlines()
                     if line.strip() and not line.strip().startswith(SKIP)])
            for needs, body in _tagged_blocks("bash")]


def _run(commands: list[str], workdir: Path) -> None:
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    # auto's catalog, run folders and spool stay in the work dir
    env["XDG_DATA_HOME"], env["XDG_CACHE_HOME"] = str(workdir / "data"), str(workdir / "cache")
    for cmd in commands:
        proc = subprocess.run(
            cmd, shell=True, cwd=workdir, env=env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"


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
    assert first.splitlines()[0].startswith("python3 -m venv"), "the top block makes a venv"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # CI reads the top block out of README.md and runs each of its lines as written.
    assert "awk '/^```bash$/" in ci and 'eval "$line" </dev/null' in ci
    top = subprocess.run(
        ["awk", "/^```bash$/ {inside=1; next} inside && /^```$/ {exit} inside {print}",
         str(ROOT / "README.md")], capture_output=True, text=True, check=True).stdout
    assert top.strip() == first.strip()


def test_readme_shell_examples_run(workdir: Path) -> None:
    commands = [c for needs, cmds in _shell_blocks() if not needs for c in cmds]
    assert any(c.startswith("loopmill inspect") for c in commands)
    _run(commands, workdir)
    assert (workdir / "loops" / "demo_loop.wav").is_file()
    assert len(list((workdir / "loops").glob("loop_*_42.ogg"))) == 1  # --seed 42, first
    assert (workdir / "loops" / "demo_loop.json").is_file()
    assert len(list((workdir / "bulk").glob("*.ogg"))) == 4
    assert len(list((workdir / "bulk").glob("*.json"))) == 4
    assert (workdir / "catalog.csv").read_text().count("\n") >= 5  # header + 4 loops
    assert (workdir / "suites" / "space-shooter" / "manifest.json").is_file()


def test_readme_blocks_for_extras_say_what_they_need() -> None:
    blocks = _shell_blocks()
    assert all(needs == () for needs, _ in blocks[:1]), "the top block needs no extra"
    trained = [needs for needs, cmds in blocks if any("loopmill train" in c for c in cmds)]
    assert trained == [("torch",)]
    evolved = [needs for needs, cmds in blocks if any("loopmill evolve" in c for c in cmds)]
    assert evolved == [("torch", "evotorch")]
    sessions = [needs for needs, body in _tagged_blocks("python") if "EvolveSession" in body]
    assert sessions == [("torch", "evotorch")]


def test_readme_torch_examples_run(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    commands = [c for needs, cmds in _shell_blocks() if "torch" in needs for c in cmds]
    _run(commands, tmp_path)
    assert (tmp_path / "data" / "demo" / "manifest.json").is_file()  # dataset prepare
    assert (tmp_path / "runs" / "demo" / "best.pt").is_file()  # train samplernn
    assert len(list((tmp_path / "samples").glob("samplernn_1_*.wav"))) == 4  # sample
    assert len(list((tmp_path / "loops").glob("*.ogg"))) == 1  # generate --engine samplernn


def _exec_python(blocks: list[str], workdir: Path) -> None:
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        for block in blocks:
            exec(compile(block, "README.md", "exec"), {})  # our own README
    finally:
        os.chdir(cwd)


def test_readme_python_examples_run(workdir: Path) -> None:
    _exec_python([body for needs, body in _tagged_blocks("python") if not needs], workdir)
    assert (workdir / "demo_loop.flac").is_file()


def test_readme_evolve_examples_run(tmp_path: Path) -> None:
    pytest.importorskip("evotorch")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    _run([c for needs, cmds in _shell_blocks() if "evotorch" in needs for c in cmds], tmp_path)
    assert list((tmp_path / "evolved").glob("demo-evolve_g*_best.*"))
    assert (tmp_path / "runs" / "demo-evolve" / "history.jsonl").is_file()
    _exec_python([body for needs, body in _tagged_blocks("python") if "evotorch" in needs],
                 tmp_path)
    assert (tmp_path / "runs" / "taste").is_dir()
