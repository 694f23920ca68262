"""``generate --dest s3://…`` and ``suite --dest s3://…`` against a loopback S3 server,
and a local ``generate`` that writes each file once."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from loopmill.audio import read_loop_points
from loopmill.cli.main import app
from tests.storage.s3server import read_object, s3_server

runner = CliRunner()


def _keys(url: str, bucket: str, prefix: str) -> list[str]:
    import boto3

    listed = boto3.client("s3", endpoint_url=url).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def _rows(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM loops ORDER BY name")]


def _points_of(url: str, key: str, tmp_path: Path) -> tuple[int, int]:
    local = tmp_path / "down" / key.replace("/", "_")
    local.parent.mkdir(exist_ok=True)
    local.write_bytes(read_object(url, "loops", key))
    points = read_loop_points(local)
    assert points is not None, key
    return points.start, points.length


def test_generate_to_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "cat.sqlite"
    with s3_server(monkeypatch) as (url, _):
        res = runner.invoke(app, [
            "generate", "calm lofi, F major, 80 BPM", "--dest", "s3://loops/gen",
            "--s3-endpoint-url", url, "--count", "2", "--seed", "5", "--format", "ogg,wav",
            "--keep-metadata", "--midi", "--max-duration", "10", "--catalog", str(db),
            "--file-prefix", "lofi"])
        assert res.exit_code == 0, res.output
        keys = _keys(url, "loops", "gen/")
        stems = sorted({k.rsplit(".", 1)[0] for k in keys})
        assert len(stems) == 2 and all(s.startswith("gen/lofi_") for s in stems)
        assert keys == sorted(f"{s}.{x}" for s in stems for x in ("ogg", "wav", "json", "mid"))
        for stem in stems:
            ogg = _points_of(url, f"{stem}.ogg", tmp_path)
            assert ogg[0] == 0 and ogg[1] > 0
            assert _points_of(url, f"{stem}.wav", tmp_path) == ogg
            meta = json.loads(read_object(url, "loops", f"{stem}.json"))
            assert meta["output"] == f"s3://loops/{stem}.ogg" and meta["tool"] == "loopmill"
            assert read_object(url, "loops", f"{stem}.mid")[:4] == b"MThd"
        rows = _rows(db)
        assert [json.loads(r["uris"]) for r in rows] == [
            [f"s3://loops/{s}.ogg", f"s3://loops/{s}.wav"] for s in stems]
        # the table names the files that landed
        assert all(s.rsplit("/", 1)[1] + ".ogg" in res.stdout for s in stems)
    assert not list(tmp_path.glob("gen*"))  # nothing written locally


def test_suite_to_s3_with_the_endpoint_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "cat.sqlite"
    with s3_server(monkeypatch) as (url, _):
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        res = runner.invoke(app, [
            "suite", "--use-case", "space shooter", "--phases", "calm,boss", "--seed", "2",
            "--max-duration", "10", "--format", "ogg", "--dest", "s3://loops/suites/",
            "--catalog", str(db)])
        assert res.exit_code == 0, res.output
        folder = "suites/space-shooter"
        assert _keys(url, "loops", folder + "/") == [
            f"{folder}/{n}" for n in ("boss.ogg", "calm.ogg", "manifest.json", "report.json",
                                      "report.md")]
        manifest = json.loads(read_object(url, "loops", f"{folder}/manifest.json"))
        length = manifest["suite"]["loop_length"]
        for phase in ("calm", "boss"):
            assert _points_of(url, f"{folder}/{phase}.ogg", tmp_path) == (0, length)
        report = json.loads(read_object(url, "loops", f"{folder}/report.json"))
        assert report["ok"] is True
        assert f"s3://loops/{folder}/manifest.json" in res.stdout
        rows = _rows(db)
        assert sorted(json.loads(r["uris"])[0] for r in rows) == [
            f"s3://loops/{folder}/boss.ogg", f"s3://loops/{folder}/calm.ogg"]


def test_a_local_generate_writes_each_file_once(
    tmp_path: Path, encoded: dict[str, int], scratch: Path
) -> None:
    """The encoder writes in the destination folder and the file it wrote is the one
    published (same inode: no staging copy); nothing is made in the temp folder and no
    hidden file stays."""
    dest = tmp_path / "out"
    res = runner.invoke(app, ["generate", "lofi", "--dest", str(dest), "--seed", "3",
                              "--format", "ogg,mp3", "--max-duration", "10", "--catalog",
                              str(tmp_path / "c.sqlite")])
    assert res.exit_code == 0, res.output
    files = sorted(dest.iterdir())
    assert [p.suffix for p in files] == [".mp3", ".ogg"]
    assert all(Path(p).parent == dest for p in encoded)
    assert sorted(p.stat().st_ino for p in files) == sorted(encoded.values())
    assert list(scratch.iterdir()) == []
