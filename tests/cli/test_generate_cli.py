"""``loopmill generate`` end to end: files, loop points, names, metadata, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loopmill.audio import info, read_loop_points
from loopmill.cli.main import app

runner = CliRunner()


def test_generate_writes_loops_with_points_and_metadata(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("loopmill")
    proc = subprocess.run(
        [
            str(exe),
            "generate",
            "mysterious synthwave, D minor, 90 BPM",
            "--dest",
            str(tmp_path),
            "--count",
            "2",
            "--seed",
            "7",
            "--keep-metadata",
            "--format",
            "ogg",
            "--max-duration",
            "12",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    oggs = sorted(tmp_path.glob("loop_*.ogg"))
    assert [p.name.split("_")[-1] for p in oggs] == ["7.ogg", "8.ogg"]  # seed, seed + 1
    for path in oggs:
        meta = json.loads(path.with_suffix(".json").read_text())
        pts = read_loop_points(path)
        assert pts is not None and (pts.start, pts.length) == (0, meta["loop_length"])
        assert info(path).frames == meta["loop_length"]
        assert meta["bpm"] == 90.0 and meta["key"] == "D minor"
        assert meta["spec"]["genre"] == "synthwave" and meta["engine"] == "composer"
        assert meta["seed"] in (7, 8) and "params" in meta


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bpm", "300"], "--bpm 300 is out of range"),
        (["--min-duration", "30", "--max-duration", "10"], "--min-duration"),
        (["--key", "H minor"], "unknown key"),
        (["--format", "aiff"], "unknown --format 'aiff'"),
        (["--engine", "musicbox"], "unknown --engine 'musicbox'"),
        (["--sample-rate", "22050"], "--sample-rate 22050 is not supported"),
    ],
)
def test_generate_bad_input_exit_2_and_nothing_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    dest = tmp_path / "out"
    res = runner.invoke(app, ["generate", "synthwave", "--dest", str(dest), *args])
    assert res.exit_code == 2, res.output
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not dest.exists()


def test_generate_unwritable_destination(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["generate", "lofi", "--dest", str(blocker / "sub")])
    assert res.exit_code == 2
    assert "cannot write to" in res.stderr


def test_generate_midi_writes_the_arrangement(tmp_path: Path) -> None:
    from loopmill.engines.composer.midi import read_midi

    res = runner.invoke(
        app,
        [
            "generate",
            "house, G minor, 124 BPM",
            "--dest",
            str(tmp_path),
            "--midi",
            "--seed",
            "4",
            "--max-duration",
            "12",
        ],
    )
    assert res.exit_code == 0, res.output
    (mid,) = tmp_path.glob("*.mid")
    score = read_midi(mid)
    assert abs(60e6 / score.tempos[0][1] - 124.0) < 0.01
    channels = {n[0] for n in score.notes}  # (channel, note, start, end, velocity)
    assert 9 in channels and len(channels) >= 3  # drums on channel 10 plus pitched parts
    assert mid.with_suffix(".ogg").is_file()


@pytest.mark.skipif(
    not Path("/usr/share/sounds/sf2/FluidR3_GM.sf2").is_file(),
    reason="needs Debian's fluidsynth and fluid-soundfont-gm (apt-get install ...)",
)
def test_generate_through_a_soundfont(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        [
            "generate",
            "synthwave, D minor, 90 BPM",
            "--dest",
            str(tmp_path),
            "--soundfont",
            "/usr/share/sounds/sf2/FluidR3_GM.sf2",
            "--seed",
            "3",
            "--max-duration",
            "12",
            "--keep-metadata",
        ],
    )
    assert res.exit_code == 0, res.output
    (sidecar,) = tmp_path.glob("*.json")
    meta = json.loads(sidecar.read_text())
    # FluidSynth strikes notes held across the wrap afresh each pass (a pad re-attack),
    # so the wrap can be a little more abrupt than the loop's strongest hit (seen: 0.09).
    assert meta["renderer"] == "soundfont" and meta["seam_score"] < 0.15
    assert abs(meta["loudness_lufs"] + 14.0) < 0.5


def test_missing_soundfont_exit_2_nothing_written(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    res = runner.invoke(
        app, ["generate", "x", "--soundfont", str(tmp_path / "no.sf2"), "--dest", str(dest)]
    )
    assert res.exit_code == 2
    assert "SoundFont" in res.stderr and "does not exist" in res.stderr
    assert not dest.exists()


def test_several_formats_at_once(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        [
            "generate",
            "lofi",
            "--format",
            "ogg,mp3",
            "--dest",
            str(tmp_path),
            "--seed",
            "2",
            "--max-duration",
            "10",
        ],
    )
    assert res.exit_code == 0, res.output
    ogg, mp3 = sorted(tmp_path.glob("*.ogg")), sorted(tmp_path.glob("*.mp3"))
    assert len(ogg) == len(mp3) == 1 and ogg[0].stem == mp3[0].stem
    a, b = read_loop_points(ogg[0]), read_loop_points(mp3[0])
    assert a is not None and a == b and info(mp3[0]).frames == a.length
    res = runner.invoke(app, ["generate", "lofi", "--format", "ogg,aiff", "--dest", str(tmp_path)])
    assert res.exit_code == 2 and "unknown --format 'aiff'" in res.stderr
