"""Game suites: shared key/tempo/length, energies that differ, manifest and checklist."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from loopmill.analysis import analyze
from loopmill.audio import load, read_loop_points
from loopmill.cli.suite_cmd import suite
from loopmill.errors import BadInputError
from loopmill.pipeline.request import GenerateRequest
from loopmill.pipeline.suite import make_suite, verify_suite

SHORT = {"min_duration": 8.0, "max_duration": 12.0}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    dest = tmp_path_factory.mktemp("suites")
    return make_suite(GenerateRequest(seed=4, dest=dest, formats=("ogg", "mp3"), **SHORT),
                      use_case="space shooter", phases=["calm", "tension", "boss"])


def test_phases_share_key_tempo_and_length(made) -> None:  # type: ignore[no-untyped-def]
    m = made.manifest
    assert made.ok, made.report
    assert {p["loop_length"] for p in m["phases"]} == {m["suite"]["loop_length"]}
    assert {p["tempo"] for p in m["phases"]} == {m["suite"]["bpm"]}
    assert {p["key"] for p in m["phases"]} == {m["suite"]["key"]}
    bpm = m["suite"]["bpm"]
    for p in m["phases"]:
        y, sr = load(made.directory / p["files"]["ogg"])
        assert y.shape[1] == p["loop_length"]
        for fmt, name in p["files"].items():
            pts = read_loop_points(made.directory / name)
            assert pts is not None and (pts.start, pts.length) == (0, p["loop_length"]), fmt
        detected = analyze(np.tile(y, 2), sr=sr, loudness=False).bpm
        assert min(abs(detected / bpm - r) for r in (0.5, 1.0, 2.0)) < 0.01, detected


def test_energy_rises_from_calm_to_boss(made) -> None:  # type: ignore[no-untyped-def]
    density = {}
    for p in made.manifest["phases"]:
        y, sr = load(made.directory / p["files"]["ogg"])
        env = analyze(y, sr=sr, loudness=False).features.onset_env
        density[p["phase"]] = float(env.mean())
    assert made.manifest["phases"][0]["energy"] < made.manifest["phases"][2]["energy"]
    assert density["boss"] > 1.1 * density["calm"], density


def test_report_files_and_a_corrupted_file_fails(made, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = made.directory
    report = json.loads((d / "report.json").read_text())
    assert report["ok"] and len(report["files"]) == 6
    assert "**Overall: PASS**" in (d / "report.md").read_text()
    names = {c["check"] for c in report["files"][0]["checks"]}
    assert {"integrity", "duration", "sample rate", "channels", "bitrate", "loop points",
            "seam", "loudness", "true peak"} <= names
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(d, copy)
    victim = copy / "tension.ogg"
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 3])
    again = verify_suite(copy)
    assert not again["ok"]
    bad = [f for f in again["files"] if not f["ok"]]
    assert [f["file"] for f in bad] == ["tension.ogg"]


def test_same_seed_same_suite(made, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_suite(GenerateRequest(seed=4, dest=tmp_path, formats=("ogg", "mp3"), **SHORT),
                      use_case="space shooter", phases=["calm", "tension", "boss"])
    strip = [{k: v for k, v in p.items() if k != "files"} for p in twin.manifest["phases"]]
    assert strip == [{k: v for k, v in p.items() if k != "files"}
                     for p in made.manifest["phases"]]


def test_yaml_phases_and_bad_inputs(tmp_path: Path) -> None:
    f = tmp_path / "phases.yaml"
    f.write_text("use_case: cozy farm\nbpm: 90\nkey: F major\nphases:\n"
                 "  - {name: morning, energy: 0.2}\n  - {name: market, prompt: busy happy lofi}\n")
    res = make_suite(GenerateRequest(dest=tmp_path, **SHORT), use_case="x", phases_file=f)
    assert [p["phase"] for p in res.manifest["phases"]] == ["morning", "market"]
    assert res.manifest["suite"]["bpm"] == 90.0 and res.manifest["suite"]["key"] == "F major"
    bad = tmp_path / "bad.yaml"
    bad.write_text("phases:\n  - {name: calm, energy: 3}\n")
    with pytest.raises(BadInputError, match=r"bad\.yaml: phases\.0\.energy: .*less than or equal"):
        make_suite(GenerateRequest(dest=tmp_path), use_case="x", phases_file=bad)
    with pytest.raises(BadInputError, match=r"^phases is empty") as err:
        make_suite(GenerateRequest(dest=tmp_path), use_case="x", phases=[])
    assert err.value.fields == ("phases",)
    with pytest.raises(BadInputError, match=r"^bpm 500 is out of range"):
        make_suite(GenerateRequest(dest=tmp_path, bpm=500), use_case="x", phases=["calm"])
    with pytest.raises(BadInputError, match="phase name 'a b'"):
        make_suite(GenerateRequest(dest=tmp_path), use_case="x", phases=["a b"])


def test_cli(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(suite)
    res = CliRunner().invoke(app, ["--use-case", "horror", "--phases", "calm,combat",
                                   "--dest", str(tmp_path), "--format", "ogg", "--seed", "1",
                                   "--min-duration", "8", "--max-duration", "16"])
    assert res.exit_code == 0, res.output
    assert "combat" in res.stdout and "PASS" in res.stdout
    assert (tmp_path / "horror" / "manifest.json").is_file()
    res = CliRunner().invoke(app, ["--phases", "calm", "--bpm", "999", "--dest", str(tmp_path)])
    assert res.exit_code == 2 and "--bpm 999 is out of range" in res.output



@pytest.mark.parametrize(("fmt", "wave", "peak_db", "ok"), [
    ("wav", "sine", -1.4, True), ("wav", "sine", -0.6, False),  # lossless: -1 dBTP itself
    ("mp3", "sine", -0.3, True),  # a lossy encoder may ring into the headroom left for it,
    ("mp3", "square", 0.0, False),  # but a decoded lossy file must not clip (Gibbs: > 0 dB)
])
def test_true_peak_check_leaves_the_headroom_to_lossy_encoders(
        tmp_path: Path, fmt: str, wave: str, peak_db: float, ok: bool) -> None:
    from loopmill.audio import save
    from loopmill.pipeline.suite_report import check_file

    sr = 44100
    t = np.arange(4 * sr) / sr
    y = np.sin(2 * np.pi * np.array([[220.0], [330.0]]) * t)
    if wave == "square":
        y = np.sign(y)
    y = (y * 10 ** (peak_db / 20)).astype(np.float32)
    path = tmp_path / f"x.{fmt}"
    save(path, y, sr=sr, format=fmt)
    checks = {c["check"]: c for c in check_file(path, loop_length=y.shape[1], sample_rate=sr)}
    peak = checks["true peak"]
    assert peak["ok"] is ok, peak
    if wave == "sine":
        assert abs(peak["value"] - peak_db) < 0.3  # the measured peak is the one made
