"""The run's loggers: TensorBoard when installed, wandb only when asked and installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from loopmill.errors import BadInputError, MissingDependencyError
from loopmill.evolve.config import resolve_config
from loopmill.evolve.run import _Loggers


def test_tensorboard_logs_each_generation(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard", reason="TensorBoard logs need tensorboard")
    pytest.importorskip("torch", reason="its writer comes with torch")
    cfg = resolve_config(overrides={"fitness.mode": "dynamic"})
    log = _Loggers(cfg, tmp_path)
    log.log({"generation": 0, "best": 0.5, "mean": 0.1, "best_genome": {"energy": 1}})
    log.close()
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))


def test_wandb_only_when_asked_and_installed(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    quiet = resolve_config(overrides={"fitness.mode": "dynamic", "logger.tensorboard": False})
    assert _Loggers(quiet, tmp_path).wandb is None  # not asked: never imported
    asked = resolve_config(overrides={"fitness.mode": "dynamic", "logger.tensorboard": False,
                                      "logger.wandb": True})
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    if importlib.util.find_spec("wandb") is None:
        with pytest.raises(MissingDependencyError, match="pip install wandb"):
            _Loggers(asked, tmp_path)
    else:
        with pytest.raises(BadInputError, match="WANDB_API_KEY in the environment"):
            _Loggers(asked, tmp_path)
