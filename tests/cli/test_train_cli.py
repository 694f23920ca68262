"""End to end: dataset prepare -> train samplernn|lstm -> sample -> generate from the
trained model, through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("torch")

from loopmill.cli.main import app
from tests.training.synth import SR, write_chords

runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli_train")
    write_chords(root / "src", seconds=12.0)
    (root / "src" / "corrupt.wav").write_bytes(b"RIFF1234WAVEjunk")
    res = runner.invoke(app, ["dataset", "prepare", str(root / "src"), "--out",
                              str(root / "ds"), "--sample-rate", str(SR), "--chunk-seconds", "2"])
    assert res.exit_code == 0, res.output
    assert "1 files skipped" in res.output and "corrupt.wav" in res.output
    return root


def test_samplernn_train_resume_and_sample(data: Path) -> None:
    run = data / "srnn"
    args = ["train", "samplernn", "--dataset", str(data / "ds"), "--run", str(run),
            "--frame-sizes", "4 2", "--dim", "32", "--q-levels", "64", "--n-rnn", "1",
            "--seq-len", "256", "--batch-size", "8"]
    res = runner.invoke(app, [*args, "--max-steps", "10"])
    assert res.exit_code == 0, res.output
    assert "10 steps" in res.output and (run / "last.pt").is_file()
    res = runner.invoke(app, [*args, "--max-steps", "20", "--resume"])
    assert res.exit_code == 0 and "20 steps" in res.output, res.output
    res = runner.invoke(app, ["sample", str(run / "last.pt"), "--seconds", "0.5", "--count",
                              "2", "--seed", "3", "--dest", str(data / "out")])
    assert res.exit_code == 0, res.output
    import soundfile as sf

    files = sorted((data / "out").glob("samplernn_3_*.wav"))
    assert len(files) == 2 and sf.info(files[0]).frames == SR // 2
    assert sf.info(files[0]).samplerate == SR
    # sample took the engine from the registry's per-process cache: the one generate gets
    from loopmill.engines.registry import get_engine
    from loopmill.training.checkpoint import checkpoint_kind

    assert checkpoint_kind(run) == "samplernn"  # a run folder: its best.pt, else last.pt
    eng = get_engine("samplernn", model=str(run / "last.pt"))
    assert getattr(eng, "_model", None) is not None  # loaded already, by sample
    res = runner.invoke(app, [*args[:-2], "--frame-sizes", "4 x"])
    assert res.exit_code == 2 and "--frame-sizes" in res.output


def test_lstm_train_and_generate_a_loop(data: Path) -> None:
    run = data / "lstm"
    res = runner.invoke(app, ["train", "lstm", "--dataset", str(data / "ds"), "--run", str(run),
                              "--block-seconds", "0.025", "--hidden", "32", "--n-layers", "1",
                              "--epochs", "3", "--batch-size", "8"])
    assert res.exit_code == 0, res.output
    assert "val_mse" in res.output and (run / "best.pt").is_file()
    res = runner.invoke(app, ["generate", "calm piano", "--engine", "lstm", "--model", str(run),
                              "--bpm", "120", "--min-duration", "8", "--max-duration", "12",
                              "--max-attempts", "1", "--seed", "5", "--keep-metadata",
                              "--dest", str(data / "loops"), "--catalog",
                              str(data / "c.db")])
    assert res.exit_code == 0, res.output
    assert "prompt's words are ignored" in res.output
    import json

    (meta,) = (data / "loops").glob("*.json")
    info = json.loads(meta.read_text())
    assert info["engine"] == "lstm" and info["bpm"] == 120.0 and info["seed"] == 5
    assert 8.0 <= info["duration"] <= 12.0 + 1e-6
    assert info["bars"] == 4  # 4 to 6 bars of 2 s fit: the longest power of two


def test_engine_errors(data: Path) -> None:
    res = runner.invoke(app, ["generate", "x", "--engine", "samplernn"])
    assert res.exit_code == 2 and "needs --model CHECKPOINT" in res.output
    assert "--engine samplernn needs" in res.output
    from loopmill.engines.trained import TrainedEngine
    from loopmill.errors import BadInputError

    with pytest.raises(BadInputError, match=r"^engine samplernn needs model CHECKPOINT: "):
        TrainedEngine("samplernn", None)  # a Python caller reads its own parameters
    res = runner.invoke(app, ["generate", "x", "--engine", "lstm", "--model",
                              str(data / "nowhere")])
    assert res.exit_code == 2 and "no checkpoint at" in res.output
    res = runner.invoke(app, ["sample", str(data / "nowhere")])
    assert res.exit_code == 2 and "no checkpoint at" in res.output
    res = runner.invoke(app, ["train", "lstm", "--dataset", str(data), "--run",
                              str(data / "r")])
    assert res.exit_code == 2 and "manifest.json" in res.output


def test_without_tensorboard_train_says_logs_are_off(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # not installed
    run = data / "no_tb"
    res = runner.invoke(app, ["train", "samplernn", "--dataset", str(data / "ds"), "--run",
                              str(run), "--frame-sizes", "4 2", "--dim", "16", "--q-levels",
                              "16", "--n-rnn", "1", "--seq-len", "64", "--batch-size", "4",
                              "--max-steps", "2"])
    assert res.exit_code == 0, res.output
    assert "note: TensorBoard logs are off: the tensorboard package is not installed" in res.output
    assert not (run / "tb").exists()
