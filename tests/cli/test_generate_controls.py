"""``loopmill generate --controls``: a controls file (or a sidecar) in, recorded in the sidecar."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from loopmill.cli.main import app

runner = CliRunner()


def test_generate_with_a_controls_file(tmp_path: Path) -> None:
    ctl = tmp_path / "controls.json"
    ctl.write_text(json.dumps({"energy": 0.8, "brightness": 0.3, "form": "ABAB"}))
    res = runner.invoke(app, ["generate", "synthwave, D minor, 100 BPM", "--controls", str(ctl),
                              "--dest", str(tmp_path / "out"), "--seed", "2", "--keep-metadata",
                              "--max-duration", "10", "--catalog", str(tmp_path / "c.db")])
    assert res.exit_code == 0, res.output
    (side,) = (tmp_path / "out").glob("*.json")
    recorded = json.loads(side.read_text())["controls"]
    assert recorded["energy"] == 0.8 and recorded["brightness"] == 0.3
    assert recorded["form"] == "ABAB"


def test_a_bad_controls_file_is_one_line(tmp_path: Path) -> None:
    ctl = tmp_path / "controls.json"
    ctl.write_text('{"energy": 3}')
    res = runner.invoke(app, ["generate", "synthwave", "--controls", str(ctl),
                              "--dest", str(tmp_path / "out")])
    assert res.exit_code != 0
    assert "control energy 3" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
