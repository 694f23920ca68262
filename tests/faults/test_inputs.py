"""The smaller faults: bad flag values and files that used to give a traceback or silence."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from loopmill.cli.main import app
from tests.synth import SR, progression_track


def _run(*args: str) -> Any:
    res = CliRunner().invoke(app, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res


def _error(res: Any, code: int = 2) -> str:
    assert res.exit_code == code, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.stderr
    return lines[0]


@pytest.fixture(scope="module")
def track(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("faults_inputs")
    y, _ = progression_track(bpm=120, repeats=3, seed=11)
    sf.write(d / "good.wav", y.T, SR, subtype="PCM_16")
    return d / "good.wav"


def test_dataset_prepare_refuses_a_file_as_out_and_nan_chunks(track: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("mine")
    assert "is a file" in _error(_run("dataset", "prepare", str(track), "--out", str(blocker)))
    assert blocker.read_text() == "mine"
    out = tmp_path / "ds"
    for flag, value in (("--chunk-seconds", "nan"), ("--chunk-seconds", "inf"),
                        ("--max-silence", "nan"), ("--silence-db", "nan")):
        line = _error(_run("dataset", "prepare", str(track), "--out", str(out), flag, value))
        assert flag in line
    assert not out.exists()  # no .chunks.part left behind, nothing at all


@pytest.mark.parametrize("prefix,why", [("x" * 300, "long"), ("bad\nname", "control"),
                                        ("tab\there", "control"), (".hidden", "dot")])
def test_a_bad_file_prefix_is_refused_before_rendering(tmp_path: Path, prefix: str,
                                                       why: str) -> None:
    for cmd in (["generate", "calm lofi"], ["auto", "--count", "1", "--workers", "1"]):
        res = _run(*cmd, "--file-prefix", prefix, "--dest", str(tmp_path / "out"),
                   "--catalog", str(tmp_path / "c.sqlite"))
        assert "--file-prefix" in _error(res)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_an_unknown_genre_names_the_genres_that_exist(tmp_path: Path) -> None:
    line = _error(_run("generate", "a tune", "--genre", "polka", "--dest", str(tmp_path)))
    assert "polka" in line and "synthwave" in line and "lofi" in line
    assert not list(tmp_path.iterdir())


def test_a_truncated_ogg_is_refused_like_a_truncated_wav(track: Path, tmp_path: Path) -> None:
    y, sr = sf.read(track, always_2d=True)
    full = tmp_path / "full.ogg"
    sf.write(full, y, sr, format="OGG", subtype="VORBIS")
    data = full.read_bytes()
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(data[: len(data) * 2 // 3])
    from loopmill.audio import load
    from loopmill.errors import BadInputError

    load(full)  # the whole file reads
    with pytest.raises(BadInputError, match="is truncated"):
        load(cut)
    wav = tmp_path / "cut.wav"
    wav.write_bytes(track.read_bytes()[: track.stat().st_size * 2 // 3])
    with pytest.raises(BadInputError, match="is truncated"):
        load(wav)


def test_loop_leaves_no_empty_destination_when_every_input_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF1234WAVEjunk")
    dest = tmp_path / "never"
    res = _run("loop", str(bad), "--dest", str(dest))
    assert res.exit_code == 1
    assert not dest.exists()


def test_inspect_has_the_flag_its_error_suggests(tmp_path: Path) -> None:
    hour = tmp_path / "long.wav"
    with sf.SoundFile(hour, "w", samplerate=8000, channels=1, subtype="PCM_16") as fh:
        for _ in range(40):
            fh.write(np.zeros(8000 * 60, np.int16))
    for cmd in (["inspect", str(hour)], ["loop", str(hour), "--dest", str(tmp_path / "out")]):
        res = _run(*cmd)
        assert res.exit_code != 0 and "over the 1800 s limit" in res.output
        assert "--max-input-duration" in res.output  # and the command has that option


def test_stale_staging_folders_of_dead_workers_are_cleaned(tmp_path: Path) -> None:
    from loopmill.pipeline.auto_item import clean_stale_staging, staging_dir

    dead = tmp_path / "loopmill-item-999999999-abcd"
    dead.mkdir()
    (dead / "x.ogg").write_bytes(b"half")
    mine = staging_dir(root=tmp_path)  # this process is alive: kept
    other = tmp_path / "unrelated"
    other.mkdir()
    assert clean_stale_staging(root=tmp_path) == 1
    assert not dead.exists() and mine.exists() and other.exists()
    assert mine.name.startswith(f"loopmill-item-{os.getpid()}-")
    assert Path(tempfile.gettempdir()).exists()
