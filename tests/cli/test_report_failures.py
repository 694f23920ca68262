"""Runs that go on past a failing item keep each failure's fields: the Python report
holds the message in field words and the fields it names, and the command line prints
the same failure with its flags (``--seed``, ``--prompt-provider``)."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from loopmill.cli._flags import failure_message
from loopmill.cli.main import app
from loopmill.engines import registry
from loopmill.errors import BadInputError, Failure
from tests.engines.sine_engine import EvenSeedEngine

runner = CliRunner()


@pytest.fixture
def evenseed() -> Iterator[str]:
    registry.register("evenseed", EvenSeedEngine, summary="test sines, even seeds only")
    yield "evenseed"
    registry.unregister("evenseed")


def _lines(output: str, label: str) -> list[str]:
    return [ln[len(label) + 2:] for ln in output.splitlines() if ln.startswith(f"{label}: ")]


def test_a_failure_keeps_its_fields_through_pickle_and_prints_with_flags() -> None:
    f = Failure.of(BadInputError("seed 5 is odd; seed must be even", field="seed"),
                   label="loop 2 (seed words stay)")
    assert f == Failure("loop 2 (seed words stay)", "seed 5 is odd; seed must be even",
                        ("seed",))
    assert pickle.loads(pickle.dumps(f)) == f
    assert str(f) == "loop 2 (seed words stay): seed 5 is odd; seed must be even"
    # the label is the run's own words: never rewritten
    assert failure_message(f) == "loop 2 (seed words stay): --seed 5 is odd; --seed must be even"
    assert failure_message(Failure("", "bpm 500 is out of range", ())) == (
        "bpm 500 is out of range")  # no field declared, nothing rewritten
    assert Failure.of(ValueError("plain")).fields == ()


def test_generate_reports_a_failing_loop_with_its_field(evenseed: str, tmp_path: Path) -> None:
    from loopmill.pipeline.generate import generate_files
    from loopmill.pipeline.request import GenerateRequest

    report = generate_files(GenerateRequest(prompt="calm, 100 BPM", engine=evenseed, seed=4,
                                            count=2, dest=tmp_path / "py", catalog=False,
                                            formats=("wav",)))
    assert len(report.written) == 1
    assert report.failures == [Failure("loop 2", "seed 5 is odd; this engine takes even ones",
                                       ("seed",))]
    res = runner.invoke(app, ["generate", "calm, 100 BPM", "--engine", evenseed, "--seed", "4",
                              "--count", "2", "--format", "wav", "--dest", str(tmp_path / "cli"),
                              "--catalog", str(tmp_path / "c.db")])
    assert res.exit_code == 1, res.output
    assert _lines(res.output, "error") == ["loop 2: --seed 5 is odd; this engine takes even ones"]
    assert len(list((tmp_path / "cli").glob("*.wav"))) == 1  # the other loop is written


def test_auto_reports_a_worker_failure_with_its_field(evenseed: str, tmp_path: Path) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(json.dumps({"text": t, "bpm": 100}) + "\n"
                               for t in ("calm", "busy")))
    res = runner.invoke(app, [
        "auto", "--count", "2", "--engine", evenseed, "--seed", "6", "--workers", "1",
        "--prompt-provider", "file", "--prompt-file", str(prompts), "--format", "wav",
        "--min-duration", "8", "--max-duration", "12", "--retries", "0",
        "--dest", str(tmp_path / "out"), "--catalog", str(tmp_path / "c.db"),
        "--runs-dir", str(tmp_path / "runs")])
    assert res.exit_code == 1, res.output
    assert _lines(res.output, "failed") == [
        "item 1 ('busy'): --seed 7 is odd; this engine takes even ones"]
    # the worker's error came back with its field, and the journal keeps it
    (run,) = (tmp_path / "runs").iterdir()
    (line,) = [json.loads(x) for x in (run / "failed.jsonl").read_text().splitlines()]
    assert line == {"index": 1, "error": "seed 7 is odd; this engine takes even ones",
                    "attempts": 1, "fields": ["seed"]}


def test_auto_reports_a_provider_error_with_its_field(tmp_path: Path) -> None:
    from loopmill.pipeline.auto import AutoOptions, run_auto

    report = run_auto(AutoOptions(count=1, prompt_provider="gpt", dest=str(tmp_path / "py"),
                                  catalog=str(tmp_path / "c.db"), seed=1),
                      runs_dir=tmp_path / "runs")
    assert not report.ok and not report.made and report.provider_error is not None
    assert report.provider_error.message.startswith("unknown prompt_provider 'gpt'; use one of")
    assert report.provider_error.fields == ("prompt_provider",)
    res = runner.invoke(app, ["auto", "--count", "1", "--prompt-provider", "gpt",
                              "--workers", "1", "--dest", str(tmp_path / "cli"),
                              "--catalog", str(tmp_path / "c.db"),
                              "--runs-dir", str(tmp_path / "runs")])
    assert res.exit_code == 1, res.output
    (line,) = _lines(res.output, "error")
    assert line.startswith("unknown --prompt-provider 'gpt'; use one of"), res.output


def test_loop_reports_a_failing_file_with_its_field(tmp_path: Path) -> None:
    from loopmill.pipeline.loop_files import LoopOptions, loop_files

    track = tmp_path / "long.wav"
    sf.write(track, np.zeros((44100 * 3, 2), np.float32), 44100)
    report = loop_files([track], dest=tmp_path / "py",
                        options=LoopOptions(max_input_duration=1.0))
    (item,) = report.failures
    assert item.error == Failure(
        "", f"{track}: is 3.0 s long, over the 1 s limit; trim it or raise max_input_duration",
        ("max_input_duration",))
    res = runner.invoke(app, ["loop", str(track), "--max-input-duration", "1",
                              "--dest", str(tmp_path / "cli")])
    assert res.exit_code == 1, res.output
    assert _lines(res.output, "error") == [
        f"{track}: is 3.0 s long, over the 1 s limit; trim it or raise --max-input-duration"]
