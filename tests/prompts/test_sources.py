"""Prompts from a file (text or JSONL) and from the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loopmill.errors import BadInputError
from loopmill.prompts.providers import make_provider
from loopmill.prompts.sources import FileProvider, ManualProvider


def test_text_file(tmp_path: Path) -> None:
    f = tmp_path / "p.txt"
    f.write_text("# my prompts\ncalm lofi, F major, 80 BPM\n\nepic orchestral, C minor\n")
    p = make_provider("file", prompt_file=f, min_duration=10, max_duration=20)
    first = p.batch(1)
    assert first[0].genre == "lofi" and first[0].bpm == 80.0 and first[0].max_duration == 20
    rest = p.batch(5)
    assert [s.genre for s in rest] == ["orchestral"]
    assert p.batch(5) == []


def test_jsonl_file_and_bad_lines(tmp_path: Path) -> None:
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps({"text": "dark ambient", "bpm": 60, "key": "E"}) + "\n")
    (spec,) = FileProvider(f).batch(3)
    assert spec.bpm == 60.0 and spec.key == "E" and spec.text == "dark ambient"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": "x", "bpm": 999}\n')
    with pytest.raises(BadInputError, match=r"bad\.jsonl:2: .*bpm 999"):
        FileProvider(bad)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "ok"\n')
    with pytest.raises(BadInputError, match=r"broken\.jsonl:1: not JSON"):
        FileProvider(broken)
    with pytest.raises(BadInputError, match="does not exist"):
        FileProvider(tmp_path / "nope.txt")
    with pytest.raises(BadInputError, match="needs a prompt_file"):
        make_provider("file")
    with pytest.raises(BadInputError, match="unknown prompt_provider 'gpt'"):
        make_provider("gpt")


def test_manual_provider_reads_until_an_empty_line() -> None:
    typed = iter(["happy chiptune, 140 BPM", ""])
    p = ManualProvider(input_fn=lambda _: next(typed))
    (spec,) = p.batch(4)
    assert spec.genre == "chiptune" and spec.bpm == 140.0
    assert p.batch(4) == [] and p.batch(4) == []

    def eof(_: str) -> str:
        raise EOFError

    assert ManualProvider(input_fn=eof).batch(1) == []
