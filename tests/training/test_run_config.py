"""One YAML per training run: validated, overridden by typed flags, written back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

pytest.importorskip("torch")

from loopmill.cli.main import app
from loopmill.errors import BadInputError
from loopmill.training.checkpoint import load_checkpoint
from loopmill.training.dataset import prepare_dataset
from loopmill.training.run_config import read_run_config
from tests.training.synth import SR, write_chords

runner = CliRunner()


def test_file_then_typed_flags_win(tmp_path: Path) -> None:
    write_chords(tmp_path / "src", seconds=6.0)
    prepare_dataset([tmp_path / "src"], out=tmp_path / "ds", sample_rate=SR, chunk_seconds=1.0)
    (tmp_path / "run.yaml").write_text(yaml.safe_dump({
        "model": {"frame_sizes": [4, 2], "dim": 24, "q_levels": 32, "n_rnn": 1},
        "train": {"batch_size": 4, "seq_len": 128, "max_steps": 50, "lr": 0.002},
    }))
    res = runner.invoke(app, ["train", "samplernn", "--dataset", str(tmp_path / "ds"),
                              "--run", str(tmp_path / "r"), "--config",
                              str(tmp_path / "run.yaml"), "--max-steps", "3"])
    assert res.exit_code == 0, res.output
    ckpt = load_checkpoint(tmp_path / "r" / "last.pt")
    assert ckpt["step"] == 3  # the typed flag beat the file's 50
    assert ckpt["config"]["dim"] == 24 and ckpt["config"]["frame_sizes"] == [4, 2]
    assert ckpt["options"]["batch_size"] == 4 and ckpt["options"]["lr"] == 0.002
    written = yaml.safe_load((tmp_path / "r" / "run.yaml").read_text())
    assert written["model"]["dim"] == 24 and written["train"]["max_steps"] == 3
    assert written["model"]["sample_rate"] == SR


def test_bad_run_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  batch: 4\n")
    with pytest.raises(BadInputError, match=r"bad\.yaml: train\.batch: Extra inputs"):
        read_run_config(bad, "samplernn")
    bad.write_text("model:\n  depth: 3\n")
    with pytest.raises(BadInputError, match=r"bad\.yaml: model: .*depth"):
        read_run_config(bad, "lstm")
    bad.write_text("model: [1, 2\n")
    with pytest.raises(BadInputError, match="is not valid YAML"):
        read_run_config(bad, "lstm")
    bad.write_text("model:\n  rnn_type: rnn\n")
    with pytest.raises(BadInputError, match="rnn_type 'rnn'"):
        read_run_config(bad, "samplernn")
    res = runner.invoke(app, ["train", "lstm", "--dataset", str(tmp_path), "--run",
                              str(tmp_path / "r"), "--config", str(tmp_path / "none.yaml")])
    assert res.exit_code == 2
