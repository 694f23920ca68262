"""``loopmill spool status|deliver``: files kept locally while their destination was down."""

from __future__ import annotations

from typing import Annotated

import typer

from loopmill import settings
from loopmill.cli import _options as opt
from loopmill.cli._common import guarded, out_console, say

spool_app = typer.Typer(help="See and send files kept while a destination was down.",
                        no_args_is_help=True)


@spool_app.command()
def status(log_level: opt.LogLevel = settings.LOG_LEVEL) -> None:
    """What waits in the local spool, per destination. Example: loopmill spool status"""
    from loopmill.storage.spool import spool_status

    entries = guarded(spool_status)
    if not entries:
        out_console.print("the spool is empty")
        return
    for e in entries:
        out_console.print(f"{e.dest or '(unknown destination)'}: {len(e.files)} files, "
                          f"{e.bytes / 1e6:.1f} MB in {e.folder}")


@spool_app.command()
def deliver(
    dest: Annotated[str | None, opt.dest("Only this destination (default: every one).")] = None,
    s3_endpoint_url: Annotated[
        str | None, typer.Option(help="S3-compatible endpoint, if not the one noted.")
    ] = None,
    catalog: opt.CatalogPath = None,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """Send spooled files to their destinations; catalog rows follow them.

    Exit 0 when the spool is empty afterwards, 75 when files are still waiting.
    Example: loopmill spool deliver
    """
    from loopmill.pipeline.auto import SPOOLED_EXIT
    from loopmill.storage.spool import deliver_spool

    rep = guarded(lambda: deliver_spool(dest, s3_endpoint_url=s3_endpoint_url,
                                        catalog=catalog))
    for _, uri in rep.delivered:
        out_console.print(f"delivered {uri}")
    out_console.print(f"{len(rep.delivered)} files delivered, {rep.rows_updated} catalog rows "
                      f"updated, {len(rep.left)} still in the spool")
    for msg in rep.errors:
        say("not delivered", msg, style="yellow")
    if rep.left:
        raise typer.Exit(SPOOLED_EXIT)
