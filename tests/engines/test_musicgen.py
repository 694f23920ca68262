"""MusicGen through transformers, on a tiny random model loaded from its folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from loopmill.cli._flags import cli_message
from loopmill.engines.musicgen import MusicGenEngine, load_musicgen, prompt_text
from loopmill.engines.params import GenerationParams
from loopmill.errors import MissingModelError
from loopmill.prompts import parse_prompt
from tests.engines.tiny_musicgen import build_tiny_musicgen


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_musicgen(tmp_path_factory.mktemp("musicgen") / "tiny", window_s=2.0)


def test_loads_from_its_folder(tiny: Path) -> None:
    lm = load_musicgen(str(tiny), device="auto")
    assert lm.device == "cpu" and lm.sampling_rate == 32000
    assert lm.frame_rate == pytest.approx(50.0)
    assert lm.window_s == pytest.approx(2.0)


def test_one_window_shape_rate_and_seed(tiny: Path) -> None:
    eng = MusicGenEngine(str(tiny))
    spec = parse_prompt("calm lofi, 90 bpm, F major")
    a = eng.generate_batch([spec], GenerationParams(), seconds=1.5, seed=3)
    b = eng.generate_batch([spec], GenerationParams(), seconds=1.5, seed=3)
    c = eng.generate_batch([spec], GenerationParams(), seconds=1.5, seed=4)
    assert a[0].shape == (1, 48000) and a[0].dtype == np.float32
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.allclose(a[0], c[0])


def test_windowed_continuation_past_the_window(tiny: Path) -> None:
    eng = MusicGenEngine(str(tiny), stride_s=0.8)
    spec = parse_prompt("dark synthwave, 100 bpm")
    (y,) = eng.generate_batch([spec], GenerationParams(), seconds=5.0, seed=1)
    assert y.shape == (1, 160000)  # 5 s from a 2 s window: 1.8 s, then 0.8 s strides
    assert np.isfinite(y).all() and np.abs(y).max() > 0


def test_a_batch_gives_one_output_per_prompt(tiny: Path) -> None:
    eng = MusicGenEngine(str(tiny))
    specs = [parse_prompt(t) for t in ("calm lofi", "epic ambient drums", "dark bass")]
    outs = eng.generate_batch(specs, GenerationParams(), seconds=1.0, seed=2)
    assert len(outs) == 3 and all(o.shape == (1, 32000) for o in outs)
    assert not np.allclose(outs[0], outs[1])
    # Each follows its own prompt: decoded greedily (top-k 1, no randomness), row i of
    # a batch is what prompt i gives alone, and the prompts give different music.
    greedy = GenerationParams(top_k=1)
    batch = eng.generate_batch(specs, greedy, seconds=1.0, seed=2)
    alone = [eng.generate_batch([s], greedy, seconds=1.0, seed=7)[0] for s in specs]
    for b, a in zip(batch, alone, strict=True):
        np.testing.assert_allclose(b, a, atol=1e-5)
    assert np.abs(alone[0] - alone[1]).max() > 1e-3
    assert np.abs(alone[1] - alone[2]).max() > 1e-3


def test_engine_output_goes_to_the_loop_engine(tiny: Path) -> None:
    eng = MusicGenEngine(str(tiny))
    spec = parse_prompt("calm lofi", bpm=120, min_duration=1, max_duration=2, seed=5)
    out = eng.generate(spec, GenerationParams(), sr=44100)
    assert out.sr == 44100 and not out.seamless and out.seed == 5
    assert out.audio.shape[1] == round((2 * 1.5 + 4.0) * 44100)  # 1.5 x max + two bars
    assert out.info["prompt_sent"] == "calm lofi, 120 bpm"


def test_prompt_carries_tempo_and_key() -> None:
    spec = parse_prompt("mysterious synthwave", bpm=90, key="D minor")
    assert prompt_text(spec, 90) == "mysterious synthwave, 90 bpm, D minor"
    spec = parse_prompt("lofi at 80 BPM in F major")
    assert prompt_text(spec, 80) == "lofi at 80 BPM in F major"


def test_missing_and_broken_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    msg = r"is not a MusicGen model folder \(no config\.json\)"
    with pytest.raises(MissingModelError, match=msg):
        load_musicgen(str(tmp_path))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    with pytest.raises(MissingModelError, match="broken"):
        load_musicgen(str(broken))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    msg = r"facebook/musicgen-small is not downloaded .*pass that folder as model$"
    with pytest.raises(MissingModelError, match=msg) as info:
        load_musicgen("facebook/musicgen-small")
    assert cli_message(info.value).endswith("pass that folder as --model")
    assert "--local-dir musicgen-small" in str(info.value)  # a command: its flags stay


def test_generate_cuts_a_bar_exact_loop_at_the_asked_tempo(tiny: Path) -> None:
    from loopmill.pipeline.generate import generate

    loop = generate("calm lofi", engine="musicgen", model=str(tiny), bpm=120, seed=7,
                    min_duration=8, max_duration=16, max_attempts=1)
    # whole bars at exactly 120 BPM, to the sample, whatever tempo the model drifted to
    assert loop.beats_per_bar == 4  # the meter asked for, not whatever the model drifted to
    assert loop.bpm == 120.0 and loop.length == round(loop.bars * 4 * 0.5 * 44100)
    assert abs(loop.loudness_lufs + 14.0) < 1.0 and loop.true_peak_db <= -1.0 + 1e-3
    assert loop.extra["engine"] == "musicgen" and loop.extra["seed"] == 7
    assert loop.extra["model"] == str(tiny) and loop.extra["prompt_sent"] == "calm lofi, 120 bpm"


def test_cli_generate_with_a_model_folder_and_without_a_model(tiny: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from loopmill.cli.main import app

    run = CliRunner().invoke
    res = run(app, ["generate", "calm lofi", "--engine", "musicgen", "--model", str(tiny),
                    "--bpm", "120", "--min-duration", "8", "--max-duration", "16", "--seed", "3",
                    "--max-attempts", "1",
                    "--dest", str(tmp_path / "out"), "--catalog", str(tmp_path / "c.sqlite")])
    assert res.exit_code == 0, res.output
    assert len(list((tmp_path / "out").glob("loop_*_3.ogg"))) == 1
    res = run(app, ["generate", "calm lofi", "--engine", "musicgen", "--model",
                    str(tmp_path / "nothing-here"), "--dest", str(tmp_path / "out2")])
    assert res.exit_code == 2
    assert "is not a MusicGen model folder" in res.output
    assert not (tmp_path / "out2").exists()


def test_sampling_params_reach_the_model(tiny: Path) -> None:
    eng = MusicGenEngine(str(tiny))
    spec = parse_prompt("calm lofi")
    base = eng.generate_batch([spec], GenerationParams(), seconds=1.0, seed=5)[0]
    cold = eng.generate_batch([spec], GenerationParams(temperature=0.05, top_k=2), seconds=1.0,
                              seed=5)[0]
    assert not np.allclose(base, cold)
    again = eng.generate_batch([spec], GenerationParams(temperature=0.05, top_k=2), seconds=1.0,
                               seed=5)[0]
    np.testing.assert_array_equal(cold, again)


def test_cli_refuses_bad_sampling_flags(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from loopmill.cli.main import app

    res = CliRunner().invoke(app, ["generate", "x", "--temperature", "0", "--dest",
                                   str(tmp_path / "o")])
    assert res.exit_code == 2 and "temperature 0 is out of range" in res.output
    assert not (tmp_path / "o").exists()


def test_tempo_is_checked_and_attempts_are_recorded(tiny: Path) -> None:
    from loopmill.errors import BadInputError
    from loopmill.pipeline.finish import TEMPO_TOLERANCE
    from loopmill.pipeline.finish import tempo_error as _tempo_error
    from loopmill.pipeline.generate import generate

    assert _tempo_error(59.0, 120.0) == pytest.approx(abs(118 / 120 - 1))  # half time
    assert _tempo_error(121.0, 120.0) == pytest.approx(1 / 120)
    loop = generate("calm lofi", engine="musicgen", model=str(tiny), bpm=100, seed=1,
                    min_duration=8, max_duration=16, max_attempts=3)
    attempts = loop.extra["attempts"]
    assert 1 <= len(attempts) <= 3
    assert [a["seed"] for a in attempts] == [1, 2, 3][: len(attempts)]
    errors = [a["tempo_error"] for a in attempts]
    # it stops at the first attempt close enough; otherwise it used all and kept the best
    if len(attempts) < 3:
        assert errors[-1] <= TEMPO_TOLERANCE and loop.extra["tempo_ok"]
    assert loop.extra["tempo_ok"] == (min(errors) <= TEMPO_TOLERANCE)
    assert loop.bpm == 100.0  # stretched to the exact tempo either way
    with pytest.raises(BadInputError, match=r"^max_attempts 0 must be at least 1"):
        generate("calm lofi", engine="musicgen", model=str(tiny), max_attempts=0)


def test_auto_with_musicgen_from_a_folder(tiny: Path, tmp_path: Path) -> None:
    from loopmill.pipeline.auto import AutoOptions, run_auto

    report = run_auto(AutoOptions(count=2, workers=1, engine="musicgen", model=str(tiny),
                                  dest=str(tmp_path / "out"), catalog=str(tmp_path / "c.db"),
                                  min_duration=8, max_duration=16, seed=4),
                      runs_dir=tmp_path / "runs")
    assert report.ok, report.failures
    assert len(list((tmp_path / "out").glob("*.ogg"))) == 2
    assert all(r["engine"] == "musicgen" and r["bpm"] for r in report.made)
    from loopmill.errors import MissingModelError

    with pytest.raises(MissingModelError, match="is not a MusicGen model folder"):
        run_auto(AutoOptions(count=1, engine="musicgen", model=str(tmp_path / "none"),
                             dest=str(tmp_path / "o2"), catalog=str(tmp_path / "c.db")),
                 runs_dir=tmp_path / "runs")


def test_check_without_loading(tiny: Path, tmp_path: Path) -> None:
    MusicGenEngine(str(tiny)).check()  # a complete folder: fine, nothing loaded
    with pytest.raises(MissingModelError, match=r"no config\.json"):
        MusicGenEngine(str(tmp_path)).check()
    with pytest.raises(MissingModelError, match="is not downloaded"):  # offline in tests
        MusicGenEngine("facebook/musicgen-small").check()


def test_continue_from_a_file(tiny: Path, tmp_path: Path) -> None:
    from loopmill.audio import save

    rng = np.random.default_rng(0)
    t = np.arange(3 * 32000) / 32000
    seedling = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.01 * rng.standard_normal(t.size))
    path = save(tmp_path / "start.wav", seedling[None].astype(np.float32), sr=32000)
    eng = MusicGenEngine(str(tiny), stride_s=0.8)
    spec = parse_prompt("calm lofi")
    fresh = eng.generate_batch([spec], GenerationParams(), seconds=2.0, seed=1)[0]
    (cont,) = eng.generate_batch([spec], GenerationParams(), seconds=2.0, seed=1,
                                 prompt_audio=seedling[None].astype(np.float32))
    assert cont.shape == fresh.shape == (1, 64000)  # only the new audio comes back
    assert not np.allclose(cont, fresh)  # the prompt changed what followed
    out = eng.generate(parse_prompt("calm lofi", bpm=120, min_duration=2, max_duration=2,
                                    seed=1),
                       GenerationParams(extra={"continue": str(path)}), sr=32000)
    assert out.audio.shape == (1, round((2 * 1.5 + 4.0) * 32000))


def test_variations_share_bars_tempo_and_length(tiny: Path) -> None:
    from loopmill.errors import BadInputError
    from loopmill.pipeline.generate import generate
    from loopmill.pipeline.variations import make_variations

    spec = parse_prompt("calm lofi", bpm=120, min_duration=8, max_duration=16)
    loop = generate("calm lofi", engine="musicgen", model=str(tiny), bpm=120, seed=2,
                    min_duration=8, max_duration=16, max_attempts=1)
    vars_ = make_variations(loop, n=2, spec=spec, params=GenerationParams(),
                            model=str(tiny), seed=2)
    assert len(vars_) == 2
    for v in vars_:
        assert (v.bars, v.bpm, v.length) == (loop.bars, loop.bpm, loop.length)
        assert abs(v.loudness_lufs + 14.0) < 1.0
    assert not np.allclose(vars_[0].audio, vars_[1].audio)
    assert [v.extra["variation"] for v in vars_] == [1, 2]
    with pytest.raises(BadInputError, match=r"^variations need an engine that continues audio"):
        make_variations(loop, n=1, spec=spec, params=GenerationParams(), engine="composer")


def test_cli_variations_are_written_beside_the_loop(tiny: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from loopmill.audio import read_loop_points
    from loopmill.cli.main import app

    res = CliRunner().invoke(app, [
        "generate", "calm lofi", "--engine", "musicgen", "--model", str(tiny), "--bpm", "120",
        "--min-duration", "8", "--max-duration", "16", "--seed", "2", "--max-attempts", "1",
        "--variations", "1", "--dest", str(tmp_path / "o"), "--catalog", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    (main,) = (tmp_path / "o").glob("loop_*_2.ogg")
    (var,) = (tmp_path / "o").glob("loop_*_2_v1.ogg")
    assert read_loop_points(main) == read_loop_points(var)
    res = CliRunner().invoke(app, ["generate", "x", "--variations", "2", "--dest",
                                   str(tmp_path / "p")])
    assert res.exit_code == 2 and "with a model engine" in res.output


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again once this returns


def test_no_network_fails_in_one_line_within_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    # Network mode, but the hub is a closed port on loopback: nothing leaves the machine.
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    t = time.perf_counter()
    with pytest.raises(MissingModelError) as info:
        load_musicgen("facebook/musicgen-small")
    assert time.perf_counter() - t < 10  # not half a minute of retries
    msg = str(info.value)
    assert "\n" not in msg
    assert "the hub cannot be reached" in msg
    assert "`hf download facebook/musicgen-small --local-dir musicgen-small`" in msg
    with pytest.raises(MissingModelError, match="the hub cannot be reached"):
        MusicGenEngine("facebook/musicgen-small").check()


def test_no_network_cli_is_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf"),
           "HF_ENDPOINT": f"http://127.0.0.1:{_closed_port()}"}
    proc = subprocess.run(
        [sys.executable, "-m", "loopmill", "generate", "x", "--engine", "musicgen",
         "--model", "facebook/musicgen-small", "--dest", str(tmp_path / "out")],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: facebook/musicgen-small is not downloaded")
    assert "Retry" not in proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
