"""``loopmill inspect``: verify files (format, loudness, tempo, key, loop points, seam)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from loopmill import settings
from loopmill.cli import _options as opt
from loopmill.cli._common import fail, out_console, print_table, say
from loopmill.cli._flags import cli_message
from loopmill.errors import LoopmillError
from loopmill.pipeline.inspect import inspect_file

_ROWS = (
    ("format", "format"),
    ("sample_rate", "rate Hz"),
    ("channels", "channels"),
    ("duration", "duration s"),
    ("loudness_lufs", "loudness LUFS"),
    ("true_peak_db", "true peak dBTP"),
    ("bpm", "tempo BPM"),
    ("beats_per_bar", "beats/bar"),
    ("key", "key"),
    ("loop_start", "loop start"),
    ("loop_length", "loop length"),
    ("seam_score", "seam score"),
    ("seam_of", "seam of"),
)


def _show(report: dict[str, Any]) -> None:
    rows = [[label, "-" if report.get(key) is None else str(report.get(key))]
            for key, label in _ROWS]
    rows += [[key, str(value)] for key, value in report.get("tags", {}).items()]
    if out_console.is_terminal:
        print_table(report["path"], ("field", "value"), rows, header=False)
    else:  # one "field: value" line each, after the file's own line
        print(report["path"])
        for label, value in rows:
            print(f"{label}: {value}")


def inspect(
    files: Annotated[list[Path], typer.Argument(help="Audio files to measure.")],
    fmt: Annotated[
        str, opt.report_format("table or json (one list of reports).")
    ] = "table",
    as_json: Annotated[
        bool, typer.Option("--json", hidden=True, help="Same as --format json.")
    ] = False,
    max_input_duration: Annotated[float, opt.max_input("files")] = settings.MAX_INPUT_DURATION,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """Print duration, rate, channels, LUFS, true peak, tempo, key, loop points and seam score.

    The seam score is 0 when the wrap is no more abrupt than any other point of the
    loop; each +1 doubles the abruptness. Without loop points the whole file is
    scored as a loop.
    """
    fmt = "json" if as_json else fmt.lower()
    if fmt not in ("table", "json"):
        raise fail(f"--format {fmt} is unknown; use table or json")
    reports: list[dict[str, Any]] = []
    errors: list[str] = []
    for f in files:
        try:
            reports.append(inspect_file(f, max_input_duration=max_input_duration))
        except LoopmillError as exc:
            text = cli_message(exc)  # the fields it names, as this command's flags
            msg = text if str(exc).startswith(str(f)) else f"{f}: {text}"
            errors.append(msg)
            reports.append({"path": str(f), "error": msg})
    if fmt == "json":
        print(json.dumps(reports, indent=2))
    else:
        for rep in reports:
            if "error" not in rep:
                _show(rep)
    for msg in errors:
        say("error", msg)
    if errors:
        raise typer.Exit(1)
