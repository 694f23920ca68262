"""One error, two readers: a Python caller reads the field it passed (``bpm``), the
command line reads the flag it typed (``--bpm``), for messages across the library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from loopmill.cli.main import app
from loopmill.errors import BadInputError, LoopmillError

runner = CliRunner()


def _error(args: list[str]) -> str:
    """The one ``error:`` line the command printed (it must fail with exit code 2)."""
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1, res.output
    return lines[0][len("error: "):]


def _library(exc: type[LoopmillError], fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    text = str(info.value)
    assert "--" not in text, text  # never a flag the Python caller did not type
    return text


@pytest.fixture
def track(tmp_path: Path) -> Path:
    path = tmp_path / "t.wav"
    sf.write(path, np.zeros((44100 * 3, 2), np.float32), 44100)
    return path


def test_prompt_override(tmp_path: Path) -> None:
    from loopmill.prompts import parse_prompt

    assert _library(BadInputError, parse_prompt, "x", bpm=500) == (
        "bpm 500 is out of range; use 24 to 240")
    assert _error(["generate", "x", "--bpm", "500", "--dest", str(tmp_path / "o")]) == (
        "--bpm 500 is out of range; use 24 to 240")


def test_loop_durations_and_tempo(tmp_path: Path, track: Path) -> None:
    from loopmill.loops.make import check_options

    lib = _library(BadInputError, check_options, min_duration=20, max_duration=10, bpm=None,
                   bars=None)
    assert lib.startswith("min_duration 20 s is greater than max_duration 10 s;")
    cli = _error(["loop", str(track), "--min-duration", "20", "--max-duration", "10",
                  "--dest", str(tmp_path / "o")])
    assert cli.startswith("--min-duration 20 s is greater than --max-duration 10 s;")
    assert _library(BadInputError, check_options, min_duration=None, max_duration=60,
                    bpm=500, bars=None) == "bpm 500 is out of range; use 20 to 300"
    assert _error(["loop", str(track), "--bpm", "500", "--dest", str(tmp_path / "o")]) == (
        "--bpm 500 is out of range; use 20 to 300")


def test_catalog_date_filter(tmp_path: Path) -> None:
    from loopmill.storage.catalog import Catalog

    with Catalog(tmp_path / "c.sqlite") as cat:
        lib = _library(BadInputError, cat.query, since="yesterday")
    assert lib == "since 'yesterday' is not a date; write it as 2026-11-22"
    assert _error(["catalog", "list", "--since", "yesterday", "--catalog",
                   str(tmp_path / "c.sqlite")]) == "--" + lib


def test_dataset_settings(tmp_path: Path) -> None:
    from loopmill.training.dataset import prepare_dataset

    (tmp_path / "src").mkdir()
    lib = _library(BadInputError, prepare_dataset, [tmp_path / "src"], out=tmp_path / "ds",
                   silence_db=float("inf"))
    assert lib == "silence_db inf must be a number of dBFS, e.g. -64"
    assert _error(["dataset", "prepare", str(tmp_path / "src"), "--out", str(tmp_path / "ds"),
                   "--overlap", "1"]) == "--overlap 1 must be in [0, 1), e.g. 0.5"


def test_composer_genre(tmp_path: Path) -> None:
    from loopmill.engines.composer.engine import ComposerEngine
    from loopmill.prompts import parse_prompt

    lib = _library(BadInputError, ComposerEngine().check_spec, parse_prompt("x", genre="polka"))
    assert lib.endswith("(or engine musicgen for any genre)")
    cli = _error(["generate", "x", "--genre", "polka", "--dest", str(tmp_path / "o")])
    assert cli.endswith("(or --engine musicgen for any genre)")


def test_model_not_downloaded(tmp_path: Path) -> None:
    from loopmill._hub import not_available

    err = not_available("facebook/musicgen-small", why="the hub is switched off")
    assert str(err).endswith("copy the folder here and pass that folder as model")
    pytest.importorskip("transformers")
    cli = _error(["generate", "x", "--engine", "musicgen", "--dest", str(tmp_path / "o")])
    assert cli.endswith("copy the folder here and pass that folder as --model")
    assert "`hf download facebook/musicgen-small --local-dir musicgen-small`" in cli \
        or "`huggingface-cli download" in cli  # a command to run keeps its own flags


def test_inspect_prints_each_files_error_with_flags(tmp_path: Path, track: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import loopmill.cli.inspect_cmd as inspect_cmd

    def refuse(path: Path, **_: Any) -> dict[str, Any]:
        raise BadInputError(f"{path}: over the limit; raise max_input_duration",
                            field="max_input_duration")

    monkeypatch.setattr(inspect_cmd, "inspect_file", refuse)
    res = runner.invoke(app, ["inspect", str(track)])
    assert res.exit_code == 1
    assert f"error: {track}: over the limit; raise --max-input-duration" in res.output
