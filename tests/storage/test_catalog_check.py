"""The catalog's mark, quick_check on open, catalog check and catalog rebuild."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from loopmill.errors import StorageError
from loopmill.storage.catalog import COLUMNS, Catalog
from loopmill.storage.catalog_check import (
    APPLICATION_ID,
    CatalogDamagedError,
    ForeignCatalogError,
    check_catalog,
    verify_catalog,
)
from loopmill.storage.catalog_rebuild import rebuild_catalog
from tests.faults.catalogs import damage, digest, foreign, healthy


def test_a_new_catalog_carries_loopmills_mark(tmp_path: Path) -> None:
    path = healthy(tmp_path / "c.sqlite", rows=3)
    assert int.from_bytes(path.read_bytes()[68:72], "big") == APPLICATION_ID
    assert verify_catalog(path) == "ok"
    assert verify_catalog(tmp_path / "none.sqlite") == "new"


def test_a_catalog_from_before_the_mark_is_adopted(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    cols = ", ".join(f'"{c}" {t}' for c, t in COLUMNS.items())
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE loops (id INTEGER PRIMARY KEY, {cols})")
        db.execute("INSERT INTO loops (prompt) VALUES ('old one')")
        db.execute("PRAGMA user_version=1")
    db.close()
    assert verify_catalog(path) == "legacy"
    with Catalog(path) as cat:
        assert cat.count() == 1
    assert verify_catalog(path) == "ok"


def test_a_damaged_catalog_is_one_line_with_the_way_out(tmp_path: Path) -> None:
    path = damage(healthy(tmp_path / "c.sqlite"))
    with pytest.raises(CatalogDamagedError) as err:
        Catalog(path)
    msg = str(err.value)
    assert "\n" not in msg and "is damaged" in msg
    assert "loopmill catalog check" in msg and "loopmill catalog rebuild --from" in msg
    health = check_catalog(path)
    assert health.state == "damaged" and not health.ok


def test_a_foreign_database_is_refused_untouched(tmp_path: Path) -> None:
    path = foreign(tmp_path / "laps.sqlite")
    before = digest(path)
    with pytest.raises(ForeignCatalogError, match=r"not a loopmill catalog .*left untouched"):
        Catalog(path)
    assert digest(path) == before  # no index, no user_version, no WAL added
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()
    assert check_catalog(path).state == "foreign"
    # a database marked by another program is refused from the header alone
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("PRAGMA application_id=1234")
        db.execute("CREATE TABLE t (x)")
    db.close()
    with pytest.raises(StorageError, match="application id 0x4d2"):
        Catalog(other)


def test_check_reports_missing_files_and_spooled_rows(tmp_path: Path) -> None:
    kept = tmp_path / "spool" / "b.ogg"
    kept.parent.mkdir()
    kept.write_bytes(b"waiting")
    real = tmp_path / "a.ogg"
    real.write_bytes(b"here")
    with Catalog(tmp_path / "c.sqlite") as cat:
        cat.add({"uris": [str(real)]})
        cat.add({"uris": [f"spool://{kept}"]})
        gone = cat.add({"uris": [str(tmp_path / "gone.ogg"), "s3://b/remote.ogg"]})
    health = check_catalog(tmp_path / "c.sqlite")
    assert health.state == "ok" and health.rows == 3
    assert health.missing == [(gone, str(tmp_path / "gone.ogg"))]
    assert [i for i, _ in health.spooled] == [2]


def _loop_files(dest: Path) -> None:
    from loopmill.audio import save
    from loopmill.audio.looptags import LoopPoints

    dest.mkdir()
    y = (0.1 * np.sin(np.linspace(0, 2000, 44100 * 2))).astype(np.float32)[None]
    save(dest / "loop_a_1.ogg", y, sr=44100, loop=LoopPoints(start=0, length=y.shape[1]),
         tags={"LOOPMILL_BPM": "120.000", "LOOPMILL_BARS": "1", "LOOPMILL_KEY": "A minor"})
    save(dest / "loop_b_2.wav", y, sr=44100, loop=LoopPoints(start=0, length=y.shape[1]))
    save(dest / "loop_b_2.flac", y, sr=44100, loop=LoopPoints(start=0, length=y.shape[1]))
    (dest / "loop_b_2.json").write_text(json.dumps({
        "tool": "loopmill", "prompt": "dark synthwave", "seed": 2, "bpm": 100.0,
        "spec": {"text": "dark synthwave", "genre": "synthwave"}, "params": {"top_k": 250}}))
    (dest / ".loop_c.1234.part.ogg").write_bytes(b"half")  # never a row


def test_rebuild_from_files_and_sidecars_keeps_the_old_file(tmp_path: Path) -> None:
    dest = tmp_path / "loops"
    _loop_files(dest)
    path = damage(healthy(tmp_path / "c.sqlite"))
    rep = rebuild_catalog(dest, catalog=path)
    assert rep.rows == 2 and not rep.skipped
    assert rep.kept_old is not None and rep.kept_old.exists()
    with Catalog(path) as cat:
        rows = {r["name"]: r for r in cat.query()}
    assert set(rows) == {"loop_a_1", "loop_b_2"}
    a, b = rows["loop_a_1"], rows["loop_b_2"]
    assert a["bpm"] == 120.0 and a["key"] == "A minor" and abs(a["duration"] - 2.0) < 0.01
    assert b["prompt"] == "dark synthwave" and b["seed"] == 2 and b["genre"] == "synthwave"
    assert b["params"] == {"top_k": 250}
    assert sorted(Path(u).suffix for u in b["uris"]) == [".flac", ".json", ".wav"]
    assert check_catalog(path).ok
    assert not list(tmp_path.glob(".c.sqlite.rebuild-*"))


def test_cli_check_and_rebuild(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from loopmill.cli.catalog_cmd import catalog_app

    app = typer.Typer()
    app.add_typer(catalog_app, name="catalog")
    run = CliRunner().invoke
    path = damage(healthy(tmp_path / "c.sqlite"))
    for args in (["list"], ["show", "1"], ["check"]):
        res = run(app, ["catalog", *args, "--catalog", str(path)])
        assert res.exit_code == 2, res.output
        assert "damaged" in res.output and "catalog rebuild" in res.output
        assert res.exception is None or isinstance(res.exception, SystemExit)
    dest = tmp_path / "loops"
    _loop_files(dest)
    res = run(app, ["catalog", "rebuild", "--from", str(dest), "--catalog", str(path)])
    assert res.exit_code == 0 and "2 loops" in res.output and "kept as" in res.output
    res = run(app, ["catalog", "check", "--catalog", str(path)])
    assert res.exit_code == 0 and "ok, 2 loops, 0 with missing files" in res.output
    (dest / "loop_a_1.ogg").unlink()
    res = run(app, ["catalog", "check", "--catalog", str(path)])
    assert res.exit_code == 1 and "loop_a_1.ogg" in res.output
