"""``loopmill engines``: what makes the music, what each engine can do, how to get it."""

from __future__ import annotations

from typing import Annotated

import typer

from loopmill import settings
from loopmill.cli import _options as opt
from loopmill.cli._common import out_console, print_table


def engines(
    json_out: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """List the engines: what each can do and what to install for it.

    Example: loopmill engines
    """
    from loopmill.engines.registry import describe_engines

    rows = describe_engines()
    if json_out:
        import json

        out_console.print(json.dumps(rows, indent=2), soft_wrap=True)
        return
    print_table("engines", ("engine", "ready", "can", "install", "about"),
                [[r["name"], "yes" if r["installed"] else "no",
                  ", ".join(r["capabilities"]) or "-", r["install"] or "(built in)",
                  r["summary"]] for r in rows])
