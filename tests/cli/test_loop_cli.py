"""``loopmill loop`` end to end: outputs, loop points, and every bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loopmill.audio import read_loop_points, read_tags
from loopmill.cli.main import app

runner = CliRunner()


def _no_partials(folder: Path) -> None:
    leftovers = [p.name for p in folder.rglob("*") if ".part" in p.name or p.name.startswith(".")]
    assert leftovers == []


def test_loop_command_end_to_end_via_console_script(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    exe = Path(sys.executable).with_name("loopmill")
    proc = subprocess.run(
        [str(exe), "loop", str(inputs["good"]), "--dest", str(tmp_path), "--format", "ogg",
         "--keep-metadata"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "good_loop.ogg"
    meta = json.loads((tmp_path / "good_loop.json").read_text())
    points = read_loop_points(out)
    assert points is not None and points.start == 0 and points.length == meta["loop_length"]
    assert meta["bars"] in (4, 8)
    assert abs(meta["bpm"] - 120.0) < 1.2
    assert read_tags(out)["LOOPMILL_BARS"] == str(meta["bars"])
    assert "1 loop(s) written" in proc.stdout


def test_folder_input_is_recursive_and_bpm_is_exact(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    folder = inputs["good_ogg"].parent
    res = runner.invoke(app, ["loop", str(folder), "--dest", str(tmp_path), "--bars", "4",
                              "--bpm", "90", "--keep-metadata"])
    assert res.exit_code == 0, res.output
    meta = json.loads((tmp_path / "groove_loop.json").read_text())
    assert meta["bars"] == 4 and meta["bpm"] == 90.0
    assert meta["loop_length"] == 4 * 4 * 60 * 44100 // 90  # 470400, to the sample
    pts = read_loop_points(tmp_path / "groove_loop.wav")
    assert pts is not None and pts.length == 470400


BAD = {
    "empty": "empty",
    "text": "not a readable audio file",
    "truncated": "truncated",
    "silent": "silent",
    "short": "short",
    "nan": "NaN",
    "hour": "limit",
}


def test_batch_reports_each_bad_file_in_one_line_and_keeps_going(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    names = ["good", *BAD]
    res = runner.invoke(app, ["loop", *[str(inputs[n]) for n in names], "--dest", str(tmp_path)])
    assert res.exit_code == 1
    assert (tmp_path / "good_loop.wav").is_file()
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == len(BAD), res.stderr
    for name, words in BAD.items():
        line = next((e for e in errors if inputs[name].name in e), None)
        assert line is not None, f"no error line for {name}: {res.stderr}"
        assert words.lower() in line.lower(), line
    assert "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good_loop.wav"]
    _no_partials(tmp_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-duration", "30", "--max-duration", "10"], "greater than --max-duration"),
        (["--format", "aiff"], "unknown --format 'aiff'"),
        (["--bpm", "999"], "--bpm 999 is out of range"),
        (["--beats-per-bar", "5"], "must be 3 or 4"),
    ],
)
def test_bad_options_fail_before_any_work(
    inputs: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    dest = tmp_path / "out"
    res = runner.invoke(app, ["loop", str(inputs["good"]), "--dest", str(dest), *args])
    assert res.exit_code == 2
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not dest.exists()


def test_unwritable_destination_is_one_line(inputs: dict[str, Path], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["loop", str(inputs["good"]), "--dest", str(blocker / "sub")])
    assert res.exit_code != 0
    assert "cannot write to" in res.stderr and "choose another --dest" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_destination(inputs: dict[str, Path], tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    res = runner.invoke(app, ["loop", str(inputs["good"]), "--dest", str(ro)])
    assert res.exit_code != 0 and "Permission denied" in res.stderr


def test_version_and_help() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.startswith("loopmill ")
    res = runner.invoke(app, ["loop", "--help"])
    assert res.exit_code == 0 and "--min-duration" in res.stdout
