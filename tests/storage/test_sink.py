"""Sinks: local folders, memory://, and a real S3 server that goes down mid-run."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from loopmill.errors import StorageError
from loopmill.storage.sink import is_url, open_sink
from tests.storage.s3server import read_object, s3_server


def _file(tmp_path: Path, name: str, size: int = 50_000) -> Path:
    p = tmp_path / name
    p.write_bytes(os.urandom(size))
    return p


def test_local_folder(tmp_path: Path) -> None:
    src = _file(tmp_path, "a.ogg")
    sink = open_sink(tmp_path / "out" / "deep")
    sink.check()
    uri = sink.put(src, "a.ogg")
    assert Path(uri).read_bytes() == src.read_bytes()
    assert sink.exists("a.ogg") and not sink.exists("b.ogg")
    assert not list((tmp_path / "out" / "deep").glob(".*"))
    assert not is_url(tmp_path) and is_url("s3://b/x") and not is_url("file:///tmp")
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(StorageError, match="choose another dest") as exc:
        open_sink(blocked / "sub").check()
    assert exc.value.fields == ("dest",)


def test_memory_url(tmp_path: Path) -> None:
    import fsspec

    sink = open_sink("memory://loops/run1")
    sink.check()
    uri = sink.put(_file(tmp_path, "b.mp3"), "b.mp3")
    assert uri == "memory://loops/run1/b.mp3"
    assert fsspec.filesystem("memory").cat_file("/loops/run1/b.mp3") == (
        tmp_path / "b.mp3").read_bytes()


def test_s3_put_then_server_down_spools_then_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    with s3_server(monkeypatch) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        sink = open_sink("s3://loops/run1", s3_endpoint_url=url, spool_dir=spool,
                         retries=3, backoff=0.05)
        sink.check()
        first = _file(tmp_path, "one.ogg")
        assert sink.put(first, "one.ogg") == "s3://loops/run1/one.ogg"
        assert read_object(url, "loops", "run1/one.ogg") == first.read_bytes()
    # the server is gone: the next put retries, then keeps the file in the spool
    second = _file(tmp_path, "two.ogg")
    t = time.monotonic()
    uri = sink.put(second, "two.ogg")
    assert time.monotonic() - t < 20
    assert uri.startswith("spool://")
    assert sink.spooled == [(spool / "two.ogg", "s3://loops/run1/two.ogg")]
    assert (spool / "two.ogg").read_bytes() == second.read_bytes()
    with pytest.raises(StorageError, match=r"cannot write to s3://loops/run1: .*s3_endpoint_url"):
        sink.check()
    # back up (moto forgets everything on stop: the bucket is created again)
    with s3_server(monkeypatch, port=port) as (url2, _):
        assert sink.flush_spool() == 1
        assert read_object(url2, "loops", "run1/two.ogg") == second.read_bytes()
        assert not (spool / "two.ogg").exists() and sink.spooled == []
        # a spooled file is also delivered when the destination is opened again
        (spool / "three.ogg").write_bytes(b"late")
        open_sink("s3://loops/run1", s3_endpoint_url=url2, spool_dir=spool)
        assert read_object(url2, "loops", "run1/three.ogg") == b"late"
