"""publish(): build a file under a hidden name, show it only when it is complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopmill.errors import StorageError
from loopmill.storage.sidecar import publish


def test_publish_replaces_atomically(tmp_path: Path) -> None:
    out = tmp_path / "x.ogg"
    out.write_text("old")
    with publish(out, stage="encoding") as hidden:
        assert hidden.name == ".x.encoding.ogg" and hidden.parent == tmp_path
        hidden.write_text("new")
        assert out.read_text() == "old"  # nothing visible changes before the end
    assert out.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.ogg"]


def test_publish_leaves_nothing_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "x.wav"
    with pytest.raises(RuntimeError), publish(out, stage="tagging") as hidden:
        hidden.write_text("half")
        raise RuntimeError("encoder died")
    assert list(tmp_path.iterdir()) == []


def test_publish_turns_os_errors_into_one_line_storage_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = blocker / "x.ogg"  # a path under a regular file cannot be written
    with (
        pytest.raises(StorageError, match=r"cannot write .*x\.ogg"),
        publish(out, stage="encoding") as hidden,
    ):
        hidden.write_text("data")
