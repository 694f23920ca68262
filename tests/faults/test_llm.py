"""LLM faults from the fake server (stall, 500, garbage, a refused key) through ``auto``."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopmill.errors import ProviderError
from loopmill.pipeline.auto import AutoOptions, run_auto
from loopmill.prompts.providers import make_provider
from tests.prompts.fake_llm import FakeLLM


@pytest.mark.parametrize("mode,expect", [
    ("malformed", "not the expected JSON"),
    ("slow", "no answer within the 0.3 s timeout"),
    ("unauthorized", "refused the API key (HTTP 401); check llm_api_key_env NAME"),
])
def test_a_broken_llm_is_one_line_that_names_the_fix(mode: str, expect: str) -> None:
    with FakeLLM() as llm:
        llm.mode = mode
        provider = make_provider("openai", llm_base_url=llm.base_url, timeout=0.3, retries=2,
                                 backoff=0.01)
        with pytest.raises(ProviderError) as err:
            provider.batch(2)
    assert expect in str(err.value) and "\n" not in str(err.value)


@pytest.mark.slow  # worker processes and rendering; the provider-level faults above are quick
def test_a_500_then_an_answer_is_retried_and_the_run_completes(tmp_path: Path) -> None:
    with FakeLLM() as llm:
        llm.mode = "error-then-valid"
        report = run_auto(AutoOptions(count=2, workers=1, prompt_provider="openai",
                                      llm_base_url=llm.base_url, dest=str(tmp_path / "out"),
                                      catalog=str(tmp_path / "c.sqlite"), seed=2,
                                      max_duration=12.0),
                          runs_dir=tmp_path / "runs")
    assert report.ok, (report.failures, report.provider_error)
    assert len(report.made) == 2 and len(list((tmp_path / "out").glob("*.ogg"))) == 2
    assert len(llm.requests) >= 2  # the 500, then the answer
    assert all(r["auth"] is None for r in llm.requests)  # no key to a server that has none
