"""The SQLite catalog and `loopmill catalog`: filters, exports, WAL, errors."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from loopmill.cli._flags import cli_message
from loopmill.cli.catalog_cmd import catalog_app
from loopmill.errors import BadInputError, StorageError
from loopmill.storage.catalog import Catalog, default_catalog_path, export

RECORDS = [
    {"prompt": "calm lofi", "genre": "lofi", "bpm": 80.0, "key": "F major", "seed": 1,
     "duration": 12.0, "uris": ["/x/a.ogg"], "created": "2026-11-20T10:00:00+00:00"},
    {"prompt": "dark synthwave", "genre": "synthwave", "bpm": 100.0, "key": "D minor",
     "seed": 2, "duration": 9.6, "uris": ["/x/b.ogg"], "created": "2026-11-21T10:00:00+00:00"},
    {"prompt": "fast synthwave", "genre": "synthwave", "bpm": 128.0, "key": "D minor",
     "seed": 3, "duration": 15.0, "uris": ["/x/c.ogg"], "created": "2026-11-22T10:00:00+00:00",
     "spec": {"text": "fast synthwave"}, "custom": "kept"},
]


@pytest.fixture
def cat(tmp_path: Path) -> Catalog:
    c = Catalog(tmp_path / "c.sqlite")
    for r in RECORDS:
        c.add(r)
    return c


def test_wal_and_round_trip(cat: Catalog) -> None:
    mode = sqlite3.connect(cat.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    row = cat.get(3)
    assert row is not None
    assert row["spec"] == {"text": "fast synthwave"} and row["uris"] == ["/x/c.ogg"]
    assert row["extra"] == {"custom": "kept"}
    assert cat.get(99) is None and cat.count() == 3


@pytest.mark.parametrize(
    ("filters", "seeds"),
    [
        ({"genre": "SynthWave"}, [2, 3]),
        ({"bpm_min": 90, "bpm_max": 110}, [2]),
        ({"key": "d minor"}, [2, 3]),
        ({"since": "2026-11-21"}, [2, 3]),
        ({"until": "2026-11-21"}, [1, 2]),
        ({"since": "2026-11-21", "until": "2026-11-21", "genre": "synthwave"}, [2]),
        ({"limit": 1}, [1]),
    ],
)
def test_filters(cat: Catalog, filters: dict[str, object], seeds: list[int]) -> None:
    assert [r["seed"] for r in cat.query(**filters)] == seeds  # type: ignore[arg-type]


def test_bad_date_and_rating(cat: Catalog) -> None:
    with pytest.raises(BadInputError, match="since 'yesterday' is not a date") as info:
        cat.query(since="yesterday")
    assert cli_message(info.value).startswith("--since 'yesterday' is not a date")
    with pytest.raises(BadInputError, match=r"^until 'soon' is not a date") as info:
        cat.query(until="soon")
    assert cli_message(info.value).startswith("--until 'soon' is not a date")
    cat.rate(1, 4.5)
    assert cat.get(1)["rating"] == 4.5  # type: ignore[index]
    with pytest.raises(BadInputError, match="no loop with id 42"):
        cat.rate(42, 1.0)


def test_exports_round_trip(cat: Catalog) -> None:
    rows = cat.query()
    buf = io.StringIO()
    assert export(rows, fmt="json", out=buf) == 3
    assert json.loads(buf.getvalue()) == json.loads(json.dumps(rows, default=str))
    buf = io.StringIO()
    export(rows, fmt="csv", out=buf)
    back = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [float(r["bpm"]) for r in back] == [80.0, 100.0, 128.0]
    assert json.loads(back[2]["uris"]) == ["/x/c.ogg"]
    with pytest.raises(BadInputError, match="unknown export format 'xml'"):
        export(rows, fmt="xml", out=buf)


def test_concurrent_adds_all_land(tmp_path: Path) -> None:
    c = Catalog(tmp_path / "c.sqlite")

    def add(k: int) -> None:
        for i in range(25):
            c.add({"prompt": f"{k}-{i}", "bpm": 100.0})

    threads = [threading.Thread(target=add, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.count() == 100


def test_env_override_and_corrupt_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOOPMILL_CATALOG", str(tmp_path / "env.sqlite"))
    assert default_catalog_path() == tmp_path / "env.sqlite"
    with Catalog() as c:
        assert c.path == tmp_path / "env.sqlite"
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    msg = r"junk\.sqlite is not a loopmill catalog.*pass another catalog file"
    with pytest.raises(StorageError, match=msg):
        Catalog(junk)


def test_cli_list_show_export(cat: Catalog, tmp_path: Path) -> None:
    app = typer.Typer()
    app.add_typer(catalog_app, name="catalog")
    run = CliRunner().invoke
    db = str(cat.path)
    res = run(app, ["catalog", "list", "--catalog", db, "--genre", "synthwave", "--json"])
    assert res.exit_code == 0
    assert [r["seed"] for r in json.loads(res.stdout)] == [2, 3]
    res = run(app, ["catalog", "list", "--catalog", db, "--bpm-min", "120"])
    assert res.exit_code == 0 and "c.ogg" in res.stdout and "a.ogg" not in res.stdout
    res = run(app, ["catalog", "show", "2", "--catalog", db, "--json"])
    assert json.loads(res.stdout)["prompt"] == "dark synthwave"
    res = run(app, ["catalog", "show", "77", "--catalog", db])
    assert res.exit_code == 2 and "no loop with id 77" in res.output
    out = tmp_path / "all.csv"
    res = run(app, ["catalog", "export", "--catalog", db, "--out", str(out), "--key", "D minor"])
    assert res.exit_code == 0
    assert len(list(csv.DictReader(out.open()))) == 2
    assert not list(tmp_path.glob(".*"))
    res = run(app, ["catalog", "list", "--catalog", db, "--since", "nope"])
    assert res.exit_code == 2 and "not a date" in res.output


def test_generate_and_suite_record_every_loop(tmp_path: Path) -> None:
    from loopmill.pipeline.generate import generate_files
    from loopmill.pipeline.request import GenerateRequest as Req
    from loopmill.pipeline.suite import make_suite

    db = tmp_path / "made.sqlite"
    report = generate_files(Req(prompt="calm lofi", count=2, seed=5, dest=tmp_path / "out",
                                catalog=db, min_duration=8, max_duration=12))
    make_suite(Req(seed=1, dest=tmp_path, formats=("ogg",), catalog=db, min_duration=8,
                   max_duration=12), use_case="puzzle", phases=["calm", "combat"])
    with Catalog(db) as cat:
        rows = cat.query()
    assert [r["seed"] for r in rows[:2]] == [5, 6]
    assert [Path(r["uris"][0]).name for r in rows[:2]] == [p.name for p, _ in report.written]
    assert all(Path(r["uris"][0]).is_file() for r in rows)
    assert [r["name"] for r in rows[2:]] == ["puzzle/calm", "puzzle/combat"]
    assert rows[2]["extra"]["suite"] == "puzzle" and rows[2]["engine"] == "composer"
    generate_files(Req(prompt="calm lofi", count=1, seed=9, dest=tmp_path / "out",
                       catalog=False, min_duration=8, max_duration=12))
    with Catalog(db) as cat:
        assert cat.count() == 4


def test_ratings_table_stars_like_pair(cat: Catalog) -> None:
    a, b = (r["id"] for r in cat.query(genre="synthwave"))
    cat.add_rating(a, 4, listener="ann")
    cat.add_rating(a, 2, listener="ann")
    cat.add_rating(a, 5, listener="bob")
    cat.add_rating(b, -1, listener="ann", kind="like")
    cat.add_rating(b, 1, listener="ann", kind="pair", other_id=a)
    rows = cat.ratings(listener="ann")
    assert [(r["loop_id"], r["score"], r["kind"]) for r in rows] == [
        (a, 4.0, "stars"), (a, 2.0, "stars"), (b, -1.0, "like"), (b, 1.0, "pair")]
    assert rows[-1]["other_id"] == a
    assert len(cat.ratings(loop_id=a)) == 3
    # The loop's summary rating is the last rater's mean stars for it.
    assert cat.get(a)["rating"] == 5.0
    cat.add_rating(a, 3, listener="ann")
    assert cat.get(a)["rating"] == 3.0  # (4 + 2 + 3) / 3


@pytest.mark.parametrize(("args", "message"), [
    ((6,), "a stars score 6 is out of range; use 1 to 5"),
    ((0.5,), "a stars score 0.5 is out of range"),
    ((1, "like"), None),
    ((2, "like"), "a like score 2 is out of range; use -1 to 1"),
    ((3, "thumbs"), "rating kind 'thumbs' is unknown; use stars, like, pair"),
    ((1, "pair"), "other_id is needed with kind 'pair'"),
])
def test_rating_errors_name_the_value(cat: Catalog, args: tuple, message: str | None) -> None:
    loop_id = cat.query()[0]["id"]
    kind = args[1] if len(args) > 1 else "stars"
    if message is None:
        cat.add_rating(loop_id, args[0], kind=kind)
        return
    with pytest.raises(BadInputError, match=message.replace("(", r"\(")):
        cat.add_rating(loop_id, args[0], kind=kind)
    assert cat.ratings() == []


def test_rating_an_unknown_loop_is_refused(cat: Catalog) -> None:
    with pytest.raises(BadInputError, match="no loop with id 999"):
        cat.add_rating(999, 3)
    with pytest.raises(BadInputError, match="listener is empty"):
        cat.add_rating(1, 3, listener=" ")


def test_a_catalog_being_created_is_not_refused_by_a_second_opener(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # three `generate` processes racing on a new catalog: one saw the loops table without
    # the schema version (each CREATE was its own commit) and refused the file as foreign
    from loopmill.storage import catalog as catalog_mod

    path = tmp_path / "cat.sqlite"
    halfway, go_on = threading.Event(), threading.Event()
    real_connect = sqlite3.connect

    def connect(*args: object, **kw: object) -> sqlite3.Connection:
        db = real_connect(*args, **kw)  # type: ignore[arg-type]
        if threading.current_thread().name == "creator":
            def trace(sql: str) -> None:
                if sql.startswith("CREATE INDEX") and not halfway.is_set():
                    halfway.set()  # the loops table exists now: let the second one look
                    go_on.wait(10)
            db.set_trace_callback(trace)
        return db

    monkeypatch.setattr(catalog_mod.sqlite3, "connect", connect)
    creator = threading.Thread(target=lambda: catalog_mod.Catalog(path).close(), name="creator")
    creator.start()
    assert halfway.wait(10)
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with catalog_mod.Catalog(path) as cat:
                cat.add({"path": "x.ogg"})
        except BaseException as exc:  # the test reports it
            errors.append(exc)

    opener = threading.Thread(target=second)
    opener.start()
    opener.join(0.5)  # it waits for the creator's transaction (busy timeout), or fails
    go_on.set()
    creator.join(10)
    opener.join(20)
    assert not errors, errors
    with catalog_mod.Catalog(path) as cat:
        assert cat.count() == 1
