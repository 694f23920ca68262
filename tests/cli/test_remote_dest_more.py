"""``loop``, ``sample`` and ``evolve`` with ``--dest s3://…`` against a loopback S3
server (as ``generate``, ``suite`` and ``auto`` in test_remote_dest.py), and a local
``loop`` that still writes each file once, in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from loopmill.cli.main import app
from tests.cli.test_remote_dest import _keys, _points_of, _rows
from tests.storage.s3server import read_object, s3_server

runner = CliRunner()


def _track(path: Path, *, seconds: float = 12.0, sr: int = 22050, bpm: float = 120.0) -> Path:
    """Clicks on every beat over a chord: a track with a clear tempo to loop."""
    t = np.arange(round(seconds * sr)) / sr
    y = 0.2 * sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    beat = round(60.0 / bpm * sr)
    for start in range(0, len(t), beat):
        n = min(400, len(t) - start)
        y[start:start + n] += 0.6 * np.exp(-np.arange(n) / 60.0) * np.sin(
            2 * np.pi * 1000 * np.arange(n) / sr)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.stack([y, y], axis=1).astype(np.float32), sr)
    return path


def test_loop_to_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = _track(tmp_path / "in" / "a.wav")
    b = _track(tmp_path / "in" / "sub" / "a.wav", bpm=100.0)  # same stem: numbered
    with s3_server(monkeypatch) as (url, _):
        res = runner.invoke(app, ["loop", str(a), str(b), "--dest", "s3://loops/cut",
                                  "--s3-endpoint-url", url, "--format", "ogg",
                                  "--keep-metadata", "--max-duration", "10"])
        assert res.exit_code == 0, res.output
        assert _keys(url, "loops", "cut/") == [
            "cut/a_loop.json", "cut/a_loop.ogg", "cut/a_loop_2.json", "cut/a_loop_2.ogg"]
        for stem in ("a_loop", "a_loop_2"):
            start, length = _points_of(url, f"cut/{stem}.ogg", tmp_path)
            assert start == 0 and length > 0
            meta = json.loads(read_object(url, "loops", f"cut/{stem}.json"))
            assert meta["output"] == f"s3://loops/cut/{stem}.ogg"  # where it is, not scratch
            assert meta["tool"] == "loopmill"
        assert "2 loop(s) written to s3://loops/cut, 0 failed" in res.stdout
        assert "a_loop_2.ogg" in res.stdout
    assert not (tmp_path / "s3:").exists() and not list(tmp_path.glob("loops*"))


def test_loop_to_s3_keeps_the_others_when_one_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loopmill.pipeline.loop_files import LoopOptions, loop_files

    good = _track(tmp_path / "good.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF1234WAVEjunk")
    with s3_server(monkeypatch) as (url, _):
        report = loop_files([bad, good], dest="s3://loops/x", s3_endpoint_url=url,
                            options=LoopOptions(format="wav", max_duration=10))
        assert [it.ok for it in report.items] == [False, True]
        assert report.items[1].output == "s3://loops/x/good_loop.wav"
        assert _keys(url, "loops", "x/") == ["x/good_loop.wav"]  # nothing of the bad one


def test_a_local_loop_writes_each_file_once(
    tmp_path: Path, encoded: dict[str, int], scratch: Path
) -> None:
    """The encoder writes in the destination folder (a hidden name, then renamed): no
    scratch folder, no copy, nothing hidden left."""
    dest = tmp_path / "out"
    res = runner.invoke(app, ["loop", str(_track(tmp_path / "a.wav")), "--dest", str(dest),
                              "--format", "ogg", "--max-duration", "10"])
    assert res.exit_code == 0, res.output
    (made,) = dest.iterdir()
    assert made.name == "a_loop.ogg"
    assert all(Path(p).parent == dest for p in encoded)
    # the hidden file the encoder wrote is the one renamed into view
    assert made.stat().st_ino in encoded.values()
    assert list(scratch.iterdir()) == []


def test_sample_to_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    from loopmill.training.dataset import prepare_dataset
    from loopmill.training.train import TrainOptions, train
    from tests.training.synth import SR, write_chords

    write_chords(tmp_path / "src", seconds=6.0)
    prepare_dataset([tmp_path / "src"], out=tmp_path / "ds", sample_rate=SR, chunk_seconds=1.0)
    train("samplernn", dataset=tmp_path / "ds", run=tmp_path / "run", options=TrainOptions(
        max_steps=2, batch_size=8, seq_len=256, sample_seconds=0),
        config={"frame_sizes": (4, 2), "dim": 32, "q_levels": 64, "n_rnn": 1})
    with s3_server(monkeypatch) as (url, _):
        res = runner.invoke(app, ["sample", str(tmp_path / "run"), "--seconds", "0.25",
                                  "--count", "2", "--seed", "3", "--dest", "s3://loops/raw",
                                  "--s3-endpoint-url", url])
        assert res.exit_code == 0, res.output
        assert _keys(url, "loops", "raw/") == ["raw/samplernn_3_0.wav", "raw/samplernn_3_1.wav"]
        local = tmp_path / "down.wav"
        local.write_bytes(read_object(url, "loops", "raw/samplernn_3_0.wav"))
        info = sf.info(local)
        assert info.samplerate == SR and info.frames == SR // 4
        assert "-> s3://loops/raw" in res.stdout
    assert not (tmp_path / "samples").exists()


def test_evolve_publishes_its_best_loops_to_s3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from loopmill.audio import save

    t = np.arange(16000) / 8000
    target = tmp_path / "target.wav"
    save(target, np.stack([np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32) * 0.3,
         sr=8000, format="wav")
    cfg = tmp_path / "evolve.yaml"
    cfg.write_text(yaml.safe_dump({"generator": {"seconds": 2.0, "sample_rate": 8000},
                                   "logger": {"tensorboard": False}}))
    db = tmp_path / "c.sqlite"
    with s3_server(monkeypatch) as (url, _):
        res = runner.invoke(app, [
            "evolve", "--config", str(cfg), "--search", "random", "--population", "2",
            "--generations", "2", "--target", str(target), "--seed", "4",
            "--runs", str(tmp_path / "runs"), "--name", "r1", "--dest", "s3://loops/evo",
            "--s3-endpoint-url", url, "--catalog", str(db)])
        assert res.exit_code == 0, res.output
        stems = [f"evo/r1_g{g:04d}_best" for g in (0, 1)]
        assert _keys(url, "loops", "evo/") == sorted(f"{s}.{x}" for s in stems
                                                   for x in ("json", "ogg"))
        for stem in stems:
            start, length = _points_of(url, f"{stem}.ogg", tmp_path)
            assert start == 0 and length > 0
            side = json.loads(read_object(url, "loops", f"{stem}.json"))
            assert side["output"] == f"s3://loops/{stem}.ogg" and "energy" in side["controls"]
        assert f"-> s3://loops/{stems[1]}.ogg" in res.stdout
        rows = _rows(db)
        assert [json.loads(r["uris"]) for r in rows] == [[f"s3://loops/{s}.ogg"] for s in stems]
    run = tmp_path / "runs" / "r1"  # the run folder stays local
    assert (run / "history.jsonl").is_file() and (run / "config.yaml").is_file()
    assert yaml.safe_load((run / "config.yaml").read_text())["logger"]["dest"] == "s3://loops/evo"


def _down_after_check(monkeypatch: pytest.MonkeyPatch, server: Any) -> None:
    """The destination answers the up-front check, then goes down (its uploads fail
    and the spool keeps the files); short retries so the test does not wait."""
    from loopmill.storage.sink import Sink

    check = Sink.check

    def check_then_outage(self: Sink) -> None:
        check(self)
        self.backoff = 0.01
        server.stop()

    monkeypatch.setattr(Sink, "check", check_then_outage)


def test_sample_through_an_outage_names_the_spooled_files_and_exits_75(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    from loopmill.pipeline.auto import SPOOLED_EXIT
    from loopmill.training.dataset import prepare_dataset
    from loopmill.training.train import TrainOptions, train
    from tests.training.synth import SR, write_chords

    write_chords(tmp_path / "src", seconds=6.0)
    prepare_dataset([tmp_path / "src"], out=tmp_path / "ds", sample_rate=SR, chunk_seconds=1.0)
    train("samplernn", dataset=tmp_path / "ds", run=tmp_path / "run", options=TrainOptions(
        max_steps=2, batch_size=8, seq_len=256, sample_seconds=0),
        config={"frame_sizes": (4, 2), "dim": 32, "q_levels": 64, "n_rnn": 1})
    with s3_server(monkeypatch) as (url, server):
        _down_after_check(monkeypatch, server)
        res = runner.invoke(app, ["sample", str(tmp_path / "run"), "--seconds", "0.25",
                                  "--seed", "3", "--dest", "s3://loops/raw",
                                  "--s3-endpoint-url", url])
        server.start()  # for the context manager's own stop()
    assert res.exit_code == SPOOLED_EXIT, res.output
    assert "kept in the local spool (destination down): s3://loops/raw/samplernn_3_0.wav" in (
        " ".join(res.output.split()))
    assert "loopmill spool deliver" in res.output


def test_evolve_through_an_outage_names_the_spooled_files_and_exits_75(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from loopmill.pipeline.auto import SPOOLED_EXIT

    cfg = tmp_path / "evolve.yaml"
    cfg.write_text(yaml.safe_dump({"generator": {"seconds": 2.0, "sample_rate": 8000},
                                   "logger": {"tensorboard": False, "catalog": False}}))
    with s3_server(monkeypatch) as (url, server):
        _down_after_check(monkeypatch, server)
        res = runner.invoke(app, [
            "evolve", "--config", str(cfg), "--search", "random", "--population", "2",
            "--generations", "1", "--feedback", "synthetic", "--seed", "4",
            "--runs", str(tmp_path / "runs"), "--name", "r1", "--dest", "s3://loops/evo",
            "--s3-endpoint-url", url])
        server.start()
    assert res.exit_code == SPOOLED_EXIT, res.output
    flat = " ".join(res.output.split())
    for name in ("r1_g0000_best.ogg", "r1_g0000_best.json"):
        assert f"kept in the local spool (destination down): s3://loops/evo/{name}" in flat
    assert "loopmill spool deliver" in flat
