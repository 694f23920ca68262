"""S3 goes down (moto stopped) and comes back: spooled files, their rows, their delivery."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loopmill.cli.main import app
from loopmill.pipeline.auto import SPOOLED_EXIT
from loopmill.storage.catalog import Catalog
from loopmill.storage.sink import open_sink
from loopmill.storage.spool import spool_status
from tests.faults import runs
from tests.storage.s3server import read_object, s3_server


def test_spool_status_and_deliver_update_the_catalog(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cat_path = tmp_path / "cat.sqlite"
    with s3_server(monkeypatch) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        sink = open_sink("s3://loops/run1", s3_endpoint_url=url, retries=2, backoff=0.05)
        sink.check()
    # the server is gone: the file waits in the spool, its row points there
    local = tmp_path / "a.ogg"
    local.write_bytes(os.urandom(5000))
    uri = sink.put(local, "a.ogg")
    assert uri.startswith("spool://")
    with Catalog(cat_path) as cat:
        row = cat.add({"name": "a", "uris": [uri]})
    res = CliRunner().invoke(app, ["spool", "status"])
    assert res.exit_code == 0 and "s3://loops/run1: 1 files" in res.output
    res = CliRunner().invoke(app, ["spool", "deliver", "--catalog", str(cat_path)])
    assert res.exit_code == SPOOLED_EXIT and "0 files delivered" in res.output
    with s3_server(monkeypatch, port=port) as (url2, _):
        res = CliRunner().invoke(app, ["spool", "deliver", "--catalog", str(cat_path)])
        assert res.exit_code == 0, res.output
        assert "1 files delivered, 1 catalog rows updated, 0 still in the spool" in res.output
        assert read_object(url2, "loops", "run1/a.ogg") == local.read_bytes()
    with Catalog(cat_path) as cat:
        assert cat.get(row)["uris"] == ["s3://loops/run1/a.ogg"]  # type: ignore[index]
    assert spool_status() == []
    res = CliRunner().invoke(app, ["spool", "status"])
    assert "the spool is empty" in res.output


@pytest.mark.slow
def test_auto_through_an_s3_outage_exits_75_then_the_next_run_delivers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cat_path = tmp_path / "cat.sqlite"
    with s3_server(monkeypatch) as (url, server):
        port = int(url.rsplit(":", 1)[1])
        proc = runs.start(tmp_path, "auto", "--count", "4", "--workers", "1", "--seed", "3",
                          "--max-duration", "12", "--dest", "s3://loops/auto",
                          "--s3-endpoint-url", url, "--catalog", str(cat_path))
        runs.wait_for(lambda: runs.done_lines(tmp_path) >= 1, proc)
        server.stop()  # the outage: every later upload fails
        _, err = proc.communicate(timeout=300)
        server.start()  # so that the context manager's stop() has a server to stop
    assert proc.returncode == SPOOLED_EXIT, err
    assert "Traceback" not in err
    assert "still in the local spool" in err and "loopmill spool deliver" in err
    rows = runs.rows(cat_path)
    assert len(rows) == 4
    spooled = [r for r in rows if json.loads(r["uris"])[0].startswith("spool://")]
    assert 1 <= len(spooled) <= 3
    for r in spooled:
        assert Path(json.loads(r["uris"])[0].removeprefix("spool://")).exists()
    # back up: the next run to that destination delivers and relinks them first
    with s3_server(monkeypatch, port=port) as (url2, _):
        res = runs.run(tmp_path, "auto", "--count", "1", "--workers", "1", "--seed", "50",
                       "--max-duration", "12", "--dest", "s3://loops/auto",
                       "--s3-endpoint-url", url2, "--catalog", str(cat_path))
        assert res.returncode == 0, res.stderr
        assert f"delivered {len(spooled)} files from the local spool" in res.stdout
        for r in runs.rows(cat_path):
            target = json.loads(r["uris"])[0]
            assert target.startswith("s3://loops/auto/")
            assert read_object(url2, "loops", target.removeprefix("s3://loops/"))[:4] == b"OggS"
