"""One YAML file per training run, validated by pydantic; defaults stay in code.

```yaml
model:            # the model's config fields (SampleRNNConfig / LSTMComposerConfig)
  frame_sizes: [16, 4]
  dim: 1024
train:            # TrainOptions fields
  batch_size: 16
  epochs: 20
```

Flags given on the command line win over the file; the resolved settings are written
back as ``run.yaml`` in the run folder, so every run says how it was made.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from loopmill.errors import BadInputError
from loopmill.training.train import TrainOptions

__all__ = ["read_run_config", "resolve", "write_run_config"]


class _Train(BaseModel):
    model_config = ConfigDict(extra="forbid")
    epochs: int | None = None
    max_steps: int | None = None
    batch_size: int | None = None
    seq_len: int | None = None
    lr: float | None = None
    clip: float | None = None
    seed: int | None = None
    checkpoint_every: int | None = None
    sample_seconds: float | None = None
    device: str | None = None


class _RunFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: dict[str, Any] = {}
    train: _Train = _Train()


def read_run_config(path: str | Path, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model fields and the training fields a run file sets (only those).

    Raises
    ------
    BadInputError
        Unreadable file, bad YAML, an unknown key or a wrong type; the message names the
        file and the key.
    """
    from loopmill._yaml import read_yaml
    from loopmill.training.checkpoint import build_model

    path = Path(path)
    run = read_yaml(path, _RunFile, field="config")
    try:  # the model section must build a model: unknown or bad fields fail here
        build_model(kind, {**run.model, "sample_rate": 16000})
    except TypeError as exc:
        raise BadInputError(f"{path}: model: {exc}") from None
    except BadInputError as exc:
        raise BadInputError(f"{path}: model: {exc}") from None
    return dict(run.model), run.train.model_dump(exclude_none=True)


def write_run_config(run: str | Path, *, model: dict[str, Any], options: TrainOptions) -> Path:
    """Write the resolved settings to ``run/run.yaml`` (atomically)."""
    import yaml

    from loopmill.storage.sidecar import write_text_atomic

    out = Path(run) / "run.yaml"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {"model": {k: list(v) if isinstance(v, tuple) else v for k, v in model.items()},
           "train": asdict(options)}
    return write_text_atomic(out, yaml.safe_dump(doc, sort_keys=False))


def resolve(kind: str, *, config_file: str | Path | None, model_flags: dict[str, Any],
            train_flags: dict[str, Any], explicit: set[str]) -> tuple[dict[str, Any],
                                                                    TrainOptions]:
    """Settings of a run: the flags' defaults, then the file, then the flags the user
    typed (``explicit``, by field name).

    Returns
    -------
    (model config dict, TrainOptions)
    """
    file_model, file_train = read_run_config(config_file, kind) if config_file else ({}, {})
    model = {**model_flags, **file_model,
             **{k: v for k, v in model_flags.items() if k in explicit}}
    known = {f.name for f in fields(TrainOptions)}
    train = {**{k: v for k, v in train_flags.items() if k in known}, **file_train,
             **{k: v for k, v in train_flags.items() if k in explicit and k in known}}
    return model, TrainOptions(**train)
