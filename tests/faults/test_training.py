"""Training that diverges or cannot run, through the real commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")

import torch
from typer.testing import CliRunner

from loopmill.cli.main import app
from tests.training.synth import SR, write_chords

TINY = ["--frame-sizes", "4 2", "--dim", "32", "--q-levels", "64", "--n-rnn", "1",
        "--batch-size", "8"]


@pytest.fixture(scope="module")
def ds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from loopmill.training.dataset import prepare_dataset

    root = tmp_path_factory.mktemp("faults_train")
    write_chords(root / "src", seconds=6.0)
    prepare_dataset([root / "src"], out=root / "ds", sample_rate=SR, chunk_seconds=1.0)
    return root / "ds"


def _run(*args: str) -> Any:
    """The real command, in this process (torch is imported once for all of them)."""
    res = CliRunner().invoke(app, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res


def _one_error_line(res: Any) -> str:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.stderr, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.stderr
    return lines[0]


def test_a_diverging_run_stops_and_saves_no_nan_checkpoint(ds: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    res = _run("train", "samplernn", "--dataset", str(ds), "--run", str(run),
               *TINY, "--seq-len", "256", "--lr", "1e10", "--max-steps", "40")
    line = _one_error_line(res)
    assert "diverged at step" in line and "learning rate" in line
    for ckpt in run.glob("*.pt"):  # whatever was saved holds finite numbers only
        state = torch.load(ckpt, weights_only=True)["model"]
        assert all(torch.isfinite(t).all() for t in state.values())
    assert "best.pt, last.pt" not in res.stdout


def test_sample_refuses_a_checkpoint_with_nan_weights(ds: Path, tmp_path: Path) -> None:
    from loopmill.training.train import TrainOptions, train

    train("samplernn", dataset=ds, run=tmp_path / "run", options=TrainOptions(
        max_steps=2, batch_size=8, seq_len=256, sample_seconds=0),
        config={"frame_sizes": (4, 2), "dim": 32, "q_levels": 64, "n_rnn": 1})
    ckpt = tmp_path / "run" / "last.pt"
    state = torch.load(ckpt, weights_only=True)
    for t in list(state["model"].values())[:3]:
        t.fill_(float("nan"))
    torch.save(state, ckpt)
    res = _run("sample", str(ckpt), "--seconds", "0.2", "--dest", str(tmp_path / "out"))
    line = _one_error_line(res)
    assert "non-finite" in line and "3 of" in line
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_settings_with_no_training_window_are_refused(ds: Path, tmp_path: Path) -> None:
    res = _run("train", "samplernn", "--dataset", str(ds), "--run", str(tmp_path / "run"),
               *TINY, "--seq-len", "100000000")
    line = _one_error_line(res)
    assert "--seq-len 100000000" in line and "no training window" in line
    assert not (tmp_path / "run" / "last.pt").exists()


@pytest.mark.parametrize("flag", [["--dim", "1000000"], ["--q-levels", "10000000"]])
def test_an_oversized_model_is_refused_with_its_size(ds: Path, tmp_path: Path,
                                                     flag: list[str]) -> None:
    args = list(TINY)
    i = args.index(flag[0])
    args[i + 1] = flag[1]
    res = _run("train", "samplernn", "--dataset", str(ds), "--run", str(tmp_path / "run"),
               *args, "--seq-len", "256")
    line = _one_error_line(res)
    assert "GB" in line and "parameters" in line and "free" in line
