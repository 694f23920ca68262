"""The one writer: a loop's files at a local folder (written once) or an fsspec URL."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from loopmill.audio import read_loop_points
from loopmill.errors import StorageError
from loopmill.loops.types import Loop
from loopmill.storage.sink import join_dest, open_sink
from loopmill.storage.writer import publish_loop, write_folder

SR = 44100


def _loop(seconds: float = 1.0, seed: int = 3) -> Loop:
    rng = np.random.default_rng(seed)
    audio = (0.1 * rng.standard_normal((2, int(seconds * SR)))).astype(np.float32)
    return Loop(audio=audio, sr=SR, start=0, end=audio.shape[1], bars=1, beats_per_bar=4,
                bpm=240.0, source_bpm=240.0, key="C major", seam_score=0.9,
                loudness_lufs=-14.0, true_peak_db=-1.0, extra={"seed": seed})


@pytest.mark.parametrize("exclusive", [True, False])
def test_a_local_folder_is_written_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoded: dict[str, int], exclusive: bool
) -> None:
    """Each file is encoded in the destination folder and renamed or linked into view:
    the published file is the very inode the encoder wrote (a staging copy is not),
    and nothing is made in the temp folder."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    dest = tmp_path / "out"
    sink = open_sink(dest)
    sink.check()
    pub = publish_loop(sink, _loop(), stem="a", formats=["ogg", "wav"], tags={"TITLE": "x"},
                       exclusive=exclusive, sidecar={"tool": "loopmill"}, midi=b"MThd")
    assert pub.stem == "a"
    assert pub.uris == [str(dest / n) for n in ("a.ogg", "a.wav", "a.json", "a.mid")]
    assert sorted(p.name for p in dest.iterdir()) == ["a.json", "a.mid", "a.ogg", "a.wav"]
    assert len(encoded) == 2 and all(Path(p).parent == dest for p in encoded)
    inodes = sorted(encoded.values())
    assert sorted(os.stat(dest / n).st_ino for n in ("a.ogg", "a.wav")) == inodes
    assert list(scratch.iterdir()) == []
    assert read_loop_points(dest / "a.ogg") is not None
    assert json.loads((dest / "a.json").read_text()) == {"output": str(dest / "a.ogg"),
                                                         "tool": "loopmill"}


def test_exclusive_never_replaces_and_moves_the_whole_loop(tmp_path: Path) -> None:
    sink = open_sink(tmp_path)
    (tmp_path / "a.mp3").write_bytes(b"someone else's")
    pub = publish_loop(sink, _loop(), stem="a", formats=["ogg", "mp3"], tags={})
    assert pub.stem == "a_2" and [Path(u).name for u in pub.files] == ["a_2.ogg", "a_2.mp3"]
    assert (tmp_path / "a.mp3").read_bytes() == b"someone else's"
    assert not (tmp_path / "a.ogg").exists()  # given up whole with its twin
    again = publish_loop(sink, _loop(seed=4), stem="a", formats=["ogg"], tags={},
                         exclusive=False)
    assert again.stem == "a" and (tmp_path / "a.ogg").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_exclusive_claims_the_sidecar_and_attachments_with_the_audio(tmp_path: Path) -> None:
    """A stem whose sidecar name is taken (a file of someone else's, even with no audio
    beside it) is given up whole; the sidecar names the stem that was claimed."""
    sink = open_sink(tmp_path)
    (tmp_path / "a.json").write_text("mine")
    (tmp_path / "a_2.state.npy").write_bytes(b"mine too")
    pub = publish_loop(sink, _loop(), stem="a", formats=["ogg"], tags={},
                       sidecar=lambda stem: {"state": f"{stem}.state.npy"},
                       attachments={".state.npy": b"NUMPY"})
    assert pub.stem == "a_3"
    assert (tmp_path / "a.json").read_text() == "mine"
    assert (tmp_path / "a_2.state.npy").read_bytes() == b"mine too"
    assert not (tmp_path / "a.ogg").exists() and not (tmp_path / "a_2.ogg").exists()
    assert not (tmp_path / "a_2.json").exists()  # its placeholder went with the stem
    assert json.loads((tmp_path / "a_3.json").read_text())["state"] == "a_3.state.npy"
    assert (tmp_path / "a_3.state.npy").read_bytes() == b"NUMPY"


def test_a_failed_sidecar_leaves_no_empty_claim(tmp_path: Path) -> None:
    def broken(stem: str) -> dict[str, str]:
        raise RuntimeError("no sidecar")

    with pytest.raises(RuntimeError, match="no sidecar"):
        publish_loop(open_sink(tmp_path), _loop(), stem="b", formats=["wav"], tags={},
                     sidecar=broken, midi=b"MThd")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.wav"]


def test_a_remote_destination_claims_a_free_stem_and_uploads(tmp_path: Path) -> None:
    import fsspec

    mem = fsspec.filesystem("memory")
    dest = "memory://writer-test/run"
    sink = open_sink(dest, spool_dir=tmp_path / "spool")
    first = publish_loop(sink, _loop(), stem="x", formats=["wav"], tags={},
                         sidecar={"k": 1}, midi=b"MThd")
    second = publish_loop(sink, _loop(), stem="x", formats=["wav"], tags={})
    assert first.uris == [f"{dest}/x.wav", f"{dest}/x.json", f"{dest}/x.mid"]
    assert second.stem == "x_2" and second.files == [f"{dest}/x_2.wav"]
    assert json.loads(mem.cat_file("/writer-test/run/x.json")) == {
        "output": f"{dest}/x.wav", "k": 1}
    local = tmp_path / "x.wav"
    local.write_bytes(mem.cat_file("/writer-test/run/x.wav"))
    points = read_loop_points(local)
    assert points is not None and points.length == SR
    assert first.spooled == [] and not (tmp_path / "spool").exists()


def test_write_folder_uploads_only_after_the_block(tmp_path: Path) -> None:
    import fsspec

    mem = fsspec.filesystem("memory")
    sink = open_sink(join_dest("memory://writer-folder", "suite"), spool_dir=tmp_path / "s")
    with pytest.raises(RuntimeError, match="verification died"), write_folder(sink) as out:
        (out.path / "calm.ogg").write_bytes(b"x")
        raise RuntimeError("verification died")
    assert not mem.exists("/writer-folder/suite/calm.ogg")
    with write_folder(sink) as out:
        scratch = out.path
        (out.path / "calm.ogg").write_bytes(b"ogg")
        (out.path / ".hidden.part").write_bytes(b"never sent")
    assert out.uri("calm.ogg") == "memory://writer-folder/suite/calm.ogg"
    assert mem.cat_file("/writer-folder/suite/calm.ogg") == b"ogg"
    assert not mem.exists("/writer-folder/suite/.hidden.part")
    assert not scratch.exists()


def test_a_local_folder_that_cannot_be_written_names_the_dest_field(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    sink = open_sink(blocker / "sub")
    with pytest.raises(StorageError, match=r"cannot write .*sub/a\.json: .*choose another "
                                           r"dest") as exc:
        sink.write_bytes("a.json", b"{}")
    assert exc.value.fields == ("dest",)
    assert join_dest(tmp_path, "s") == str(tmp_path / "s")
    assert join_dest("s3://b/p/", "s") == "s3://b/p/s"


def test_an_auto_item_is_written_once_to_a_local_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoded: dict[str, int]
) -> None:
    """What ``auto``'s worker runs: before, it encoded in a temp folder and copied."""
    from loopmill.pipeline.auto_item import ItemJob, run_item
    from loopmill.pipeline.generate import make_spec

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    dest = tmp_path / "auto"
    spec = make_spec("calm lofi", seed=4, max_duration=10)
    from loopmill.pipeline.request import GenerateRequest

    request = GenerateRequest(formats=("ogg", "mp3"), dest=str(dest), keep_metadata=True,
                              catalog=False)
    record = run_item(ItemJob(index=3, spec=spec.to_dict(), run_id="20260101-000000-ab",
                              request=request, measure=False))
    stem = f"loop_20260101-000000-ab_00003_{record['seed']}"
    assert record["uris"] == [str(dest / f"{stem}{s}") for s in (".ogg", ".mp3", ".json")]
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        f"{stem}{s}" for s in (".ogg", ".mp3", ".json"))
    assert sorted(os.stat(dest / f"{stem}{s}").st_ino for s in (".ogg", ".mp3")) == sorted(
        encoded.values())
    assert list(scratch.iterdir()) == []
    assert json.loads((dest / f"{stem}.json").read_text())["run_id"] == "20260101-000000-ab"
