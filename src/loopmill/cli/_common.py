"""What every command shares: one-line errors, consoles, tables, progress bars.

Both consoles print text as it is (``markup=False``): messages carry file names and
install hints such as ``pip install 'loopmill[musicgen]'`` whose square brackets Rich
would otherwise eat. Styles come from :class:`rich.text.Text` spans, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from loopmill import settings
from loopmill.errors import LoopmillError

T = TypeVar("T")


def _quiet_metavars() -> None:
    """Show a value's type in ``--help`` only where it helps: numbers and choices.

    typer >= 0.20 prints ``<str>`` or ``<bool>`` beside every option (even ``--help``),
    which takes a column and says nothing the help text does not. An explicit
    ``metavar=`` always shows.
    """
    from typer import core

    for cls in (core.TyperOption, core.TyperArgument):
        shown = getattr(cls, "display_type_rich", None)
        if shown is None or getattr(shown, "_loopmill", False):
            continue

        def display(self: Any, ctx: Any, _shown: Any = shown) -> str:
            if self.metavar is not None:
                return str(self.metavar)
            if getattr(self, "is_flag", False):
                return ""
            desc = getattr(self, "type_descriptor", None)
            if desc is not None and (desc.is_choice or desc.annotation in (int, float)):
                return str(_shown(self, ctx) or "")
            return ""

        display._loopmill = True  # type: ignore[attr-defined]
        cls.display_type_rich = display  # type: ignore[method-assign]


_quiet_metavars()

#: Every --format option's help: one rule for every command's default.
FORMATS_RULE = (
    "wav, flac, ogg or mp3; several comma-separated (ogg,mp3). Defaults follow one rule: "
    f"{settings.COMPOSED_FORMAT} for music loopmill composes (small, loop points as Vorbis "
    f"comments; a suite makes {','.join(settings.SUITE_FORMATS)} for browsers), lossless "
    f"{settings.RAW_FORMAT} for audio you bring or a model's raw output."
)

err_console = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)
out_console = Console(highlight=False, soft_wrap=True, markup=False)


def say(label: str, message: str, *, style: str = "bold red") -> None:
    """Print ``label: message`` on one line to stderr, the label styled."""
    err_console.print(Text.assemble((f"{label}:", style), " ", message))


def show_spooled(uris: Iterable[str]) -> None:
    """Name each file the local spool keeps (its destination was down), one a line."""
    for uri in uris:
        say("kept in the local spool (destination down)", uri, style="yellow")


def spooled_exit() -> None:
    """Some files wait in the local spool (the destination was down): say how to send
    them and exit with ``auto``'s code for it (75, "try again later")."""
    from loopmill.pipeline.auto import SPOOLED_EXIT

    err_console.print("some files are in the local spool; send them with: "
                      "loopmill spool deliver")
    raise typer.Exit(SPOOLED_EXIT)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` on one line to stderr and return the exit to raise."""
    say("error", message)
    return typer.Exit(code)


def guarded(fn: Callable[[], T]) -> T:
    """Run ``fn``; a ``LoopmillError`` becomes a one-line message and its exit code."""
    try:
        return fn()
    except LoopmillError as exc:
        from loopmill.cli._flags import cli_message

        raise fail(cli_message(exc), exc.exit_code) from None
    except KeyboardInterrupt:
        raise fail("interrupted", 130) from None


def print_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *,
    paths: Sequence[str] = ("file", "files", "output"), header: bool = True,
) -> None:
    """Print rows as a table on a terminal, else as plain tab-separated lines.

    Columns named in ``paths`` never wrap or get cut, so a file name stays whole and
    can be copied. Without a terminal (a pipe, a file, CI) every row is one line, the
    column names first (``header``), and no title, so the output greps and parses.
    """
    if not out_console.is_terminal:
        if header:
            print("\t".join(columns))
        for row in rows:
            print("\t".join(row))
        return
    table = Table(title=title or None, title_justify="left", show_header=header)
    for col in columns:
        if col in paths:
            table.add_column(col, no_wrap=True, overflow="ignore")
        else:
            table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    out_console.print(table)


def progress_bar() -> Progress:
    """The progress bar every long command shows on stderr (gone when done)."""
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
