"""The one atomic write: a file appears whole or not at all, and nothing hidden stays."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest

import loopmill._atomic as atomic
from loopmill._atomic import atomic_path, write_bytes_atomic, write_json_atomic
from loopmill.errors import StorageError


def test_writes_in_a_new_folder_and_replaces(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "x.bin"
    assert write_bytes_atomic(out, b"one") == out
    write_bytes_atomic(out, b"two")
    assert out.read_bytes() == b"two"
    assert [p.name for p in out.parent.iterdir()] == ["x.bin"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask  # as readable as any file


def test_a_failure_mid_write_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "manifest.json"
    out.write_text("old")
    real_write = os.write
    calls: list[int] = []

    def half_then_disk_full(fd: int, data: bytes | memoryview) -> int:
        calls.append(len(data))
        if len(calls) == 1:  # the first half lands, then the disk is full
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "write", half_then_disk_full)
    with pytest.raises(StorageError) as exc:
        write_json_atomic(out, {"k": "v" * 1000}, fix="choose another dest", field="dest")
    assert str(exc.value) == (f"cannot write {out}: No space left on device; "
                              "choose another dest")
    assert exc.value.fields == ("dest",)
    assert len(calls) == 2
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_an_encoder_that_dies_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.ogg"
    with pytest.raises(RuntimeError, match="encoder died"), atomic_path(out) as hidden:
        assert hidden.parent == tmp_path and hidden.name.startswith(".x.")
        assert hidden.suffix == ".ogg" and hidden.exists()  # claimed with O_EXCL
        hidden.write_bytes(b"half an ogg")
        raise RuntimeError("encoder died")
    assert list(tmp_path.iterdir()) == []


def test_the_file_reaches_the_disk_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        events.append(f"replace {Path(dst).name}")
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    with atomic_path(tmp_path / "a.wav") as hidden:
        hidden.write_bytes(b"RIFF")
    write_bytes_atomic(tmp_path / "b.mid", b"MThd")
    assert events == ["fsync", "replace a.wav", "fsync", "replace b.mid"]


def test_two_writers_never_share_a_hidden_file(tmp_path: Path) -> None:
    out = tmp_path / "x.json"
    with atomic_path(out) as first, atomic_path(out) as second:
        assert first != second
        first.write_text("1")
        second.write_text("2")
    assert out.read_text() == "1"  # the outer one finished last
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_a_folder_in_the_way_is_one_line_naming_the_final_path(tmp_path: Path) -> None:
    (tmp_path / "x.json").mkdir()
    with pytest.raises(StorageError, match=r"^cannot write .*x\.json: .*; check that its "
                                           r"folder can be written$"):
        write_json_atomic(tmp_path / "x.json", {"a": 1})
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match=r"cannot write .*file/sub/y\.json"):
        write_json_atomic(blocker / "sub" / "y.json", {"a": 1})


def test_json_is_indented_and_keeps_unknown_values_as_text(tmp_path: Path) -> None:
    out = write_json_atomic(tmp_path / "m.json", {"path": tmp_path, "n": 1})
    text = out.read_text()
    assert text.endswith("}\n") and "\n  \"n\": 1" in text
    assert json.loads(text) == {"path": str(tmp_path), "n": 1}
    loop: dict[str, object] = {}
    loop["self"] = loop
    with pytest.raises(StorageError, match=r"cannot write .*bad\.json"):
        write_json_atomic(tmp_path / "bad.json", loop)
    assert not (tmp_path / "bad.json").exists()
