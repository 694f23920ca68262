"""Where an API key travels: OpenAI's key to OpenAI only, a named key to its server."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from loopmill.errors import ProviderError
from loopmill.pipeline.auto import AutoOptions, run_auto
from loopmill.prompts.llm import api_key_for, key_warnings
from loopmill.prompts.providers import make_provider
from tests.prompts.fake_llm import FakeLLM


def test_openai_key_goes_only_to_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    assert api_key_for("https://api.openai.com/v1") == "sk-secret"
    for url in ("http://api.openai.com/v1", "https://api.openai.com.evil.example/v1",
                "https://llm.example.com/v1", "http://127.0.0.1:8000/v1"):
        assert api_key_for(url) is None, url
    monkeypatch.setenv("MY_LLM_KEY", "k-local")
    assert api_key_for("https://llm.example.com/v1", key_env="MY_LLM_KEY") == "k-local"
    with pytest.raises(ProviderError, match=r"NOPE_KEY .* is not set"):
        api_key_for("https://llm.example.com/v1", key_env="NOPE_KEY")


def test_plain_http_to_a_remote_host_is_warned_about() -> None:
    assert key_warnings("http://llm.example.com/v1", "k") and "plain http" in key_warnings(
        "http://llm.example.com/v1", "k")[0]
    assert key_warnings("http://127.0.0.1:8000/v1", "k") == []
    assert key_warnings("http://localhost:8000/v1", "k") == []
    assert key_warnings("https://llm.example.com/v1", "k") == []
    assert key_warnings("http://llm.example.com/v1", None) == []


def test_the_fake_server_sees_no_openai_key_unless_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("LOCAL_KEY", "k-local")
    with FakeLLM() as llm:
        make_provider("openai", llm_base_url=llm.base_url, backoff=0.01).batch(2)
        make_provider("openai", llm_base_url=llm.base_url, llm_api_key_env="LOCAL_KEY",
                      backoff=0.01).batch(2)
    assert [r["auth"] for r in llm.requests] == [None, "Bearer k-local"]


def test_auto_warns_before_sending_a_key_over_plain_http(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMOTE_KEY", "k-remote")
    seen: list[str] = []
    opts = AutoOptions(count=1, prompt_provider="openai", dest=str(tmp_path / "out"),
                       catalog=str(tmp_path / "c.sqlite"), llm_base_url="http://llm.invalid/v1",
                       llm_api_key_env="REMOTE_KEY", seed=1)
    stop = threading.Event()
    stop.set()  # stopped before it starts: the warning comes, no request is ever sent
    report = run_auto(opts, runs_dir=tmp_path / "runs", on_warning=seen.append, stop=stop)
    assert seen and "plain http to llm.invalid" in seen[0]
    assert report.warnings == seen
    with pytest.raises(ProviderError, match="UNSET_KEY"):
        run_auto(AutoOptions(**{**opts.to_dict(), "formats": ("ogg",),
                                "llm_api_key_env": "UNSET_KEY"}), runs_dir=tmp_path / "runs")
