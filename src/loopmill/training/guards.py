"""What stops a training run early and plainly instead of late with a traceback.

* settings that leave no training window (a ``seq_len`` longer than the chunks);
* a model too big for the memory there is, estimated before a byte is allocated
  (the model is built on PyTorch's ``meta`` device, which holds shapes only);
* a run that diverges: a non-finite loss or gradient stops it at that step, and no
  checkpoint with non-finite weights is ever written or loaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from loopmill.errors import BadInputError, LoopmillError

__all__ = ["TrainingDivergedError", "available_memory", "check_finite_state", "check_size",
           "check_windows", "diverged", "estimate_bytes", "preflight"]


class TrainingDivergedError(LoopmillError):
    """The loss or the gradients stopped being finite numbers."""

    exit_code = 2  # the user can fix it: a lower learning rate


def diverged(step: int, what: str, *, lr: float, run: Path) -> TrainingDivergedError:
    """The one-line error for a run that diverged at ``step``."""
    kept = run / "last.pt"
    where = (f"{kept} holds the last finite weights" if kept.exists()
             else "no checkpoint was written")
    return TrainingDivergedError(
        f"training diverged at step {step}: the {what} is not a finite number; the learning "
        f"rate {lr:g} is likely too high, try lr {min(lr / 10, 1e-3):g}; {where}", field="lr"
    )


def preflight(kind: str, config: dict[str, Any], *, batch_size: int, seq_len: int,
              chunk_samples: int, sr: int, device: str) -> None:
    """Every check a run can fail before its model is allocated: windows, then size.

    Raises
    ------
    BadInputError
        No training window, or a model too big for ``device``.
    """
    probe = _meta_model(kind, config)
    check_windows(kind, probe, seq_len=seq_len, chunk_samples=chunk_samples, sr=sr)
    check_size(kind, config, batch_size=batch_size, seq_len=seq_len, device=device,
               probe=probe)


def _meta_model(kind: str, config: dict[str, Any]) -> Any:
    """The model with shapes but no storage (PyTorch's meta device)."""
    import torch

    from loopmill.training.checkpoint import build_model

    with torch.device("meta"):
        return build_model(kind, config)


def check_windows(kind: str, model: Any, *, seq_len: int, chunk_samples: int, sr: int) -> None:
    """Refuse settings under which the chunks hold no training window.

    Raises
    ------
    BadInputError
        A SampleRNN ``seq_len`` longer than a chunk (minus the model's lookback).
    """
    if kind != "samplernn":
        return
    lookback = int(model.lookback)
    if (chunk_samples - lookback) // seq_len >= 1:
        return
    longest = (chunk_samples - lookback) // lookback * lookback
    # the message names seq_len once, first: that reference is the one the CLI rewrites
    fix = f"use {longest} or less" if longest >= lookback else "use smaller frames"
    raise BadInputError(
        f"seq_len {seq_len} leaves no training window: each chunk holds {chunk_samples} "
        f"samples ({chunk_samples / sr:g} s) and a window needs {seq_len + lookback}; {fix}, "
        "or prepare the dataset with longer chunk_seconds", field=("seq_len", "chunk_seconds")
    )


def estimate_bytes(kind: str, config: dict[str, Any], *, batch_size: int,
                   seq_len: int, probe: Any = None) -> tuple[int, int]:
    """(parameters, bytes to train) of a model, without allocating it.

    Training keeps four float32 copies of every parameter (weights, gradients, Adam's
    two moments) plus the activations of one step; for SampleRNN the largest are the
    logits over ``q_levels`` for every sample of the window, kept for the backward pass.
    """
    probe = probe if probe is not None else _meta_model(kind, config)
    params = int(sum(p.numel() for p in probe.parameters()))
    need = 16 * params
    if kind == "samplernn":
        cfg = probe.config
        need += 3 * 4 * batch_size * seq_len * (int(cfg.q_levels) + 4 * int(cfg.dim))
    return params, need


def available_memory(device: str) -> int | None:
    """Bytes free for a new allocation on ``device``; None when unknown."""
    if device.startswith("cuda"):
        import torch

        try:
            return int(torch.cuda.mem_get_info(torch.device(device))[0])
        except (RuntimeError, AssertionError):
            return None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def check_size(kind: str, config: dict[str, Any], *, batch_size: int, seq_len: int,
               device: str, probe: Any = None) -> None:
    """Refuse a model that cannot fit, with its estimated size.

    Raises
    ------
    BadInputError
        The estimate exceeds the free memory of ``device``.
    """
    params, need = estimate_bytes(kind, config, batch_size=batch_size, seq_len=seq_len,
                                  probe=probe)
    free = available_memory(device)
    if free is None or need <= free:
        return
    knobs = ("dim", "q_levels", "batch_size", "seq_len") if kind == "samplernn" else (
        "hidden", "n_layers", "batch_size")
    raise BadInputError(
        f"this {kind} model is too big to train here: about {need / 1e9:,.1f} GB for "
        f"{params / 1e6:,.1f} M parameters and one step's activations, with "
        f"{free / 1e9:,.1f} GB free on {device}; choose a smaller "
        f"{', '.join(knobs[:-1])} or {knobs[-1]}", field=knobs
    )


def check_finite_state(state: dict[str, Any], *, path: Path) -> None:
    """Refuse weights that hold NaN or infinity (a diverged run's checkpoint).

    Raises
    ------
    BadInputError
        The number of non-finite tensors, and what to do.
    """
    import torch

    tensors = [t for t in state.values() if isinstance(t, torch.Tensor)
               and (t.is_floating_point() or t.is_complex())]
    bad = sum(1 for t in tensors if not bool(torch.isfinite(t).all()))
    if bad:
        raise BadInputError(
            f"checkpoint {path} holds non-finite weights ({bad} of {len(tensors)} tensors "
            "have NaN or infinity): it comes from a training run that diverged; train again "
            "with a lower lr", field="lr"
        )

