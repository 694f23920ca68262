"""``loopmill inspect``: the report fields, JSON, and failures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from loopmill.audio import LoopPoints, load, save
from loopmill.cli.main import app

runner = CliRunner()


def test_inspect_reports_loop_points_and_seam(inputs: dict[str, Path], tmp_path: Path) -> None:
    y, sr = load(inputs["good"])
    bar = round(2.0 * sr)  # 120 BPM, 4/4
    out = save(tmp_path / "cut.flac", y[:, bar : bar + 4 * bar], sr=sr,
               loop=LoopPoints(start=0, length=4 * bar))
    res = runner.invoke(app, ["inspect", str(out), "--json"])
    assert res.exit_code == 0, res.output
    (rep,) = json.loads(res.stdout)
    assert rep["loop_start"] == 0 and rep["loop_length"] == 4 * bar
    assert rep["seam_of"] == "loop points"
    assert rep["sample_rate"] == sr and rep["channels"] == 2
    assert abs(rep["bpm"] - 120.0) < 1.2
    assert rep["seam_score"] < 0.3
    assert rep["key"] in ("C major", "A minor")
    assert np.isfinite(rep["loudness_lufs"]) and rep["true_peak_db"] <= 0.5


def test_inspect_table_and_bad_file(inputs: dict[str, Path]) -> None:
    res = runner.invoke(app, ["inspect", str(inputs["good"]), str(inputs["empty"])])
    assert res.exit_code == 1
    assert "tempo BPM" in res.stdout and "seam score" in res.stdout
    assert "empty.wav" in res.stderr and "empty" in res.stderr
