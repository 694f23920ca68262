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


def test_loop_options(tmp_path: Path, track: Path) -> None:
    from loopmill.pipeline.loop_files import LoopOptions, validate_options

    dest = ["--dest", str(tmp_path / "o")]
    lib = _library(BadInputError, validate_options, LoopOptions(format="xyz"))
    assert lib.startswith("unknown format 'xyz'; choose one of")
    assert _error(["loop", str(track), "--format", "xyz", *dest]).startswith(
        "unknown --format 'xyz'; choose one of")
    lib = _library(BadInputError, validate_options, LoopOptions(tag_only=True, target_lufs=-14))
    assert lib == "target_lufs changes the audio, tag_only keeps it as it is; drop one of them"
    assert _error(["loop", str(track), "--tag-only", "--loudness", "-14", *dest]) == (
        "--loudness changes the audio, --tag-only keeps it as it is; drop one of them")
    assert _library(BadInputError, validate_options, LoopOptions(tag_only=True, bpm=90)) == (
        "bpm changes the audio, tag_only keeps it as it is; drop one of them")
    assert _library(BadInputError, validate_options, LoopOptions(beats_per_bar=5)) == (
        "beats_per_bar 5 must be 3 or 4")
    assert _error(["loop", str(track), "--beats-per-bar", "5", *dest]) == (
        "--beats-per-bar 5 must be 3 or 4")


def test_sample_values(tmp_path: Path) -> None:
    from loopmill.pipeline.sample import sample_files

    ckpt = tmp_path / "none.pt"  # the values are refused before the checkpoint is read
    dest = ["--dest", str(tmp_path / "o")]
    lib = _library(BadInputError, sample_files, ckpt, format="xyz", dest=tmp_path / "o")
    assert lib.startswith("unknown format 'xyz'; choose one of")
    assert _error(["sample", str(ckpt), "--format", "xyz", *dest]).startswith(
        "unknown --format 'xyz'; choose one of")
    lib = _library(BadInputError, sample_files, ckpt, seconds=0, dest=tmp_path / "o")
    assert lib == "seconds 0, count 1 and temperature 1 must all be positive"
    assert _error(["sample", str(ckpt), "--seconds", "0", *dest]) == (
        "--seconds 0, --count 1 and --temperature 1 must all be positive")
    assert not (tmp_path / "o").exists()


def test_suite_phases_file(tmp_path: Path) -> None:
    from loopmill.pipeline.request import GenerateRequest
    from loopmill.pipeline.suite import make_suite

    missing = tmp_path / "phases.yaml"
    lib = _library(BadInputError, make_suite, GenerateRequest(dest=tmp_path / "o"),
                   use_case="x", phases_file=missing)
    assert lib.startswith(f"cannot read phases_file {missing}: ")
    assert _error(["suite", "--use-case", "x", "--phases-file", str(missing),
                   "--dest", str(tmp_path / "o")]).startswith(
        f"cannot read --phases-file {missing}: ")


def test_file_prefix(tmp_path: Path) -> None:
    from loopmill.storage.claim import check_file_prefix

    assert _library(BadInputError, check_file_prefix, " ") == (
        "file_prefix ' ' is empty; use a plain name such as 'loop'")
    assert _library(BadInputError, check_file_prefix, "a/b") == (
        "file_prefix 'a/b' must be a plain name (no / or \\, no leading dot)")
    assert _error(["generate", "x", "--file-prefix", "a/b", "--dest", str(tmp_path / "o")]) == (
        "--file-prefix 'a/b' must be a plain name (no / or \\, no leading dot)")


def test_too_long_input(tmp_path: Path, track: Path) -> None:
    from loopmill.audio import load

    lib = _library(BadInputError, load, track, max_duration=1)
    assert lib == f"{track}: is 3.0 s long, over the 1 s limit; trim it or raise max_input_duration"
    res = runner.invoke(app, ["inspect", str(track), "--max-input-duration", "1"])
    assert f"{track}: is 3.0 s long, over the 1 s limit; trim it or raise --max-input-duration" \
        in res.output, res.output


def test_variation_that_does_not_fit() -> None:
    from loopmill.engines.base import EngineOutput
    from loopmill.engines.params import GenerationParams
    from loopmill.errors import NoLoopFoundError
    from loopmill.pipeline.generate import generate, make_spec
    from loopmill.pipeline.variations import _same_length

    loop = generate("calm lofi, 80 BPM", seed=3, max_duration=12)
    head = np.ascontiguousarray(loop.audio[:, : 5 * loop.sr])  # 5 s: 4 bars of 3 s do not fit
    short = EngineOutput(audio=head, sr=loop.sr, seamless=False, bpm=loop.bpm, bars=None,
                         beats_per_bar=loop.beats_per_bar, key=loop.key, seed=4)
    with pytest.raises(NoLoopFoundError) as err:
        _same_length(short, loop, spec=make_spec("calm lofi, 80 BPM", seed=3),
                     params=GenerationParams(), engine="composer")
    text = str(err.value)
    assert "--" not in text and text.endswith("; try another seed"), text
    assert text.startswith("no 4-bar loop at 80 BPM in the continuation (no 8-bar loop fits")
    assert err.value.fields == ("seed",)  # the cut's own bars are not the request's
    from loopmill.cli._flags import cli_message

    assert cli_message(err.value) == text.replace("another seed", "another --seed")
