"""``auto`` end to end with real workers, a real catalog and real files."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loopmill.errors import BadInputError
from loopmill.pipeline.auto import AutoOptions, run_auto

SHORT = {"min_duration": 8.0, "max_duration": 12.0}


def _opts(tmp_path: Path, **kw: object) -> AutoOptions:
    base: dict[str, object] = {
        "dest": str(tmp_path / "out"), "catalog": str(tmp_path / "cat.sqlite"), "seed": 11,
        **SHORT,
    }
    base.update(kw)
    return AutoOptions(**base)  # type: ignore[arg-type]


def _rows(catalog: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(catalog) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute("select * from loops order by id"))


def test_twenty_items_two_workers_end_to_end(tmp_path: Path) -> None:
    seen: list[int] = []
    report = run_auto(
        _opts(tmp_path, count=20, workers=2),
        runs_dir=tmp_path / "runs",
        on_progress=lambda p: seen.append(p.done),
    )
    assert report.ok and not report.interrupted, report.failures
    files = sorted((tmp_path / "out").glob("*.ogg"))
    assert len(files) == 20
    assert not list((tmp_path / "out").glob(".*"))  # nothing hidden or half-written left
    rows = _rows(tmp_path / "cat.sqlite")
    assert len(rows) == 20
    assert len({r["prompt"] for r in rows}) == 20  # no duplicate prompts
    seeds = sorted(int(r["seed"]) for r in rows)
    assert seeds == [11 + i for i in range(20)]  # the seed actually used, recorded
    for r in rows:
        assert 8.0 <= float(r["duration"]) <= 12.0
        assert abs(float(r["loudness_lufs"]) + 14.0) < 1.0
        assert r["detected_bpm"] is not None
        assert json.loads(r["uris"])[0].endswith(".ogg")
    assert seen == sorted(seen) and seen[-1] == 20
    done = (report.run_dir / "done.jsonl").read_text().splitlines()
    assert len(done) == 20


def test_a_failing_item_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    prompts = tmp_path / "p.jsonl"
    lines = [
        {"text": "calm lofi", "genre": "lofi", "bpm": 80},
        # bars of 2.4 s: 3 bars last 7.2 s, 4 bars 9.6 s; none fits in 8-9 s
        {"text": "impossible", "genre": "ambient", "bpm": 100, "min_duration": 8,
         "max_duration": 9},
        {"text": "house groove", "genre": "house", "bpm": 124},
    ]
    prompts.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    report = run_auto(
        _opts(tmp_path, count=3, prompt_provider="file", prompt_file=str(prompts)),
        runs_dir=tmp_path / "runs",
    )
    assert len(report.made) == 2
    assert len(report.failures) == 1 and "impossible" in str(report.failures[0])
    assert "whole number of bars" in str(report.failures[0])
    assert not report.ok
    failed = (report.run_dir / "failed.jsonl").read_text().splitlines()
    assert len(failed) == 1


def test_bad_options_refused_before_any_work(tmp_path: Path) -> None:
    for kw, msg in (
        ({"count": 0}, "count 0"),
        ({"workers": 0}, "workers 0"),
        ({"formats": ("aiff",)}, "unknown format 'aiff'"),
        ({"min_duration": 30.0, "max_duration": 10.0}, "min.duration"),
        ({"backend": "spark"}, "unknown backend 'spark'"),
    ):
        with pytest.raises(BadInputError, match=msg):
            run_auto(_opts(tmp_path, **kw), runs_dir=tmp_path / "runs")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    with pytest.raises(BadInputError, match="not a loopmill run folder"):
        run_auto(_opts(tmp_path), resume=tmp_path)


def _cli(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    exe = str(Path(sys.executable).with_name("loopmill"))
    env = {**os.environ, "LOOPMILL_RUNS": str(tmp_path / "runs")}
    return subprocess.Popen(
        [exe, "auto", "--dest", str(tmp_path / "out"), "--catalog", str(tmp_path / "cat.sqlite"),
         "--seed", "3", "--min-duration", "8", "--max-duration", "12", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,
    )


def _wait_for_done(tmp_path: Path, n: int, proc: subprocess.Popen[str]) -> Path:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for done in (tmp_path / "runs").glob("*/done.jsonl"):
            if len(done.read_text().splitlines()) >= n:
                return done.parent
        if proc.poll() is not None:
            raise AssertionError(proc.communicate())
        time.sleep(0.1)
    raise AssertionError("no progress")


def test_resume_after_a_kill_makes_the_rest_without_duplicates(tmp_path: Path) -> None:
    proc = _cli(tmp_path, "--count", "6", "--workers", "1")
    run_dir = _wait_for_done(tmp_path, 2, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # no chance to clean up
    proc.wait()
    before = len((run_dir / "done.jsonl").read_text().splitlines())
    assert before < 6
    report = run_auto(AutoOptions(), resume=run_dir)  # its own options come from run.json
    assert report.ok
    assert report.resumed >= before
    names = [p.name for p in (tmp_path / "out").glob("*.ogg")]
    assert len(names) == 6 == len(set(names))
    rows = _rows(tmp_path / "cat.sqlite")
    assert len({r["name"] for r in rows}) == 6
    assert len({r["prompt"] for r in rows}) == 6
    assert not list((tmp_path / "out").glob(".*"))


def test_ctrl_c_finishes_the_item_in_hand_and_exits_cleanly(tmp_path: Path) -> None:
    proc = _cli(tmp_path, "--workers", "1")  # no --count: until Ctrl-C
    run_dir = _wait_for_done(tmp_path, 1, proc)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert f"loopmill auto --resume {run_dir}" in err.replace("\n", "")
    made = len((run_dir / "done.jsonl").read_text().splitlines())
    assert len(list((tmp_path / "out").glob("*.ogg"))) == made
    assert not list((tmp_path / "out").glob(".*"))
    assert f"made {made} loops" in out


def test_dask_backend_on_a_local_cluster(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    # workers that declare a GPU each, and items that each hold one
    report = run_auto(_opts(tmp_path, count=4, workers=2, backend="dask",
                            resources={"GPU": 1.0}),
                      runs_dir=tmp_path / "runs")
    assert report.ok, report.failures
    assert len(list((tmp_path / "out").glob("*.ogg"))) == 4
    assert len(_rows(tmp_path / "cat.sqlite")) == 4


def test_unreachable_dask_scheduler(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from loopmill.errors import StorageError

    with pytest.raises(StorageError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        run_auto(_opts(tmp_path, count=1, backend="dask", scheduler="tcp://127.0.0.1:9",
                       connect_timeout=1.0),
                 runs_dir=tmp_path / "runs")


def test_llm_prompts_to_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.prompts.fake_llm import FakeLLM
    from tests.storage.s3server import read_object, s3_server

    with FakeLLM() as llm, s3_server(monkeypatch) as (url, _):
        report = run_auto(
            _opts(tmp_path, count=3, workers=2, prompt_provider="openai",
                  llm_base_url=llm.base_url, llm_model="tiny", dest="s3://loops/auto",
                  s3_endpoint_url=url, keep_metadata=True),
            runs_dir=tmp_path / "runs",
        )
        assert report.ok, (report.failures, report.provider_error)
        rows = _rows(tmp_path / "cat.sqlite")
        assert sorted(r["genre"] for r in rows) == ["lofi", "orchestral", "synthwave"]
        for r in rows:
            ogg, meta = json.loads(r["uris"])
            assert ogg.startswith("s3://loops/auto/") and meta.endswith(".json")
            sidecar = json.loads(read_object(url, "loops", meta.removeprefix("s3://loops/")))
            assert sidecar["seed"] == r["seed"] and sidecar["spec"]["text"] == r["prompt"]
            assert read_object(url, "loops", ogg.removeprefix("s3://loops/"))[:4] == b"OggS"
        assert llm.requests and llm.requests[0]["body"]["model"] == "tiny"


def test_an_llm_answering_nonsense_is_reported(tmp_path: Path) -> None:
    from tests.prompts.fake_llm import FakeLLM

    with FakeLLM() as llm:
        llm.mode = "malformed"
        report = run_auto(
            _opts(tmp_path, count=2, prompt_provider="openai", llm_base_url=llm.base_url),
            runs_dir=tmp_path / "runs",
        )
    assert not report.ok and not report.made
    assert report.provider_error is not None
    assert "not the expected JSON" in str(report.provider_error)
