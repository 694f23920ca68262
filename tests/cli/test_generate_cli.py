"""``loopmill generate`` end to end: files, loop points, names, metadata, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loopmill.audio import info, read_loop_points
from loopmill.cli.main import app

runner = CliRunner()


def test_generate_writes_loops_with_points_and_metadata(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("loopmill")
    proc = subprocess.run(
        [
            str(exe),
            "generate",
            "mysterious synthwave, D minor, 90 BPM",
            "--dest",
            str(tmp_path),
            "--count",
            "2",
            "--seed",
            "7",
            "--keep-metadata",
            "--format",
            "ogg",
            "--max-duration",
            "12",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    oggs = sorted(tmp_path.glob("loop_*.ogg"))
    assert [p.name.split("_")[-1] for p in oggs] == ["7.ogg", "8.ogg"]  # seed, seed + 1
    for path in oggs:
        meta = json.loads(path.with_suffix(".json").read_text())
        pts = read_loop_points(path)
        assert pts is not None and (pts.start, pts.length) == (0, meta["loop_length"])
        assert info(path).frames == meta["loop_length"]
        assert meta["bpm"] == 90.0 and meta["key"] == "D minor"
        assert meta["spec"]["genre"] == "synthwave" and meta["engine"] == "composer"
        assert meta["seed"] in (7, 8) and "params" in meta


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bpm", "300"], "--bpm 300 is out of range"),
        (["--min-duration", "30", "--max-duration", "10"], "--min-duration"),
        (["--key", "H minor"], "unknown key"),
        (["--format", "aiff"], "unknown --format 'aiff'"),
    ],
)
def test_generate_bad_input_exit_2_and_nothing_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    dest = tmp_path / "out"
    res = runner.invoke(app, ["generate", "synthwave", "--dest", str(dest), *args])
    assert res.exit_code == 2, res.output
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not dest.exists()


def test_generate_unwritable_destination(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["generate", "lofi", "--dest", str(blocker / "sub")])
    assert res.exit_code == 2
    assert "cannot write to" in res.stderr
