"""``loopmill inspect``: verify files (format, loudness, tempo, key, loop points, seam)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from loopmill.cli._common import err_console, out_console
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
    table = Table(title=report["path"], title_justify="left", show_header=False)
    table.add_column("field")
    table.add_column("value")
    for key, label in _ROWS:
        value = report.get(key)
        table.add_row(label, "-" if value is None else str(value))
    for key, value in report.get("tags", {}).items():
        table.add_row(key, str(value))
    out_console.print(table)


def inspect(
    files: Annotated[list[Path], typer.Argument(help="Audio files to measure.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one list).")] = False,
    max_input_duration: Annotated[
        float, typer.Option(help="Refuse files longer than this many seconds.")
    ] = 1800.0,
) -> None:
    """Print duration, rate, channels, LUFS, true peak, tempo, key, loop points and seam score.

    The seam score is 0 when the wrap is no more abrupt than any other point of the
    loop; each +1 doubles the abruptness. Without loop points the whole file is
    scored as a loop.
    """
    reports: list[dict[str, Any]] = []
    errors: list[str] = []
    for f in files:
        try:
            reports.append(inspect_file(f, max_input_duration=max_input_duration))
        except LoopmillError as exc:
            msg = str(exc) if str(exc).startswith(str(f)) else f"{f}: {exc}"
            errors.append(msg)
            reports.append({"path": str(f), "error": msg})
    if as_json:
        print(json.dumps(reports, indent=2))
    else:
        for rep in reports:
            if "error" not in rep:
                _show(rep)
    for msg in errors:
        err_console.print(f"[bold red]error:[/] {msg}")
    if errors:
        raise typer.Exit(1)
