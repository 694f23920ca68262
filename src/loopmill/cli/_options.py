"""Options several commands share, declared once: ``--log-level`` (every command), the
output format and folder, the rate, the catalog and the model engines' sampling; and
the short flags. Their ranges and defaults come from :mod:`loopmill.settings`.

A command takes one as ``temperature: opt.Temperature = settings.TEMPERATURE``, a
whole group of them with :meth:`OptionGroup.after`, and builds its library object
from its parameters with :func:`build`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

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


# Options whose help is each command's own (a factory gives the typer.Option): those
# with a short flag (SHORT_FLAGS), their names written here once, and the ones whose
# help differs by a word.
def dest(text: str) -> Any:
    """``--dest`` / ``-d``."""
    return typer.Option("--dest", "-d", help=text)


def count(text: str, **limits: Any) -> Any:
    """``--count`` / ``-n`` (``limits``: click's ``min=`` / ``max=``)."""
    return typer.Option("--count", "-n", help=text, **limits)


def out(text: str) -> Any:
    """``--out`` / ``-o``."""
    return typer.Option("--out", "-o", help=text)


def report_format(text: str) -> Any:
    """``--format`` / ``-f`` of a report (inspect, catalog); audio formats: :data:`Formats`."""
    return typer.Option("--format", "-f", help=text)


def runs_dir(*names: str) -> Any:
    """``--runs-dir`` (after ``names``: evolve's own ``--runs``)."""
    return typer.Option(*names, "--runs-dir",
                        help="Where run folders go (default: LOOPMILL_RUNS or user data).")


def config(text: str) -> Any:
    """``--config`` / ``-c``."""
    return typer.Option("--config", "-c", help=text)


def switch(flag: str, text: str) -> Any:
    """An on/off option written as one flag (``--midi``; no ``--no-midi``)."""
    return typer.Option(flag, help=text)


def max_input(what: str) -> Any:
    """``--max-input-duration``: "Refuse ``what`` longer than this many seconds"."""
    return typer.Option(help=f"Refuse {what} longer than this many seconds.")


Formats = Annotated[str, typer.Option("--format", "-f", help=FORMATS_RULE)]
OutputDir = Annotated[Path, dest("Output folder.")]
Destination = Annotated[str, dest("Folder or fsspec URL (s3://bucket/prefix, ...).")]
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

#: ``--min-duration`` / ``--max-duration``'s words, the range from settings.
SHORTEST = f"Shortest loop, {settings.span(settings.DURATION_RANGE)} s"
LONGEST = f"Longest loop, {settings.span(settings.DURATION_RANGE)} s"
SeedOrDraw = Annotated[int, typer.Option(help="Same seed, same audio; -1 draws one.")]
FilePrefix = Annotated[str, typer.Option(help="Start of every file name.")]
RunsDir = Annotated[Path | None, runs_dir()]


F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


@dataclass(frozen=True)
class OptionGroup:
    """Options several commands take alike, declared once, in ``--help`` order.

    A command takes the group with :meth:`after` and receives its options in the
    ``**kwargs`` its signature ends with.
    """

    params: tuple[inspect.Parameter, ...]

    @classmethod
    def of(cls, **options: tuple[Any, Any]) -> OptionGroup:
        """The group of ``name=(Annotated type, default)`` options, in this order."""
        kw = inspect.Parameter.KEYWORD_ONLY
        return cls(tuple(inspect.Parameter(name, kw, annotation=annotation, default=default)
                         for name, (annotation, default) in options.items()))

    def after(self, anchor: str | None = None) -> Callable[[F], F]:
        """Decorator: the command also takes this group's options, listed in ``--help``
        after its own parameter ``anchor`` (default: after all of its own).

        typer reads a command's options from its signature (``__signature__`` where a
        function has one), so the group's options are set there in place of the
        command's ``**kwargs``; typer passes every option by name.
        """
        def take(command: F) -> F:
            own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
                   for p in inspect.signature(command, eval_str=True).parameters.values()
                   if p.kind is not inspect.Parameter.VAR_KEYWORD]
            at = len(own) if anchor is None else [p.name for p in own].index(anchor) + 1
            command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
                [*own[:at], *self.params, *own[at:]])
            return command

        return take


#: The model engines' sampling (generate, auto): GenerationParams' fields.
SAMPLING = OptionGroup.of(
    temperature=(Temperature, settings.TEMPERATURE),
    top_k=(TopK, settings.TOP_K),
    top_p=(TopP, settings.TOP_P),
    guidance=(Guidance, settings.GUIDANCE),
)


def _text(value: Any) -> Any:
    """A path as the text the library takes; a repeatable option's values (click keeps
    them as a tuple, empty when none is given) as a list of those; else the value."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_text(v) for v in value]
    return value


def as_text(params: Mapping[str, Any]) -> dict[str, Any]:
    """The command's parameters with every path as text."""
    return {name: _text(value) for name, value in params.items()}


def build(make: Callable[..., T], params: Mapping[str, Any], /, **given: Any) -> T:
    """``make(...)`` from the command's ``params`` (``ctx.params``) that it takes by the
    same name, paths as text; ``given`` (the renamed or converted ones) wins."""
    takes = inspect.signature(make).parameters
    return make(**{**as_text({k: v for k, v in params.items() if k in takes}), **given})
