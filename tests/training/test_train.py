"""Training on synthetic chords: the loss falls, samples sound like the chords, and a
resumed run follows the same loss curve as one that never stopped."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

import torch

from loopmill.cli._flags import cli_message
from loopmill.errors import BadInputError, MissingModelError
from loopmill.training.checkpoint import load_checkpoint, load_model
from loopmill.training.dataset import load_split, prepare_dataset
from loopmill.training.train import TrainOptions, train
from tests.synth import peak_hz
from tests.training.synth import CHORDS, SR, write_chords

TINY_RNN = {"frame_sizes": (4, 2), "dim": 64, "q_levels": 64, "n_rnn": 1}
TINY_LSTM = {"block_size": 200, "hidden": 64, "n_layers": 2}
NOTES = sorted(f for chord in CHORDS for f in chord)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("train")
    write_chords(root / "src")
    prepare_dataset([root / "src"], out=root / "ds", sample_rate=SR, chunk_seconds=1.0)
    return root / "ds"


def _near_a_note(hz: float) -> bool:
    return min(abs(hz - f) for f in NOTES) <= 6.0


def test_samplernn_learns_the_chords(dataset: Path, tmp_path: Path) -> None:
    rep = train("samplernn", dataset=dataset, run=tmp_path / "run", config=TINY_RNN,
                options=TrainOptions(epochs=1, batch_size=8, seq_len=256, lr=3e-3,
                                     sample_seconds=0.05))
    assert rep.step == 155 and not rep.interrupted  # 40 chunks / 8 x 31 windows
    bits = rep.history[-1]["val_bits_per_sample"]
    assert bits < 2.5  # from log2(64) = 6 bits for a model that knows nothing
    assert np.mean(rep.losses[-20:]) < 0.5 * rep.losses[0]
    assert (tmp_path / "run" / "best.pt").is_file() and (tmp_path / "run" / "last.pt").is_file()
    if importlib.util.find_spec("tensorboard") is not None:  # the [train] extra
        assert list((tmp_path / "run" / "tb").glob("events.*"))  # TensorBoard logs
    from loopmill.models.samplernn import dequantize

    kind, model, ckpt = load_model(tmp_path / "run")  # rebuilt from its own config
    assert kind == "samplernn" and ckpt["config"]["dim"] == 64
    q = model.generate(n_samples=3000, batch_size=2, generator=torch.Generator().manual_seed(0))
    for row in dequantize(q, q_levels=64, kind="mu-law").numpy():
        assert _near_a_note(peak_hz(row[1000:], SR))


def test_lstm_composer_learns_and_continues(dataset: Path, tmp_path: Path) -> None:
    rep = train("lstm", dataset=dataset, run=tmp_path / "run", config=TINY_LSTM,
                options=TrainOptions(epochs=10, batch_size=8, lr=3e-3, sample_seconds=0.1))
    assert rep.history[-1]["val_mse"] < 0.3 * rep.losses[0]
    _, model, _ = load_model(tmp_path / "run" / "last.pt")
    from loopmill.models.lstm_composer import audio_to_blocks, blocks_to_audio

    val = torch.from_numpy(load_split(dataset, "val"))[:3, :2000]
    out = blocks_to_audio(model.continue_(audio_to_blocks(val, config=model.config),
                                          n_blocks=20), config=model.config).numpy()
    for cont, seed in zip(out, val.numpy(), strict=True):
        assert abs(peak_hz(cont, SR) - peak_hz(seed, SR)) <= 6.0  # it keeps the chord
        assert np.abs(cont).max() <= 1.0


@pytest.mark.parametrize("kind", ["samplernn", "lstm"])
def test_resume_follows_the_same_loss_curve(dataset: Path, tmp_path: Path, kind: str) -> None:
    config = TINY_RNN if kind == "samplernn" else TINY_LSTM
    opts = {"batch_size": 8, "seq_len": 256, "lr": 3e-3, "sample_seconds": 0.0, "epochs": 3}
    # 40 samplernn steps cross a batch boundary mid-way (31 windows a batch); 12 lstm
    # steps cross an epoch (5 batches an epoch)
    total, half = (40, 17) if kind == "samplernn" else (12, 7)
    whole = train(kind, dataset=dataset, run=tmp_path / "a", config=config,
                  options=TrainOptions(max_steps=total, **opts))
    first = train(kind, dataset=dataset, run=tmp_path / "b", config=config,
                  options=TrainOptions(max_steps=half, **opts))
    ckpt = load_checkpoint(tmp_path / "b" / "last.pt")
    assert ckpt["step"] == half
    rest = train(kind, dataset=dataset, run=tmp_path / "b", resume=True,
                 options=TrainOptions(max_steps=total, **opts))
    assert rest.step == total
    np.testing.assert_allclose(first.losses + rest.losses, whole.losses, rtol=1e-5, atol=1e-6)


def test_bad_runs_and_checkpoints(dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="seq_len 100 must be a multiple of the top") as e:
        train("samplernn", dataset=dataset, run=tmp_path / "r", config=TINY_RNN,
              options=TrainOptions(seq_len=100))
    assert cli_message(e.value).startswith("--seq-len 100 must be a multiple of the top")
    with pytest.raises(BadInputError, match=r"has no manifest\.json"):
        train("lstm", dataset=tmp_path, run=tmp_path / "r")
    with pytest.raises(MissingModelError, match="no checkpoint"):
        train("lstm", dataset=dataset, run=tmp_path / "empty", resume=True)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(MissingModelError, match="cannot read checkpoint"):
        load_model(tmp_path / "junk.pt")
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(MissingModelError, match="not a loopmill checkpoint"):
        load_model(tmp_path / "other.pt")


def test_ctrl_c_saves_a_checkpoint(dataset: Path, tmp_path: Path) -> None:
    def interrupt(step: int, loss: float) -> None:
        if step == 9:
            raise KeyboardInterrupt

    rep = train("samplernn", dataset=dataset, run=tmp_path / "r", config=TINY_RNN,
                options=TrainOptions(batch_size=8, seq_len=256, sample_seconds=0.0),
                on_step=interrupt)
    assert rep.interrupted and rep.step == 9
    assert load_checkpoint(tmp_path / "r")["step"] == 9


@pytest.mark.parametrize(("opts", "library", "cli"), [
    ({"epochs": 0}, "epochs 0 must be at least 1", "--epochs 0 must be at least 1"),
    ({"max_steps": 0}, "max_steps 0 must be at least 1", "--max-steps 0 must be at least 1"),
    ({"lr": 0.0}, "lr 0 must be positive, e.g. 0.001", "--lr 0 must be positive, e.g. 0.001"),
    # a run file's train section sets it; no command takes it as a flag
    ({"checkpoint_every": 0}, "checkpoint_every 0 must be at least 1",
     "checkpoint_every 0 must be at least 1"),
])
def test_bad_options_name_the_field_and_the_flag(opts: dict[str, float], library: str,
                                                 cli: str) -> None:
    with pytest.raises(BadInputError) as info:
        TrainOptions(**opts).check()  # type: ignore[arg-type]
    assert str(info.value) == library and cli_message(info.value) == cli


def test_a_model_too_big_names_its_knobs(monkeypatch: pytest.MonkeyPatch) -> None:
    from loopmill.training import guards

    monkeypatch.setattr(guards, "available_memory", lambda device: 1000)
    with pytest.raises(BadInputError) as info:
        guards.check_size("samplernn", {**TINY_RNN, "sample_rate": SR}, batch_size=4,
                          seq_len=64, device="cpu")
    assert str(info.value).endswith("choose a smaller dim, q_levels, batch_size or seq_len")
    assert cli_message(info.value).endswith(
        "choose a smaller --dim, --q-levels, --batch-size or --seq-len")
    diverged = guards.diverged(7, "loss", lr=0.01, run=Path("/nonexistent/run"))
    assert "try lr 0.001;" in str(diverged) and "try --lr 0.001;" in cli_message(diverged)
