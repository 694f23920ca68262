"""Batched generation with a model engine: one call for many loops, retries batched too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from loopmill.engines.musicgen import MusicGenEngine
from loopmill.errors import BadInputError
from loopmill.pipeline import generate as gen
from tests.engines.tiny_musicgen import build_tiny_musicgen


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_musicgen(tmp_path_factory.mktemp("musicgen") / "tiny", window_s=2.0)


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Spy on the real batched call (the model still runs): the batch size of each."""
    sizes: list[int] = []
    real = MusicGenEngine.generate_many

    def spy(self: MusicGenEngine, specs: list[Any], *args: Any, **kw: Any) -> Any:
        sizes.append(len(specs))
        return real(self, specs, *args, **kw)

    monkeypatch.setattr(MusicGenEngine, "generate_many", spy)
    return sizes


def test_count_renders_in_batches_and_records_them(tiny: Path, calls: list[int]) -> None:
    made = list(gen.generate_loops(gen.GenerateRequest(
        prompt="dark synthwave", engine="musicgen", model=str(tiny),
        bpm=120, seed=40, count=3, batch_size=2, max_attempts=1,
        min_duration=8, max_duration=16)))
    assert [i for i, _ in made] == [0, 1, 2]
    loops = [m for _, m in made]
    assert all(not isinstance(m, Exception) for m in loops), loops
    # two batched calls: 2 loops, then the last one on its own (a batch of one is a
    # plain generate, which goes through generate_many([spec]) too)
    assert calls == [2, 1]
    assert [lp.extra["seed"] for lp in loops] == [40, 41, 42]  # type: ignore[union-attr]
    assert loops[0].extra["batch"] == {"seed": 40, "index": 0, "size": 2}  # type: ignore[union-attr]
    assert loops[1].extra["batch"] == {"seed": 40, "index": 1, "size": 2}  # type: ignore[union-attr]
    assert "batch" not in loops[2].extra  # type: ignore[union-attr]
    for lp in loops:
        assert lp.bpm == 120.0 and lp.bars >= 1  # type: ignore[union-attr]
    # the two loops of one batch are different music
    a, b = loops[0].audio, loops[1].audio  # type: ignore[union-attr]
    n = min(a.shape[1], b.shape[1])
    assert not np.allclose(a[:, :n], b[:, :n], atol=1e-3)
    # the same batch again: the same audio
    again = list(gen.generate_loops(gen.GenerateRequest(
        prompt="dark synthwave", engine="musicgen", model=str(tiny),
        bpm=120, seed=40, count=2, batch_size=2, max_attempts=1,
        min_duration=8, max_duration=16)))
    for (_, x), y in zip(again, loops[:2], strict=True):
        np.testing.assert_array_equal(x.audio, y.audio)  # type: ignore[union-attr]


def test_off_tempo_items_are_retried_together(tiny: Path, calls: list[int]) -> None:
    made = [m for _, m in gen.generate_loops(gen.GenerateRequest(
        prompt="calm lofi", engine="musicgen", model=str(tiny), bpm=100, seed=7, count=3,
        batch_size=3, max_attempts=3, min_duration=8, max_duration=16))]
    attempts = [m.extra["attempts"] for m in made]  # type: ignore[union-attr]
    # round r renders exactly the items still off tempo after round r-1, in one call
    for r, size in enumerate(calls):
        assert size == sum(1 for a in attempts if len(a) > r)
    assert calls[0] == 3 and len(calls) == max(len(a) for a in attempts) <= 3
    for i, att in enumerate(attempts):
        assert [a["seed"] for a in att] == [7 + i + k for k in range(len(att))]


def test_bad_batch_size_is_refused(tiny: Path, tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"^batch_size 0 must be at least 1"):
        gen.generate_files(gen.GenerateRequest(prompt="x", engine="musicgen", model=str(tiny),
                                               batch_size=0, dest=tmp_path / "o",
                                               catalog=False))
    assert not (tmp_path / "o").exists()


def test_cli_count_with_batch_writes_every_file(tiny: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from loopmill.cli.main import app

    res = CliRunner().invoke(app, [
        "generate", "epic ambient", "--engine", "musicgen", "--model", str(tiny), "--bpm",
        "90", "--count", "2", "--batch-size", "2", "--seed", "3", "--max-attempts", "1",
        "--min-duration", "8", "--max-duration", "16", "--keep-metadata", "--dest",
        str(tmp_path / "out"), "--catalog", str(tmp_path / "c.db")])
    assert res.exit_code == 0, res.output
    metas = sorted((tmp_path / "out").glob("*.json"))
    assert len(metas) == 2 and len(list((tmp_path / "out").glob("*.ogg"))) == 2
    data = [json.loads(m.read_text()) for m in metas]
    assert sorted(d["batch"]["index"] for d in data) == [0, 1]
    assert {d["batch"]["seed"] for d in data} == {3}


def test_auto_batches_a_model_engine(tiny: Path, tmp_path: Path, calls: list[int]) -> None:
    from loopmill.pipeline.auto import AutoOptions, run_auto

    report = run_auto(AutoOptions(count=3, workers=1, backend="local", engine="musicgen",
                                  model=str(tiny), dest=str(tmp_path / "out"),
                                  catalog=str(tmp_path / "c.db"), min_duration=8,
                                  max_duration=16, seed=4, batch_size=3, max_attempts=1,
                                  params={"temperature": 0.9, "top_k": 50}),
                      runs_dir=tmp_path / "runs")
    assert report.ok, report.failures
    assert len(list((tmp_path / "out").glob("*.ogg"))) == 3
    assert sorted(r["seed"] for r in report.made) == [4, 5, 6]
    params = [json.loads(r["params"]) if isinstance(r["params"], str) else r["params"]
              for r in report.made]
    assert all(p["temperature"] == 0.9 and p["top_k"] == 50 for p in params)
    with pytest.raises(BadInputError, match="temperature"):
        run_auto(AutoOptions(count=1, engine="musicgen", model=str(tiny),
                             dest=str(tmp_path / "o2"), catalog=str(tmp_path / "c.db"),
                             params={"temperature": 0}), runs_dir=tmp_path / "runs")


def test_only_batching_engines_get_batches(tiny: Path, tmp_path: Path) -> None:
    from loopmill.engines.composer.engine import ComposerEngine
    from loopmill.engines.trained import TrainedEngine
    from loopmill.pipeline.finish import DEFAULT_BATCH, batch_for

    mg = MusicGenEngine(str(tiny))
    assert batch_for(mg, None) == DEFAULT_BATCH and batch_for(mg, None, 3) == 3
    assert batch_for(mg, 16, 40) == 16
    # one loop per call otherwise: results arrive one by one, and auto keeps every
    # worker busy instead of giving one worker a chunk it renders serially
    assert batch_for(ComposerEngine(), 16) == 1
    assert batch_for(TrainedEngine("lstm", str(tmp_path)), 16) == 1
