"""``loopmill studio``: the local web page over the catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loopmill import settings
from loopmill.cli import _options as opt
from loopmill.cli._common import guarded, out_console


def studio(
    host: Annotated[str, typer.Option(
        help="Address to listen on; anything but 127.0.0.1/localhost needs the printed token."
    )] = settings.STUDIO_HOST,
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = settings.STUDIO_PORT,
    catalog: opt.CatalogPath = None,
    dest: Annotated[
        Path, opt.dest("Folder for loops generated from the page.")
    ] = Path("loops"),
    root: Annotated[list[Path] | None, typer.Option(
        help="Another folder whose loops may be played (repeatable; the current folder "
             "and --dest always are).")] = None,
    token: Annotated[str | None, typer.Option(
        envvar=settings.STUDIO_TOKEN_ENV,
        help="Token for other hosts (default: a fresh one, printed with the URL).")] = None,
    listener: Annotated[str, typer.Option(help="Whose ratings the page records.")
                        ] = "default",
    workers: Annotated[int, typer.Option(help="Worker processes for generate jobs.")] = 1,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in a browser.")
                            ] = False,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """Audition loops seamlessly, rate them, generate and evolve, in a local web page.

    Prints the URL; Ctrl-C stops it.

    Example: loopmill studio --open
    """
    from loopmill.studio.server import run_studio  # lazy: fastapi only when asked for

    def ready(url: str) -> None:
        out_console.print(f"loopmill studio at {url}  (Ctrl-C stops it)", markup=False)

    guarded(lambda: run_studio(
        host=host, port=port, catalog=catalog, dest=dest, roots=tuple(root or ()),
        token=token, listener=listener, workers=workers, open_browser=open_browser,
        on_ready=ready,
    ))
    out_console.print("studio stopped", markup=False)
