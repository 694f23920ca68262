"""One home for ranges, defaults and environment variables (``loopmill.settings``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loopmill import settings
from loopmill.errors import BadInputError

SRC = Path(__file__).resolve().parents[1] / "src" / "loopmill"

#: Modules that still read the environment themselves until the pipeline core's rewrite
#: switches them to the accessors (see the settings note of issue 12); nothing else may.
_PENDING_ENV: set[str] = set()
#: Modules whose literal 8 s / 30 s defaults are switched in the same rewrite.
_PENDING_DEFAULTS: set[str] = set()


def _sources() -> dict[str, str]:
    return {p.relative_to(SRC).as_posix(): p.read_text(encoding="utf-8")
            for p in SRC.rglob("*.py")}


# --- environment ------------------------------------------------------------------------


def test_paths_follow_the_environment_at_call_time(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("LOOPMILL_CATALOG", str(tmp_path / "c.sqlite"))
    monkeypatch.setenv("LOOPMILL_RUNS", str(tmp_path / "runs"))
    assert settings.catalog_path() == tmp_path / "c.sqlite"
    assert settings.runs_dir() == tmp_path / "runs"
    from loopmill.storage.catalog import default_catalog_path

    assert default_catalog_path() == tmp_path / "c.sqlite"
    monkeypatch.delenv("LOOPMILL_CATALOG")
    monkeypatch.setenv("LOOPMILL_RUNS", "  ")  # blank is unset
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert settings.catalog_path() == tmp_path / "data" / "loopmill" / "catalog.sqlite"
    assert settings.runs_dir() == tmp_path / "data" / "loopmill" / "runs"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    from loopmill.storage.spool import spool_base

    assert spool_base() == tmp_path / "cache" / "loopmill" / "spool"


def test_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    from loopmill._threads import max_threads

    monkeypatch.delenv("LOOPMILL_THREADS", raising=False)
    assert settings.threads() is None and max_threads() == settings.THREADS
    monkeypatch.setenv("LOOPMILL_THREADS", " 3 ")
    assert settings.threads() == 3 and max_threads() == 3
    monkeypatch.setenv("LOOPMILL_THREADS", "1.5")
    with pytest.raises(BadInputError, match=r"^LOOPMILL_THREADS='1.5' is not a whole number"):
        settings.threads()
    monkeypatch.setenv("LOOPMILL_THREADS", "-2")
    with pytest.raises(BadInputError, match=r"^LOOPMILL_THREADS='-2' must be at least 1$"):
        settings.threads()


def test_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    assert not settings.hub_offline()
    assert settings.hub_endpoint() == "https://huggingface.co"
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", " Yes")
    assert settings.hub_offline()
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    assert not settings.hub_offline()
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    assert settings.hub_endpoint() == "http://127.0.0.1:9"
    from loopmill._hub import hub_reachable

    assert not hub_reachable(timeout=0.5)  # nothing listens on the discard port


def test_keys_and_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-1")
    monkeypatch.setenv("EMPTY_KEY", "")
    assert settings.api_key("MY_KEY") == "sk-1"
    assert settings.api_key("EMPTY_KEY") is None
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert settings.api_key() is None
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert settings.s3_endpoint_url() == "http://127.0.0.1:5000"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:5001")
    assert settings.s3_endpoint_url() == "http://127.0.0.1:5001"
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    assert not settings.wandb_configured()
    monkeypatch.setenv("WANDB_MODE", "offline")
    assert settings.wandb_configured()
    from loopmill.prompts.llm import OLLAMA_URL, default_base_url

    monkeypatch.delenv("LOOPMILL_LLM_BASE_URL", raising=False)
    assert default_base_url("ollama") == OLLAMA_URL
    monkeypatch.setenv("LOOPMILL_LLM_BASE_URL", "http://127.0.0.1:8000/v1")
    assert default_base_url("ollama") == "http://127.0.0.1:8000/v1"


def test_child_env_copies_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    monkeypatch.setenv("LOOPMILL_X", "1")
    env = settings.child_env(LC_ALL="C")
    assert env["LC_ALL"] == "C" and env["LOOPMILL_X"] == "1"
    import os

    assert os.environ["LC_ALL"] == "de_DE.UTF-8"  # this process's own is untouched


def test_every_variable_read_is_listed_and_only_settings_reads_them() -> None:
    text = (SRC / "settings.py").read_text(encoding="utf-8")
    accessors = text.split("def _env(", 1)[1]  # every function that reads a variable
    read = set(re.findall(r'"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"', accessors))
    assert {"LOOPMILL_THREADS", "HF_HUB_OFFLINE", "AWS_ENDPOINT_URL"} <= read
    assert read <= set(settings.ENVIRONMENT), read - set(settings.ENVIRONMENT)
    for name in settings.ENVIRONMENT:  # and nothing listed that is never read
        assert f'"{name}"' in text, name
    readers = {name for name, src in _sources().items()
               if name != "settings.py" and re.search(r"os\.environ|getenv\(", src)}
    assert readers <= _PENDING_ENV, f"read the environment through loopmill.settings: {readers}"


# --- ranges and defaults ----------------------------------------------------------------


def test_one_range_per_concept() -> None:
    from loopmill.pipeline.generate import make_spec
    from loopmill.prompts.spec import MusicSpec

    assert settings.span(settings.BPM_RANGE) == "24 to 240"
    with pytest.raises(BadInputError, match=r"^bpm 241 is out of range; use 24 to 240$"):
        MusicSpec("", bpm=241)
    # generated loops: 8..128 s, whatever the entry point
    with pytest.raises(BadInputError, match=r"4 is out of range; use 8 to 128 seconds"):
        make_spec("", min_duration=4)
    with pytest.raises(BadInputError, match=r"200 is out of range; use 8 to 128 seconds"):
        make_spec("", max_duration=200)
    # a spec may ask an engine for a short render (evolve's candidates), not a long one
    assert MusicSpec("", min_duration=1, max_duration=2).max_duration == 2
    with pytest.raises(BadInputError, match=r"0.5 is out of range; use 1 to 600 seconds"):
        MusicSpec("", min_duration=0.5)
    lo, hi = settings.RENDER_DURATION_RANGE
    assert lo <= settings.DURATION_RANGE[0] and settings.DURATION_RANGE[1] <= hi
    assert settings.DURATION_RANGE[0] <= settings.MIN_DURATION <= settings.MAX_DURATION \
        <= settings.DURATION_RANGE[1]
    # a user's track is stretched over a wider tempo range
    from loopmill.loops.make import check_options

    check_options(min_duration=None, max_duration=10, bpm=300, bars=None)
    with pytest.raises(BadInputError, match=r"301 is out of range; use 20 to 300$"):
        check_options(min_duration=None, max_duration=10, bpm=301, bars=None)


def test_defaults_come_from_settings() -> None:
    from loopmill.engines.params import GenerationParams
    from loopmill.pipeline.loop_files import LoopOptions
    from loopmill.prompts import parse_prompt
    from loopmill.prompts.providers import make_provider
    from loopmill.prompts.spec import MusicSpec

    spec = MusicSpec("")
    assert (spec.min_duration, spec.max_duration) == (settings.MIN_DURATION,
                                                      settings.MAX_DURATION)
    parsed = parse_prompt("calm lofi")
    assert (parsed.min_duration, parsed.max_duration) == (8.0, 30.0)
    (made,) = make_provider(seed=1).batch(1)
    assert (made.min_duration, made.max_duration) == (8.0, 30.0)
    p = GenerationParams()
    assert (p.temperature, p.top_k, p.top_p, p.guidance) == (
        settings.TEMPERATURE, settings.TOP_K, settings.TOP_P, settings.GUIDANCE)
    opts = LoopOptions()
    assert (opts.format, opts.max_duration, opts.max_input_duration) == (
        "wav", settings.TRACK_MAX_DURATION, settings.MAX_INPUT_DURATION)


def test_duration_defaults_are_not_written_again() -> None:
    literal = re.compile(r"(?:min|max)_duration\b[^=\n]*=\s*(?:8|30)(?:\.0)?\b")
    again = {name for name, src in _sources().items()
             if name != "settings.py" and literal.search(src)}
    assert again <= _PENDING_DEFAULTS, f"use settings.MIN_DURATION / MAX_DURATION in {again}"


def test_training_settings_are_declared_once() -> None:
    from dataclasses import fields

    from typer.main import get_command

    from loopmill.cli.main import app
    from loopmill.training.run_config import _Train
    from loopmill.training.train import TrainOptions

    defaults = TrainOptions()
    assert set(_Train.model_fields) == {f.name for f in fields(TrainOptions)}
    train = get_command(app).commands["train"]  # type: ignore[attr-defined]
    for kind in ("samplernn", "lstm"):
        params = {p.name: p.default for p in train.commands[kind].params}
        shared = {f.name for f in fields(TrainOptions)} & set(params)
        assert {"batch_size", "lr", "epochs", "seed", "device"} <= shared
        for name in shared:
            assert params[name] == getattr(defaults, name), (kind, name)


def test_the_readme_lists_every_variable() -> None:
    readme = (SRC.parents[1] / "README.md").read_text(encoding="utf-8")
    assert [name for name in settings.ENVIRONMENT if f"`{name}`" not in readme] == []
