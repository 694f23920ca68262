"""Exclusive names under a race: N processes claiming one name get N files."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from loopmill.errors import StorageError
from loopmill.storage.claim import candidates, claim_names, staging_name


def _racer(dest: str, who: int, go: object) -> None:
    d = Path(dest)
    staged = [staging_name(d, "loop_5", s) for s in (".ogg", ".mp3")]
    for p in staged:
        p.write_bytes(f"{who}{p.suffix}".encode() * 1000)
    go.wait()  # type: ignore[attr-defined]  # all at once
    claim_names(staged, dest_dir=d, stems=candidates("loop_5"), suffixes=[".ogg", ".mp3"])


def test_racing_processes_never_overwrite(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    procs = [ctx.Process(target=_racer, args=(str(tmp_path), who, go)) for who in range(4)]
    for p in procs:
        p.start()
    go.set()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    oggs = sorted(tmp_path.glob("*.ogg"))
    assert len(oggs) == 4 and len(list(tmp_path.glob("*.mp3"))) == 4
    owners = set()
    for ogg in oggs:
        body = ogg.read_bytes()
        who = body[:1]
        owners.add(who)
        assert body == (who + b".ogg") * 1000
        # the mp3 of the same stem came from the same process
        assert ogg.with_suffix(".mp3").read_bytes()[:1] == who
    assert len(owners) == 4
    assert sorted(p.stem for p in oggs) == ["loop_5", *(f"loop_5_{n}" for n in range(2, 5))]
    assert not list(tmp_path.glob(".*"))  # every staged file went away


def test_a_taken_second_name_moves_the_whole_item(tmp_path: Path) -> None:
    (tmp_path / "a.mp3").write_bytes(b"someone else's")
    staged = [staging_name(tmp_path, "a", s) for s in (".ogg", ".mp3")]
    for p in staged:
        p.write_bytes(b"mine")
    stem, paths = claim_names(staged, dest_dir=tmp_path, stems=candidates("a"),
                              suffixes=[".ogg", ".mp3"])
    assert stem == "a_2" and [p.name for p in paths] == ["a_2.ogg", "a_2.mp3"]
    assert (tmp_path / "a.mp3").read_bytes() == b"someone else's"
    assert not (tmp_path / "a.ogg").exists()


def test_no_free_name_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.ogg").write_bytes(b"x")
    staged = staging_name(tmp_path, "a", ".ogg")
    staged.write_bytes(b"y")
    with pytest.raises(StorageError, match="no free file name"):
        claim_names([staged], dest_dir=tmp_path, stems=iter(["a"]), suffixes=[".ogg"])
    assert os.path.exists(staged)  # the caller still owns (and removes) it
