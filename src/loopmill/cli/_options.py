"""Options several commands share, declared once: ``--log-level`` (every command), the
output format and folder, the rate, the catalog and the model engines' sampling; and
the short flags. Their ranges and defaults come from :mod:`loopmill.settings`.

A command takes one as ``temperature: opt.Temperature = settings.TEMPERATURE``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from loopmill import settings
from loopmill.cli._common import FORMATS_RULE, fail

#: The short flags: each means one long flag in every command that has it, and every
#: command with that long flag takes the short one too (tests/cli/test_options.py walks
#: the whole app to hold this).
SHORT_FLAGS: dict[str, str] = {
    "-f": "--format",  # audio formats, or the report format of inspect/catalog
    "-d": "--dest",  # the folder (or fsspec URL) files are written to
    "-o": "--out",  # one output: a dataset folder, an export file
    "-c": "--config",  # a run file (YAML)
    "-n": "--count",  # how many loops / samples
}


def _set_log_level(ctx: typer.Context, param: typer.CallbackParam, value: str) -> str:
    """Apply a typed ``--log-level`` to Python logging (a default changes nothing, so
    ``loopmill --log-level debug generate`` keeps the root option's level)."""
    source = ctx.get_parameter_source(param.name or "")
    if getattr(source, "name", "") not in ("COMMANDLINE", "ENVIRONMENT"):
        return value
    level = value.strip().lower()
    if level not in settings.LOG_LEVELS:
        *rest, last = settings.LOG_LEVELS
        raise fail(f"--log-level {value} is unknown; use {', '.join(rest)} or {last}")
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level.upper())
    return level


#: ``--log-level`` for every command (the callback applies it; the command's own
#: parameter is never passed a value).
LogLevel = Annotated[
    str,
    typer.Option(
        "--log-level", callback=_set_log_level, expose_value=False, is_eager=True,
        metavar="LEVEL", help=f"How much to log: {', '.join(settings.LOG_LEVELS)}.",
    ),
]

Formats = Annotated[str, typer.Option("--format", "-f", help=FORMATS_RULE)]
OutputDir = Annotated[Path, typer.Option("--dest", "-d", help="Output folder.")]
Destination = Annotated[
    str, typer.Option("--dest", "-d", help="Folder or fsspec URL (s3://bucket/prefix, ...).")]
S3Endpoint = Annotated[
    str | None, typer.Option(help="S3-compatible endpoint (MinIO, moto...).")]
SampleRate = Annotated[
    int, typer.Option(help=" or ".join(str(r) for r in settings.SAMPLE_RATES) + ".")
]
CatalogPath = Annotated[
    Path | None, typer.Option(help="SQLite catalog (default: LOOPMILL_CATALOG or user data).")
]

# the model engines' sampling (generate, auto)
Temperature = Annotated[float, typer.Option(help="Model engines: sampling temperature (> 0).")]
TopK = Annotated[int, typer.Option(help="Model engines: top-k sampling (0 = off).")]
TopP = Annotated[float, typer.Option(help="Model engines: nucleus mass (0 = off).")]
Guidance = Annotated[float, typer.Option(help="Model engines: classifier-free guidance scale.")]
MaxAttempts = Annotated[
    int, typer.Option(help="Model engines: tries while the tempo is > 6 % off.")
]
BatchSize = Annotated[
    int | None,
    typer.Option(help=f"Model engines: loops per batched call (default {settings.MODEL_BATCH}; "
                 "the GPU's sweet spot)."),
]
