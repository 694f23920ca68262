"""The run journal alone: run.json and the three JSONL files, reopened and resumed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from loopmill.errors import BadInputError
from loopmill.pipeline.auto import AutoOptions, run_auto
from loopmill.pipeline.auto_journal import (
    DONE_FILE,
    FAILED_FILE,
    PLAN_FILE,
    RUN_FILE,
    RunJournal,
    append_jsonl,
    same_dest,
)


class FakeCatalog:
    """The two calls the journal makes of a catalog, in memory."""

    def __init__(self, rows: list[dict[str, Any]] | None = None) -> None:
        self.rows = list(rows or [])

    def query(self, *, run_id: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.rows if run_id is None or r.get("run_id") == run_id]

    def add(self, record: dict[str, Any]) -> int:
        self.rows.append(dict(record))
        return len(self.rows)


def _spec(text: str, seed: int) -> dict[str, Any]:
    return {"text": text, "seed": seed}


def _journal(tmp_path: Path, **options: Any) -> RunJournal:
    return RunJournal.start(tmp_path / "runs", options={"dest": "out", **options}, seed=100)


def test_start_writes_run_json_and_open_reads_it_back(tmp_path: Path) -> None:
    j = _journal(tmp_path, count=3)
    meta = json.loads((j.run_dir / RUN_FILE).read_text())
    assert meta["run_id"] == j.run_id and meta["seed"] == 100
    assert meta["options"] == {"dest": "out", "count": 3}
    again = RunJournal.open(j.run_dir)
    assert (again.run_id, again.seed, again.options) == (j.run_id, 100, {"dest": "out", "count": 3})
    assert j.run_dir.parent == tmp_path / "runs" and j.run_dir.name == j.run_id
    drawn = RunJournal.start(tmp_path / "runs", options={})
    assert 0 <= drawn.seed < 2**31 and (drawn.run_dir / RUN_FILE).is_file()


def test_plan_done_failed_then_reopen_gives_the_pending_items(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    for i, text in enumerate(["calm lofi", "house", "ambient", "chiptune"]):
        j.plan(i, _spec(text, 100 + i))
    j.done(0, {"name": "loop_a_00000_100", "prompt": "calm lofi"})
    j.done(2, {"name": "loop_a_00002_102", "prompt": "ambient"})
    j.failed(3, "no loop found", 3)
    state = RunJournal.open(j.run_dir).resume_state()
    assert state.done == {0, 2}
    assert state.pending == [(1, _spec("house", 101)), (3, _spec("chiptune", 103))]  # failed again
    assert state.next_index == 4
    assert state.used_texts == {"calm lofi", "house", "ambient", "chiptune"}
    assert RunJournal.open(j.run_dir).failures() == {
        3: {"index": 3, "error": "no loop found", "attempts": 3}}
    first = json.loads((j.run_dir / DONE_FILE).read_text().splitlines()[0])
    assert next(iter(first)) == "index" and first["index"] == 0


def test_the_index_comes_from_the_record_never_from_the_name(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    for i in range(3):
        j.plan(i, _spec(f"p{i}", i))
    # a prefix with underscores and digits: splitting the name would read 7, not 1
    j.done(1, {"name": "loop_7_x_00007_5", "index": 99})
    assert j.resume_state().done == {1}
    assert [i for i, _ in j.resume_state().pending] == [0, 2]


def test_torn_and_foreign_lines_are_skipped(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    j.plan(0, _spec("a", 0))
    j.plan(1, _spec("b", 1))
    with (j.run_dir / PLAN_FILE).open("a") as fh:
        fh.write('{"index": 2, "spec": {"text": "c"')  # killed mid-write
    with (j.run_dir / DONE_FILE).open("a") as fh:
        fh.write('[1, 2]\n{"name": "no index"}\n{"index": "1"}\n{"index": true}\n')
    state = j.resume_state()
    assert state.done == frozenset()
    assert [i for i, _ in state.pending] == [0, 1] and state.next_index == 2


def test_an_old_journal_still_resumes(tmp_path: Path) -> None:
    """Lines as earlier versions wrote them (index first, catalog id in done.jsonl)."""
    run_dir = tmp_path / "old"
    run_dir.mkdir()
    (run_dir / RUN_FILE).write_text(json.dumps(
        {"run_id": "20240101-000000-abcd", "seed": 5, "created": "2024-01-01T00:00:00",
         "options": {"dest": "loops", "count": 3, "some_old_option": 1}}))
    for i, text in enumerate(["a", "b", "c"]):
        append_jsonl(run_dir / PLAN_FILE, {"index": i, "spec": _spec(text, 5 + i)})
    append_jsonl(run_dir / DONE_FILE, {"index": 0, "name": "loop_20240101-000000-abcd_00000_5",
                                       "prompt": "a", "catalog_id": 1})
    append_jsonl(run_dir / FAILED_FILE, {"index": 2, "error": "x", "attempts": 3})
    j = RunJournal.open(run_dir)
    # the old order: item 1's catalog row was added, then a kill came before its done line
    cat = FakeCatalog([
        {"run_id": j.run_id, "name": "loop_20240101-000000-abcd_00000_5", "prompt": "a"},
        {"run_id": j.run_id, "name": "loop_20240101-000000-abcd_00001_6", "prompt": "b"},
        {"run_id": "another", "name": "x", "prompt": "c"},
    ])
    state = j.resume_state(cat)
    assert state.done == {0, 1} and [i for i, _ in state.pending] == [2]
    assert state.repaired == 0 and len(cat.rows) == 3
    opts = AutoOptions.from_dict(j.options)  # an unknown old option is ignored
    assert opts.dest == "loops" and opts.count == 3


def test_a_made_item_the_catalog_missed_is_added_once(tmp_path: Path) -> None:
    """A kill between done.jsonl and the catalog row: the journal is the truth."""
    j = _journal(tmp_path)
    j.plan(0, _spec("a", 100))
    j.plan(1, _spec("b", 101))
    rec0 = {"run_id": j.run_id, "name": "loop_r_00000_100", "prompt": "a", "uris": ["u0"]}
    rec1 = {"run_id": j.run_id, "name": "loop_r_00001_101", "prompt": "b", "uris": ["u1"]}
    j.done(0, rec0)
    j.done(1, rec1)
    cat = FakeCatalog([rec0])
    state = j.resume_state(cat)
    assert state.repaired == 1 and state.done == {0, 1} and not state.pending
    assert cat.rows[1] == rec1  # the journal's record, without its index
    assert j.resume_state(cat).repaired == 0 and len(cat.rows) == 2


def test_open_refuses_a_folder_without_a_run(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="not a loopmill run folder") as err:
        RunJournal.open(tmp_path)
    assert err.value.fields == ("resume",) and str(err.value).startswith(f"resume {tmp_path} ")
    (tmp_path / RUN_FILE).write_text('{"run_id": "x", "seed": 1, "options": [1]}')
    with pytest.raises(BadInputError, match="its options are not an object"):
        RunJournal.open(tmp_path)


def test_check_dest_takes_the_runs_own_and_refuses_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    j = _journal(tmp_path)  # dest "out", relative
    assert j.check_dest(None) == "out"
    assert j.check_dest("out") == "out"
    assert j.check_dest(str(tmp_path / "out")) == "out"  # the same folder, written otherwise
    assert j.check_dest("./out/") == "out"
    with pytest.raises(BadInputError) as err:
        j.check_dest("elsewhere")
    msg = str(err.value)
    assert msg == (f"dest 'elsewhere' is not the destination of run {j.run_id}, which uses "
                   "'out'; resume it without dest or with that one")
    assert err.value.fields == ("dest",) and "\n" not in msg
    s3 = RunJournal.start(tmp_path / "runs", options={"dest": "s3://b/loops"}, seed=1)
    assert s3.check_dest("s3://b/loops/") == "s3://b/loops"
    with pytest.raises(BadInputError, match="which uses 's3://b/loops'"):
        s3.check_dest("s3://b/other")


def test_same_dest() -> None:
    assert same_dest("memory://x/", "memory://x")
    assert not same_dest("memory://x", "x")
    assert not same_dest("/a/b", "/a/c")


def _finished_run(tmp_path: Path) -> RunJournal:
    """A run of one item, made and journalled (no catalog row yet)."""
    opts = AutoOptions(count=1, dest=str(tmp_path / "out"), catalog=str(tmp_path / "c.db"),
                       seed=7)
    j = RunJournal.start(tmp_path / "runs", options=opts.to_dict(), seed=7)
    j.plan(0, _spec("calm lofi", 7))
    j.done(0, {"run_id": j.run_id, "name": f"loop_{j.run_id}_00000_7", "prompt": "calm lofi",
               "uris": [str(tmp_path / "out" / "x.ogg")], "duration": 8.0})
    return j


def test_resume_with_another_dest_is_refused_before_any_work(tmp_path: Path) -> None:
    j = _finished_run(tmp_path)
    other = tmp_path / "other"
    with pytest.raises(BadInputError, match=r"which uses '.*/out'") as err:
        run_auto(AutoOptions(dest=str(other)), resume=j.run_dir)
    assert err.value.fields == ("dest",)
    assert not other.exists() and not (tmp_path / "c.db").exists()


def test_resume_with_no_dest_or_the_same_one_uses_the_runs(tmp_path: Path) -> None:
    j = _finished_run(tmp_path)
    for given in (None, str(tmp_path / "out")):
        report = run_auto(AutoOptions(dest=given), resume=j.run_dir)
        assert report.ok and report.dest == str(tmp_path / "out")
        assert report.resumed == 1 and not report.made and report.run_id == j.run_id
    from loopmill.storage.catalog import Catalog

    with Catalog(tmp_path / "c.db") as cat:  # the row the catalog missed, added once
        assert [r["name"] for r in cat.query(run_id=j.run_id)] == [f"loop_{j.run_id}_00000_7"]


def test_a_new_run_without_dest_writes_to_the_default(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from loopmill.pipeline import auto

    monkeypatch.chdir(tmp_path)
    seen: list[str] = []

    def fake_start(runs_dir: Path, *, options: dict[str, Any], seed: int | None = None
                   ) -> RunJournal:
        seen.append(options["dest"])
        raise BadInputError("stop here")

    monkeypatch.setattr(auto.RunJournal, "start", staticmethod(fake_start))
    with pytest.raises(BadInputError, match="stop here"):
        run_auto(AutoOptions(catalog=str(tmp_path / "c.db")), runs_dir=tmp_path / "runs")
    assert seen == [auto.DEFAULT_DEST] == ["loops"]


def test_the_cli_names_the_flag_and_the_runs_destination(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from loopmill.cli.main import app

    j = _finished_run(tmp_path)
    res = CliRunner().invoke(app, ["auto", "--resume", str(j.run_dir), "--dest",
                                   str(tmp_path / "other")])
    assert res.exit_code == 2
    line = f"--dest '{tmp_path / 'other'}' is not the destination of run {j.run_id}"
    assert line in res.output and "resume it without --dest" in res.output
    assert f"which uses '{tmp_path / 'out'}'" in res.output
    assert "Traceback" not in res.output
