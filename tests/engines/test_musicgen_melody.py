"""MusicGen-Melody: chroma features with known answers, and a tiny melody model loaded
from its folder and steered by a tune."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
from loopmill.cli._flags import cli_message
from loopmill.engines.musicgen import MusicGenEngine, load_musicgen
from loopmill.engines.musicgen_melody import chroma_window, melody_chroma
from loopmill.engines.params import GenerationParams
from loopmill.errors import BadInputError
from loopmill.prompts import parse_prompt
from tests.engines.tiny_musicgen import build_tiny_musicgen, build_tiny_musicgen_melody

SR = 32000


def _tone(freq: float, seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture(scope="module")
def tiny_melody(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_musicgen_melody(tmp_path_factory.mktemp("melody") / "m", window_s=2.0)


def test_chroma_of_known_pitches() -> None:
    a440 = melody_chroma(y=_tone(440.0, 2.0), sr=SR, n_fft=4096, hop_length=1024)
    assert a440.shape == (1 + 2 * SR // 1024, 12)
    assert np.all(a440.sum(axis=1) == 1) and np.all(a440.argmax(axis=1) == 9)  # A
    # C4 E4 G4, half a second each: the pitch class follows the notes
    notes = np.concatenate([_tone(f, 0.5) for f in (261.63, 329.63, 392.0)])
    classes = melody_chroma(y=notes, sr=SR, n_fft=4096, hop_length=1024).argmax(axis=1)
    fps = SR / 1024
    mid = [classes[round((k + 0.5) * 0.5 * fps)] for k in range(3)]
    assert mid == [0, 4, 7]
    # a window past the end repeats the melody; a negative start counts from its end
    w = chroma_window(np.eye(12, dtype=np.float32)[[0, 4, 7]], start_s=1.0, frames_per_s=1.0,
                      length=5)
    assert list(w.argmax(axis=1)) == [4, 7, 0, 4, 7]
    w = chroma_window(np.eye(12, dtype=np.float32)[[0, 4, 7]], start_s=-1.0,
                      frames_per_s=1.0, length=2)
    assert list(w.argmax(axis=1)) == [7, 0]


def test_melody_model_loads_and_follows_the_tune(tiny_melody: Path) -> None:
    lm = load_musicgen(str(tiny_melody))
    assert lm.chroma is not None and lm.chroma["hop_length"] == 1024
    eng = MusicGenEngine(str(tiny_melody))
    spec = parse_prompt("calm lofi, 90 bpm")
    a = _tone(440.0, 2.0)
    c = _tone(261.63, 2.0)
    p = GenerationParams()
    with_a = eng.generate_batch([spec], p, seconds=1.5, seed=3, melody=a)[0]
    again = eng.generate_batch([spec], p, seconds=1.5, seed=3, melody=a)[0]
    with_c = eng.generate_batch([spec], p, seconds=1.5, seed=3, melody=c)[0]
    plain = eng.generate_batch([spec], p, seconds=1.5, seed=3)[0]
    assert with_a.shape == (1, round(1.5 * SR))
    np.testing.assert_array_equal(with_a, again)
    assert not np.allclose(with_a, with_c, atol=1e-4)  # the tune reaches the model
    assert not np.allclose(with_a, plain, atol=1e-4)


def test_melody_model_windows_past_its_window(tiny_melody: Path) -> None:
    eng = MusicGenEngine(str(tiny_melody))
    spec = parse_prompt("dark synthwave, 120 bpm")
    outs = eng.generate_batch([spec, spec], GenerationParams(), seconds=5.0, seed=1,
                              melody=_tone(440.0, 3.0))
    assert [o.shape for o in outs] == [(1, 5 * SR)] * 2
    assert all(np.isfinite(o).all() and np.abs(o).max() > 0 for o in outs)


def test_melody_needs_a_melody_model(tmp_path: Path) -> None:
    plain = build_tiny_musicgen(tmp_path / "plain")
    eng = MusicGenEngine(str(plain))
    with pytest.raises(BadInputError, match="melody needs a model that follows a tune") as e:
        eng.generate_batch([parse_prompt("calm")], GenerationParams(), seconds=1.0, seed=1,
                           melody=_tone(440.0, 1.0))
    assert cli_message(e.value).startswith("--melody needs a model that follows a tune, ")
    assert cli_message(e.value).count("--melody") == 1  # musicgen-melody stays a name


def test_cli_generate_with_melody(tiny_melody: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from loopmill.audio import save
    from loopmill.cli.main import app

    tune = tmp_path / "tune.wav"
    save(tune, _tone(440.0, 4.0)[None, :], sr=SR)
    runner = CliRunner()
    res = runner.invoke(app, [
        "generate", "calm lofi", "--engine", "musicgen", "--model", str(tiny_melody),
        "--melody", str(tune), "--bpm", "90", "--seed", "2", "--max-attempts", "1",
        "--min-duration", "8", "--max-duration", "16", "--dest", str(tmp_path / "out"),
        "--catalog", str(tmp_path / "c.db")])
    assert res.exit_code == 0, res.output
    assert len(list((tmp_path / "out").glob("*.ogg"))) == 1
    res = runner.invoke(app, ["generate", "x", "--melody", str(tmp_path / "none.wav")])
    assert res.exit_code == 2 and "--melody" in res.output and "is not a file" in res.output
    res = runner.invoke(app, ["generate", "x", "--melody", str(tune)])
    assert res.exit_code == 2 and "--engine musicgen" in res.output
