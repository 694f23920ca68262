"""``loopmill evolve``: a quick run end to end, the config file, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from loopmill.cli.main import app
from loopmill.storage.catalog import Catalog

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
QUICK = ["--search", "random", "--population", "3", "--generations", "2"]


def _fast_config(tmp_path: Path, **sections: dict[str, object]) -> Path:
    cfg = {"generator": {"seconds": 2.0, "sample_rate": 8000},
           "logger": {"tensorboard": False}}
    for name, values in sections.items():
        cfg.setdefault(name, {}).update(values)  # type: ignore[attr-defined]
    path = tmp_path / "evolve.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_evolve_writes_best_loops_history_and_catalog_rows(tmp_path: Path) -> None:
    target = tmp_path / "target.wav"
    from loopmill.audio import save

    t = np.arange(16000) / 8000
    save(target, np.stack([np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32) * 0.3,
         sr=8000, format="wav")
    res = runner.invoke(app, ["evolve", "--config", str(_fast_config(tmp_path)), *QUICK,
                              "--target", str(target), "--runs", str(tmp_path / "runs"),
                              "--name", "r1", "--dest", str(tmp_path / "loops"),
                              "--catalog", str(tmp_path / "c.sqlite"), "--seed", "4"])
    assert res.exit_code == 0, res.output
    assert "generation 1: best" in res.output
    run = tmp_path / "runs" / "r1"
    rows = [json.loads(x) for x in (run / "history.jsonl").read_text().splitlines()]
    assert [r["generation"] for r in rows] == [0, 1] and rows[-1]["evaluations"] == 6
    assert {"best", "mean", "std", "diversity"} <= set(rows[0])
    assert yaml.safe_load((run / "config.yaml").read_text())["evolution"]["seed"] == 4
    loops = sorted((tmp_path / "loops").glob("*.ogg"))
    assert [p.name for p in loops] == ["r1_g0000_best.ogg", "r1_g0001_best.ogg"]
    from loopmill.audio import read_loop_points

    points = read_loop_points(loops[0])
    assert points is not None and points.start == 0 and points.length > 0
    side = json.loads(loops[0].with_suffix(".json").read_text())
    assert "energy" in side["controls"] and side["generation"] == 0  # generate --controls
    with Catalog(tmp_path / "c.sqlite") as cat:
        recs = cat.query(run_id="r1")
    assert len(recs) == 2 and recs[0]["extra"]["generation"] == 0
    assert "fitness" in recs[0]["extra"] and "genome" in recs[0]["extra"]


def test_the_example_config_is_valid() -> None:
    from loopmill.evolve.config import resolve_config

    cfg = resolve_config(ROOT / "examples" / "evolve.yaml")
    assert cfg.searcher == "cmaes" and cfg.fitness_mode == "dynamic"
    assert [o.name for o in cfg.GA_operators or []] == ["SimulatedBinaryCrossOver",
                                                        "GaussianMutation"]


@pytest.mark.parametrize(("args", "message"), [
    (["--search", "pso"], "unknown searcher 'pso'"),
    (["--population", "1"], "population 1 is too small; use at least 2"),
    (["--genome", "dna"], "unknown genome 'dna'"),
    (["--fitness", "music"], "music fitness needs at least one target audio file"),
    ([], "nothing to evolve toward"),
])
def test_bad_flags_are_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    res = runner.invoke(app, ["evolve", "--runs", str(tmp_path / "runs"), *args])
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("*.pkl"))


def test_unknown_config_key_and_bad_target(tmp_path: Path) -> None:
    cfg = _fast_config(tmp_path, evolution={"populaton": 5})
    res = runner.invoke(app, ["evolve", "--config", str(cfg)])
    assert res.exit_code == 2 and "unknown key 'evolution.populaton'" in res.output
    bad = tmp_path / "song.mp3"
    bad.write_bytes(b"\x00" * 100)
    res = runner.invoke(app, ["evolve", "--target", str(bad), "--runs", str(tmp_path / "r")])
    assert res.exit_code == 2 and "song.mp3 is not audio" in res.output
    res = runner.invoke(app, ["evolve", "--resume", str(tmp_path / "nothing")])
    assert res.exit_code == 2 and "holds no evolution run to resume" in res.output


def test_terminal_feedback_reads_ratings_from_the_keyboard(tmp_path: Path) -> None:
    cfg = _fast_config(tmp_path, logger={"write_best": False, "catalog": False})
    res = runner.invoke(app, ["evolve", "--config", str(cfg), "--feedback", "terminal",
                              "--search", "random", "--population", "2", "--generations", "1",
                              "--runs", str(tmp_path / "runs"), "--name", "t"],
                        input="5\n1\n")
    assert res.exit_code == 0, res.output
    assert "g0000-00" in res.output and ".wav" in res.output
    row = json.loads((tmp_path / "runs" / "t" / "history.jsonl").read_text())
    assert row["ratings"] == 2


def test_an_evolved_loop_is_made_again_by_generate_controls(tmp_path: Path) -> None:
    import shlex

    from loopmill.audio import load

    cfg = _fast_config(tmp_path, generator={"seconds": 8.0, "prompt": "dark synthwave"},
                       logger={"catalog": False})
    res = runner.invoke(app, ["evolve", "--config", str(cfg), "--feedback", "synthetic",
                              "--search", "random", "--population", "2", "--generations", "1",
                              "--runs", str(tmp_path / "runs"), "--name", "m",
                              "--dest", str(tmp_path / "loops")])
    assert res.exit_code == 0, res.output
    side = json.loads((tmp_path / "loops" / "m_g0000_best.json").read_text())
    args = shlex.split(side["remake"])
    assert args[:2] == ["loopmill", "generate"] and "--controls" in args
    again = runner.invoke(app, [*args[1:], "--dest", str(tmp_path / "again"), "--catalog",
                                str(tmp_path / "c.sqlite"), "--format", "ogg"])
    assert again.exit_code == 0, again.output
    (made,) = (tmp_path / "again").glob("*.ogg")
    a, sr_a = load(tmp_path / "loops" / "m_g0000_best.ogg")
    b, sr_b = load(made)
    assert sr_a == sr_b and a.shape == b.shape
    np.testing.assert_allclose(a, b, atol=1e-4)
