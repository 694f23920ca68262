"""The engine registry: one module plus one ``register`` line is a working engine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from loopmill.audio.looptags import read_loop_points
from loopmill.cli.main import app
from loopmill.engines import registry
from loopmill.engines.base import Capabilities, Engine, EngineBase
from loopmill.errors import BadInputError
from loopmill.pipeline.generate import generate, generate_files
from loopmill.pipeline.request import GenerateRequest
from tests.engines.sine_engine import SineEngine


@pytest.fixture
def sine() -> Iterator[str]:
    registry.register("sine", SineEngine, summary="test sines")
    yield "sine"
    registry.unregister("sine")


def test_builtins_declare_capabilities_without_importing_torch() -> None:
    import subprocess
    import sys

    code = ("import sys; from loopmill.engines.registry import describe_engines; "
            "rows = describe_engines(); "
            "print(sorted(r['name'] for r in rows), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "['composer', 'lstm', 'musicgen', 'samplernn'] False"
    caps = {r["name"]: set(r["capabilities"]) for r in registry.describe_engines()}
    assert caps["composer"] == {"seamless", "controls", "soundfont"}
    assert {"batch", "loads", "continuation", "melody"} <= caps["musicgen"]
    assert "seamless" not in caps["musicgen"] and "batch" not in caps["lstm"]


def test_engines_follow_the_protocol_and_are_cached() -> None:
    eng = registry.get_engine("composer")
    assert isinstance(eng, Engine) and eng is registry.get_engine("composer")
    registry.clear_cache("composer")
    assert registry.get_engine("composer") is not eng


def test_options_are_part_of_the_cache_key(tmp_path: Path) -> None:
    from loopmill.engines.trained import TrainedEngine

    plain = registry.get_engine("lstm", model=str(tmp_path))
    cpu = registry.get_engine("lstm", model=str(tmp_path), device="cpu")
    assert isinstance(plain, TrainedEngine) and isinstance(cpu, TrainedEngine)
    assert (plain.kind, plain.device, cpu.kind, cpu.device) == ("lstm", "auto", "lstm", "cpu")
    assert cpu is not plain and cpu is registry.get_engine("lstm", model=str(tmp_path),
                                                           device="cpu")
    registry.clear_cache("lstm")


def test_unknown_engine_names_the_field_and_the_choices() -> None:
    with pytest.raises(BadInputError, match=r"^unknown engine 'nope'; choose one of composer, ")\
            as err:
        registry.get_engine("nope")
    assert err.value.fields == ("engine",)
    result = CliRunner().invoke(app, ["generate", "x", "--engine", "nope"])
    assert result.exit_code == 2
    assert "unknown --engine 'nope'; choose one of composer" in result.output


def test_engine_without_a_model_refuses_one() -> None:
    class NoModel(EngineBase):
        name = "nomodel"

    with pytest.raises(BadInputError, match="takes no model") as err:
        NoModel.from_model("some/model")
    assert err.value.fields == ("model",)


def test_sine_engine_through_generate(sine: str, tmp_path: Path) -> None:
    loop = generate("calm, 100 BPM", engine=sine, seed=3)
    assert loop.extra["engine"] == "sine" and loop.extra["made_by"] == "sine"
    assert loop.bpm == 100.0 and loop.bars == 4
    assert loop.length == round(16 * 60 / 100 * 44100)
    assert abs(loop.loudness_lufs + 14.0) < 0.5  # the pipeline finished it
    again = generate("calm, 100 BPM", engine=sine, seed=3)
    np.testing.assert_array_equal(loop.audio, again.audio)
    report = generate_files(GenerateRequest(prompt="calm, 100 BPM", engine=sine, seed=3,
                                            count=2, dest=tmp_path, catalog=False,
                                            formats=("wav",)))
    assert not report.failures and len(report.written) == 2
    path, made = report.written[0]
    points = read_loop_points(path)
    assert points is not None and points.length == made.length


def test_sine_engine_through_the_cli_and_suite(sine: str, tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["generate", "x, 90 BPM", "--engine", sine, "--seed", "1",
                                 "--dest", str(tmp_path / "g"), "--format", "wav"])
    assert r.exit_code == 0, r.output
    assert len(list((tmp_path / "g").glob("*.wav"))) == 1
    r = CliRunner().invoke(app, ["suite", "--engine", sine, "--use-case", "puzzle",
                                 "--phases", "calm,boss", "--bpm", "90", "--seed", "2",
                                 "--dest", str(tmp_path / "s"), "--format", "wav"])
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "s" / "puzzle" / "manifest.json").read_text())
    assert manifest["suite"]["engine"] == "sine"
    assert [p["phase"] for p in manifest["phases"]] == ["calm", "boss"]
    assert {p["loop_length"] for p in manifest["phases"]} == {round(16 * 60 / 90 * 44100)}


def test_capabilities_gate_requests(sine: str, tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="with a model engine that continues audio") as err:
        GenerateRequest(engine=sine, variations=1)
    assert err.value.fields == ("variations",)
    with pytest.raises(BadInputError, match="controls work with the composer"):
        GenerateRequest(engine=sine, controls={"energy": 0.5})
    song = tmp_path / "a.wav"
    song.write_bytes(b"")
    with pytest.raises(BadInputError, match=r"^melody works with"):
        GenerateRequest(engine=sine, melody=str(song))
    assert Capabilities(batch=True, seamless=True).names() == ["batch", "seamless"]


def test_sine_engine_through_auto_workers(sine: str, tmp_path: Path) -> None:
    """auto's workers are spawned processes: they learn the engine from the item."""
    from loopmill.pipeline.auto import AutoOptions, run_auto

    report = run_auto(AutoOptions(count=2, workers=1, engine=sine, dest=str(tmp_path / "o"),
                                  formats=("wav",), catalog=str(tmp_path / "c.db"), seed=5,
                                  min_duration=8, max_duration=12, measure=False),
                      runs_dir=tmp_path / "runs")
    assert report.ok, report.failures
    assert [r["engine"] for r in report.made] == ["sine", "sine"]
    files = sorted((tmp_path / "o").glob("*.wav"))
    assert len(files) == 2
    assert [r["bars"] for r in report.made] == [4, 4]
    points = read_loop_points(files[0])
    # the worker cut nothing: the sine engine's 4 bars at its tempo, exactly
    bpm = report.made[0]["bpm"]
    assert points is not None and points.length == round(16 * 60 / bpm * 44100)
