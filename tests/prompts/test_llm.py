"""The OpenAI-compatible provider against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from loopmill.errors import ProviderError
from loopmill.prompts.llm import OpenAIProvider
from loopmill.prompts.providers import make_provider
from tests.prompts.fake_llm import FakeLLM


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def _provider(url: str, **kw: object) -> OpenAIProvider:
    opts: dict[str, object] = {"base_url": url, "model": "tiny", "timeout": 2.0,
                               "retries": 3, "backoff": 0.01}
    opts.update(kw)
    return OpenAIProvider(**opts)  # type: ignore[arg-type]


def test_valid_answer_becomes_specs_and_the_request_is_right(llm: FakeLLM) -> None:
    specs = _provider(llm.base_url, api_key="sk-test", use_case="space shooter").batch(3)
    assert [s.genre for s in specs] == ["lofi", "synthwave", "orchestral"]  # bpm 400 dropped
    assert [s.bpm for s in specs] == [80.0, 118.0, 96.0]
    assert specs[1].key == "D" and specs[1].mode == "minor"
    req = llm.requests[0]
    assert req["path"] == "/v1/chat/completions"
    assert req["body"]["model"] == "tiny"
    assert req["body"]["response_format"] == {"type": "json_object"}
    assert "space shooter" in req["body"]["messages"][-1]["content"]
    assert req["auth"] == "Bearer sk-test"


def test_fenced_json_is_accepted_and_duplicates_are_dropped(llm: FakeLLM) -> None:
    llm.mode = "fenced"
    p = _provider(llm.base_url)
    assert len(p.batch(5)) == 3
    assert llm.requests[0]["auth"] is None  # a local server needs no key
    # the same answer again holds nothing new: retried, then a clear error
    with pytest.raises(ProviderError, match="no usable prompts in 3 attempts"):
        p.batch(5)


def test_malformed_answers_fail_after_the_retries(llm: FakeLLM) -> None:
    llm.mode = "malformed"
    msg = r"not the expected JSON.*in 3 attempts; try another llm_model"
    with pytest.raises(ProviderError, match=msg):
        _provider(llm.base_url).batch(2)
    assert len(llm.requests) == 3


def test_a_server_error_is_retried(llm: FakeLLM) -> None:
    llm.mode = "error-then-valid"
    assert len(_provider(llm.base_url).batch(2)) == 2
    assert len(llm.requests) == 2


def test_a_slow_server_times_out_quickly(llm: FakeLLM) -> None:
    llm.mode = "slow"
    t = time.monotonic()
    with pytest.raises(ProviderError, match=r"no answer within the 0\.3 s timeout"):
        _provider(llm.base_url, timeout=0.3, retries=2).batch(2)
    assert time.monotonic() - t < 3.0


def test_a_rejected_key_fails_at_once(llm: FakeLLM) -> None:
    llm.mode = "unauthorized"
    with pytest.raises(ProviderError, match=r"API key \(HTTP 401\); check OPENAI_API_KEY"):
        _provider(llm.base_url, api_key="wrong").batch(2)
    assert len(llm.requests) == 1


def test_nobody_listening() -> None:
    with socket.socket() as s:  # a free port, then closed: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    msg = rf"cannot reach {url}/chat/completions .*start the server or fix llm_base_url"
    with pytest.raises(ProviderError, match=msg):
        _provider(url, retries=2).batch(2)


def test_factory_defaults_and_openai_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("LOOPMILL_LLM_BASE_URL", raising=False)
    with pytest.raises(ProviderError, match="set OPENAI_API_KEY"):
        make_provider("openai")
    ollama = make_provider("ollama")
    assert isinstance(ollama, OpenAIProvider)
    assert ollama.url == "http://127.0.0.1:11434/v1/chat/completions"
    assert ollama.model == "llama3.2"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    assert make_provider("openai", llm_model="m").model == "m"  # type: ignore[attr-defined]
