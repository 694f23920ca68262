"""Grammar operators offline; LLM operators through a fake OpenAI server on loopback."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from loopmill.errors import BadInputError
from loopmill.evolve.genomes import PromptGenome
from loopmill.evolve.operators import PromptSearcher, crossover_specs, mutate_spec
from loopmill.prompts import parse_prompt
from tests.prompts.fake_llm import PROMPTS, FakeLLM


def _genome() -> PromptGenome:
    return PromptGenome(parse_prompt("calm lofi with piano, 80 BPM, F major"), seed=0)


def _score(spec: Any) -> float:
    # a listener who likes fast orchestral music
    return (spec.genre == "orchestral") + (spec.bpm or 0) / 200.0


def test_grammar_operators_change_fields_and_keep_specs_valid() -> None:
    rng = np.random.default_rng(0)
    a = parse_prompt("calm lofi with piano, 80 BPM, F major")
    b = parse_prompt("tense synthwave with synth bass, 118 BPM, D minor")
    kids = [crossover_specs(a, b, rng=rng) for _ in range(20)]
    for k in kids:
        assert k.genre in ("lofi", "synthwave") and k.bpm in (80, 118)
        assert (k.key, k.mode) in (("F", "major"), ("D", "minor"))
    assert len({(k.genre, k.bpm, k.key) for k in kids}) > 2
    muts = [mutate_spec(a, rng=rng) for _ in range(30)]
    assert len({m.text for m in muts}) > 10
    assert all(m.text and len(m.text) <= 160 for m in muts)


def test_grammar_search_climbs() -> None:
    s = PromptSearcher(_genome(), popsize=8, seed=1, strategy="grammar")
    first = max(_score(p) for p in s.ask())
    for _ in range(8):
        s.tell(np.array([_score(p) for p in s.ask()]))
    assert max(_score(p) for p in s.ask()) > first


def _llm(fake: FakeLLM) -> dict[str, Any]:
    return {"base_url": fake.base_url, "model": "fake", "retries": 2, "backoff": 0.01,
            "timeout": 5.0}


@pytest.mark.parametrize("strategy", ["llm-evolve", "full-llm"])
def test_llm_operators_use_the_server_answers(strategy: str) -> None:
    with FakeLLM() as fake:
        s = PromptSearcher(_genome(), popsize=6, seed=0, strategy=strategy, llm=_llm(fake),
                           elites=1, novel=0)
        s.tell(np.arange(6.0))
        texts = {p.text for p in s.ask()}
        # the fake server always gives the same three usable prompts: once they are used,
        # an answer holds nothing new and that child falls back to grammar (counted)
        assert fake.requests and s.llm_calls > s.fallbacks
        assert texts & {p["text"] for p in PROMPTS}  # the LLM's prompts became children
        assert all(p["bpm"] != 400 for p in PROMPTS if p["text"] in texts)  # invalid dropped
        sent = fake.requests[0]["body"]["messages"][1]["content"]
        if strategy == "full-llm":
            assert "5.000:" in sent and "Write 5 new prompts" in sent  # {ranking}, {num}
        else:
            assert "- " in sent  # the parents, through {prompts}


def test_garbage_and_a_dead_server_fall_back_to_grammar() -> None:
    with FakeLLM() as fake:
        fake.mode = "malformed"
        s = PromptSearcher(_genome(), popsize=5, seed=0, strategy="llm-evolve", llm=_llm(fake),
                           novel=0)
        s.tell(np.arange(5.0))
        assert s.fallbacks == s.llm_calls > 0 and len(s.ask()) == 5
        assert "not the expected JSON" in s.fallback_reasons[0]
        url = fake.base_url
    dead = PromptSearcher(_genome(), popsize=4, seed=0, strategy="full-llm",
                          llm={"base_url": url, "model": "m", "retries": 1, "backoff": 0})
    dead.tell(np.arange(4.0))
    assert dead.fallbacks == 1 and "cannot reach" in dead.fallback_reasons[0]


def test_llm_operator_config_errors() -> None:
    with pytest.raises(BadInputError, match=r"needs LLM\.base_url"):
        PromptSearcher(_genome(), popsize=4, seed=0, strategy="llm-evolve")
    with pytest.raises(BadInputError, match=r"needs \{prompts\}"):
        PromptSearcher(_genome(), popsize=4, seed=0, operators=[{"name": "x", "prompt": "hi"}])
    with pytest.raises(BadInputError, match=r"needs \{ranking\}"):
        PromptSearcher(_genome(), popsize=4, seed=0, meta_prompt="{num_generate}")
