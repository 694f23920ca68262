"""The offline template grammar: audio_loop_gen's rules, seedable, steerable, unique."""

from __future__ import annotations

import statistics

from loopmill.prompts.template import MAX_CHARS, TemplateProvider
from loopmill.prompts.vocab import GENRES


def test_rules_hold_over_200_prompts() -> None:
    specs = TemplateProvider(seed=1).batch(200)
    assert len(specs) == 200
    assert len({s.text for s in specs}) == 200
    bpms = [s.bpm for s in specs]
    assert all(s.bpm is not None and 30 <= s.bpm <= 150 for s in specs)
    assert sum(50 <= b <= 120 for b in bpms if b is not None) >= 0.7 * 200
    for s in specs:
        assert len(s.text) <= MAX_CHARS
        assert s.genre in GENRES
        assert 2 <= len(s.instruments) <= 3
        assert s.key is not None and s.mode in ("major", "minor")
        assert f"{s.bpm:g} BPM" in s.text
        melody = s.text.split(", ")[1].split()
        assert 3 <= len(melody) <= 6, s.text


def test_seeded_and_never_repeating() -> None:
    a = [s.text for s in TemplateProvider(seed=5).batch(30)]
    b = [s.text for s in TemplateProvider(seed=5).batch(30)]
    c = [s.text for s in TemplateProvider(seed=6).batch(30)]
    assert a == b and a != c
    p = TemplateProvider(seed=5)
    first, second = p.batch(10), p.batch(10)
    assert not {s.text for s in first} & {s.text for s in second}


def test_use_case_steers_mood_and_tempo() -> None:
    horror = TemplateProvider(seed=2, use_case="horror game").batch(100)
    racing = TemplateProvider(seed=2, use_case="racing game").batch(100)
    assert statistics.median(s.bpm or 0 for s in horror) + 30 < statistics.median(
        s.bpm or 0 for s in racing)
    dark = sum(bool({"dark", "tense"} & set(s.moods)) for s in horror)
    assert dark > 2 * sum(bool({"dark", "tense"} & set(s.moods)) for s in racing)
    assert all("for a horror game" in s.text for s in horror[:20])
    unknown = TemplateProvider(seed=2, use_case="knitting tutorial").batch(5)
    assert len(unknown) == 5 and "knitting tutorial" in unknown[0].text
