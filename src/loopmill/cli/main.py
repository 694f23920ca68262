"""The ``loopmill`` command: a thin typer layer over the library."""

from __future__ import annotations

from typing import Annotated

import typer

from loopmill import __version__, settings
from loopmill.cli import _options as opt
from loopmill.cli.auto_cmd import auto
from loopmill.cli.catalog_cmd import catalog_app
from loopmill.cli.engines_cmd import engines
from loopmill.cli.evolve_cmd import evolve
from loopmill.cli.generate_cmd import generate
from loopmill.cli.inspect_cmd import inspect
from loopmill.cli.loop_cmd import loop
from loopmill.cli.spool_cmd import spool_app
from loopmill.cli.studio_cmd import studio
from loopmill.cli.suite_cmd import suite
from loopmill.cli.train_cmd import dataset_app, sample, train_app

app = typer.Typer(
    name="loopmill",
    help="An unlimited source of seamless, loopable music.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(generate)
app.command()(loop)
app.command()(inspect)
app.command()(auto)
app.command()(suite)
app.add_typer(catalog_app, name="catalog")
app.add_typer(dataset_app, name="dataset")
app.add_typer(train_app, name="train")
app.add_typer(spool_app, name="spool")
app.command()(sample)
app.command()(evolve)
app.command()(studio)
app.command()(engines)


def _version(value: bool) -> None:
    if value:
        print(f"loopmill {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """An unlimited source of seamless, loopable music."""


def main() -> None:
    """Console-script entry point."""
    from loopmill._alloc import keep_freed_memory
    from loopmill._exit import exit_now

    keep_freed_memory()
    try:
        app()
    except SystemExit as done:  # typer ends every command with one
        exit_now(done.code)
    exit_now(0)


if __name__ == "__main__":
    main()
