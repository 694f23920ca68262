"""Checkpoints that load by themselves: the model's config travels inside.

A checkpoint is one ``torch.save`` dict: ``kind`` (``samplernn`` or ``lstm``), the
model's dataclass config as plain types, its weights, and for training the optimizer,
the position in the data (epoch, batch, window), the carried RNN state and the history.
Loading needs nothing else (no hyperparameter flags to repeat, unlike deepsound and
GRUV), and uses ``weights_only=True``: a checkpoint cannot run code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loopmill._extras import require
from loopmill.errors import BadInputError, MissingModelError

__all__ = ["KINDS", "build_model", "checkpoint_kind", "checkpoint_path", "load_checkpoint",
           "load_model", "save_checkpoint"]

KINDS = ("samplernn", "lstm")


def build_model(kind: str, config: dict[str, Any]) -> Any:
    """A fresh model of ``kind`` from its config dict."""
    require("torch", what=f"a {kind} model", extra="train")
    if kind == "samplernn":
        from loopmill.models.samplernn import SampleRNN, SampleRNNConfig

        return SampleRNN(SampleRNNConfig.from_dict(config))
    if kind == "lstm":
        from loopmill.models.lstm_composer import LSTMComposer, LSTMComposerConfig

        return LSTMComposer(LSTMComposerConfig.from_dict(config))
    raise BadInputError(f"unknown model kind {kind!r}; use {' or '.join(KINDS)}")


def save_checkpoint(path: str | Path, data: dict[str, Any]) -> Path:
    """Write ``data`` atomically (a hidden name, then a rename): a crash or Ctrl-C
    while saving never leaves a half-written checkpoint.

    Raises
    ------
    StorageError
        The run folder cannot be written.
    """
    import torch

    from loopmill._atomic import atomic_path

    path = Path(path)
    with atomic_path(path) as hidden:
        torch.save(data, hidden)
    return path


def checkpoint_path(path: str | Path) -> Path:
    """The checkpoint file ``path`` names: itself, or a run folder's ``best.pt`` (else
    ``last.pt``).

    Raises
    ------
    MissingModelError
        Nothing there; the message says what to pass.
    """
    path = Path(path)
    if path.is_dir():
        for name in ("best.pt", "last.pt"):
            if (path / name).is_file():
                return path / name
    if not path.is_file():
        raise MissingModelError(f"no checkpoint at {path}; pass a .pt file or a run folder "
                                "from `loopmill train`")
    return path


def checkpoint_kind(path: str | Path) -> str:
    """The kind of model a checkpoint holds (``samplernn`` or ``lstm``), read without
    loading its weights (they are memory-mapped, not read).

    Raises
    ------
    MissingModelError, MissingDependencyError
        As :func:`load_checkpoint`.
    """
    return str(_read(path, mmap=True)["kind"])


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by loopmill.

    Raises
    ------
    MissingModelError
        Missing, unreadable or not a loopmill checkpoint; the message says which.
    MissingDependencyError
        torch is not installed.
    """
    return _read(path, mmap=False)


def _read(path: str | Path, *, mmap: bool) -> dict[str, Any]:
    torch = require("torch", what="reading a checkpoint", extra="train")

    path = checkpoint_path(path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as exc:  # truncated, corrupt, or not a torch file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise MissingModelError(f"cannot read checkpoint {path}: {first}") from None
    if not isinstance(data, dict) or data.get("kind") not in KINDS or "config" not in data:
        raise MissingModelError(f"{path} is not a loopmill checkpoint (no kind/config); train "
                                "one with `loopmill train samplernn|lstm`")
    data["path"] = str(path)
    return data


def load_model(path: str | Path, *, device: str = "cpu") -> tuple[str, Any, dict[str, Any]]:
    """The model in a checkpoint, rebuilt from its own config, in eval mode.

    Returns
    -------
    (kind, model, checkpoint dict)

    Raises
    ------
    MissingModelError
        No readable loopmill checkpoint at ``path``.
    BadInputError
        Weights that hold NaN or infinity.
    """
    data = load_checkpoint(path)
    from loopmill.training.guards import check_finite_state

    check_finite_state(data["model"], path=Path(data["path"]))  # a diverged run's weights
    model = build_model(data["kind"], data["config"])
    model.load_state_dict(data["model"])
    return data["kind"], model.to(device).eval(), data
