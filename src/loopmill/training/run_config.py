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

:class:`~loopmill.training.train.TrainOptions` is the one declaration of the training
settings: the file's ``train:`` section is validated by a model made from its fields,
and ``loopmill train`` takes its flags' defaults from it.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, create_model

from loopmill.errors import BadInputError
from loopmill.training.train import TrainOptions

__all__ = ["read_run_config", "resolve", "write_run_config"]


def _optional(cls: type) -> dict[str, Any]:
    """Each field of the dataclass ``cls`` as an optional pydantic field (None: unset)."""
    hints = get_type_hints(cls)
    return {f.name: (hints[f.name] | None, None) for f in fields(cls)}


_STRICT = ConfigDict(extra="forbid")
#: the ``train:`` section: TrainOptions' fields, each optional
_Train: type[BaseModel] = create_model("_Train", __config__=_STRICT, **_optional(TrainOptions))
_RunFile: type[BaseModel] = create_model(
    "_RunFile", __config__=_STRICT, model=(dict[str, Any], {}), train=(_Train, _Train()))


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
    run = read_yaml(path, _RunFile, field="config").model_dump()
    try:  # the model section must build a model: unknown or bad fields fail here
        build_model(kind, {**run["model"], "sample_rate": 16000})
    except TypeError as exc:
        raise BadInputError(f"{path}: model: {exc}") from None
    except BadInputError as exc:
        raise BadInputError(f"{path}: model: {exc}") from None
    return run["model"], {k: v for k, v in run["train"].items() if v is not None}


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
