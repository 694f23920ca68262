"""``loopmill catalog list|show|export``: look into the catalog of made loops."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from loopmill import settings
from loopmill.cli import _options as opt
from loopmill.cli._common import fail, guarded, out_console, print_table, say

catalog_app = typer.Typer(help="Look into the catalog of every loop made.", no_args_is_help=True)

GenreOpt = Annotated[str | None, typer.Option(help="Only this genre.")]
BpmMinOpt = Annotated[float | None, typer.Option(help="Tempo at least this.")]
BpmMaxOpt = Annotated[float | None, typer.Option(help="Tempo at most this.")]
KeyOpt = Annotated[str | None, typer.Option(help='Only this key, e.g. "D minor".')]
SinceOpt = Annotated[str | None, typer.Option(help="Made on or after (2026-11-22).")]
UntilOpt = Annotated[str | None, typer.Option(help="Made on or before (2026-11-22).")]
RunOpt = Annotated[str | None, typer.Option("--run", help="Only this auto run id.")]
LimitOpt = Annotated[int | None, typer.Option(help="At most this many rows.")]
#: ``--json`` stays as a hidden shorthand for ``--format json`` (older scripts).
JsonOpt = Annotated[bool, typer.Option("--json", hidden=True, help="Same as --format json.")]


def _rows(catalog: Path | None, **filters: Any) -> list[dict[str, Any]]:
    from loopmill.storage.catalog import Catalog

    with Catalog(catalog) as cat:
        return cat.query(**filters)


@catalog_app.command("list")
def list_(
    catalog: opt.CatalogPath = None, genre: GenreOpt = None, bpm_min: BpmMinOpt = None,
    bpm_max: BpmMaxOpt = None, key: KeyOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, run: RunOpt = None, limit: LimitOpt = None,
    fmt: Annotated[str, opt.report_format("table, json or csv.")] = "table",
    as_json: JsonOpt = False,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """List loops, filtered. Example: loopmill catalog list --genre synthwave --bpm-min 90

    On a terminal the list is a table; piped, it is one tab-separated line per loop.
    """
    from loopmill.storage.catalog import export as write

    fmt = "json" if as_json else fmt.lower()
    if fmt not in ("table", "json", "csv"):
        raise fail(f"--format {fmt} is unknown; use table, json or csv")
    rows = guarded(lambda: _rows(catalog, genre=genre, bpm_min=bpm_min, bpm_max=bpm_max,
                                 key=key, since=since, until=until, run_id=run, limit=limit))
    if fmt != "table":
        write(rows, fmt=fmt, out=sys.stdout)
        return
    print_table(
        f"{len(rows)} loops",
        ("id", "file", "genre", "bpm", "key", "s", "LUFS", "seam"),
        [[str(r["id"]), str((r.get("uris") or [""])[0]).rsplit("/", 1)[-1],
          str(r.get("genre") or "-"), f"{r.get('bpm') or 0:g}", str(r.get("key") or "-"),
          f"{r.get('duration') or 0:.1f}", f"{r.get('loudness_lufs') or 0:.1f}",
          f"{r.get('seam_score') or 0:.2f}"] for r in rows],
    )


@catalog_app.command()
def show(
    loop_id: Annotated[int, typer.Argument(help="The loop's id (see catalog list).")],
    catalog: opt.CatalogPath = None,
    fmt: Annotated[str, opt.report_format("table or json.")] = "table",
    as_json: JsonOpt = False,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """Everything the catalog knows about one loop."""
    from loopmill.storage.catalog import Catalog

    def get() -> dict[str, Any] | None:
        with Catalog(catalog) as cat:
            return cat.get(loop_id)

    fmt = "json" if as_json else fmt.lower()
    if fmt not in ("table", "json"):
        raise fail(f"--format {fmt} is unknown; use table or json")
    row = guarded(get)
    if row is None:
        raise fail(f"no loop with id {loop_id} in the catalog; see `loopmill catalog list`")
    if fmt == "json":
        print(json.dumps(row, indent=2, default=str))
        return
    for k, v in row.items():
        text = json.dumps(v, default=str) if isinstance(v, dict | list) else v
        out_console.print(Text.assemble((f"{k}:", "bold"), f" {text}"))


@catalog_app.command()
def export(
    fmt: Annotated[str, opt.report_format("csv or json.")] = "csv",
    out: Annotated[
        Path | None, opt.out("Write here (default: stdout).")
    ] = None,
    catalog: opt.CatalogPath = None, genre: GenreOpt = None, bpm_min: BpmMinOpt = None,
    bpm_max: BpmMaxOpt = None, key: KeyOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, run: RunOpt = None, limit: LimitOpt = None,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """Export loops as CSV or JSON. Example: loopmill catalog export --format csv --out loops.csv"""
    from loopmill.storage.catalog import export as write

    rows = guarded(lambda: _rows(catalog, genre=genre, bpm_min=bpm_min, bpm_max=bpm_max,
                                 key=key, since=since, until=until, run_id=run, limit=limit))
    buf = io.StringIO()
    guarded(lambda: write(rows, fmt=fmt, out=buf))
    if out is None:
        sys.stdout.write(buf.getvalue())
        return
    from loopmill._atomic import write_text_atomic

    guarded(lambda: write_text_atomic(out, buf.getvalue()))
    out_console.print(f"{len(rows)} loops -> {out}")


@catalog_app.command()
def check(
    catalog: opt.CatalogPath = None,
    files: Annotated[bool, typer.Option(help="Also look for every row's local files.")] = True,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """Is the catalog healthy? Damage, a foreign file, rows whose files are gone.

    Exit 0 when healthy, 1 when rows point at missing files, 2 when the catalog is
    damaged or not loopmill's. Example: loopmill catalog check
    """
    from loopmill.storage.catalog import default_catalog_path
    from loopmill.storage.catalog_check import check_catalog

    path = catalog or default_catalog_path()
    health = guarded(lambda: check_catalog(path, files=files))
    if health.state in ("damaged", "foreign"):
        raise fail(f"{path}: {health.state} ({health.detail}); make it again with "
                   "`loopmill catalog rebuild --from DEST`", 2)
    out_console.print(f"{path}: {health.state}, {health.rows} loops, {len(health.missing)} "
                      f"with missing files, {len(health.spooled)} waiting in the spool")
    for loop_id, uri in health.missing:
        out_console.print(f"missing: {loop_id} {uri}")
    if health.missing:
        raise typer.Exit(1)


@catalog_app.command()
def rebuild(
    source: Annotated[
        Path, typer.Option("--from", help="The folder the loops were written to (--dest).")
    ],
    catalog: opt.CatalogPath = None,
    log_level: opt.LogLevel = settings.LOG_LEVEL,
) -> None:
    """Make the catalog again from the loop files and sidecars in a folder.

    The old catalog is kept beside the new one. Example: loopmill catalog rebuild --from loops
    """
    from loopmill.storage.catalog_rebuild import rebuild_catalog

    rep = guarded(lambda: rebuild_catalog(source, catalog=catalog))
    out_console.print(f"{rep.rows} loops from {source} -> {rep.catalog}")
    if rep.kept_old is not None:
        out_console.print(f"the old catalog is kept as {rep.kept_old}")
    for msg in rep.skipped:
        say("skipped", msg, style="yellow")
