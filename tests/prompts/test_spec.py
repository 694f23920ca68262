from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from typing import Any

import pytest

from loopmill.engines.params import GenerationParams
from loopmill.errors import BadInputError
from loopmill.prompts import MusicSpec, parse_prompt


def _spec(**kw: Any) -> MusicSpec:
    return MusicSpec("synthwave loop", **kw)


def test_defaults() -> None:
    spec = MusicSpec("x")
    assert (spec.genre, spec.moods, spec.instruments, spec.sections) == (None, (), (), ())
    assert (spec.bpm, spec.key, spec.mode, spec.energy, spec.seed) == (None,) * 5
    assert (spec.min_duration, spec.max_duration) == (8.0, 30.0)


def test_fields_after_text_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        MusicSpec("x", "synthwave")  # type: ignore[call-arg]


def test_normalises_values() -> None:
    spec = _spec(key="f♯", mode="Minor", bpm=90, moods=["calm"], min_duration=10)
    assert (spec.key, spec.mode, spec.bpm, spec.moods) == ("F#", "minor", 90.0, ("calm",))
    assert isinstance(spec.bpm, float) and isinstance(spec.min_duration, float)
    assert _spec(key="bb").key == "Bb"
    assert _spec(key="E flat").key == "Eb"
    assert _spec(key="D", mode="minor").key_name == "D minor"
    assert _spec(key="D").key_name == "D"
    assert _spec().key_name is None


@pytest.mark.parametrize("mode", ["dorian", "phrygian", "lydian", "mixolydian", "aeolian",
                                  "ionian", "locrian", "major", "minor"])
def test_modes_accepted(mode: str) -> None:
    assert _spec(key="E", mode=mode).mode == mode


def test_round_trip() -> None:
    spec = parse_prompt(
        "Synthwave, D minor, 90 BPM, synth bass and pads, dreamy, intro and loop", seed=7
    )
    data = spec.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert MusicSpec.from_dict(data) == spec
    assert MusicSpec.from_dict(json.loads(json.dumps(data))) == spec
    assert MusicSpec.from_dict(MusicSpec("bare").to_dict()) == MusicSpec("bare")
    assert hash(spec) == hash(MusicSpec.from_dict(data))


def test_from_dict_errors() -> None:
    with pytest.raises(BadInputError, match=r"unknown MusicSpec field\(s\) 'colour'"):
        MusicSpec.from_dict({"text": "x", "colour": "red"})
    with pytest.raises(BadInputError, match="a MusicSpec needs 'text'"):
        MusicSpec.from_dict({"bpm": 90})


def test_with_overrides() -> None:
    spec = _spec(bpm=90)
    faster = spec.with_overrides(bpm=120, key="C#")
    assert (faster.bpm, faster.key, spec.bpm) == (120.0, "C#", 90.0)
    with pytest.raises(BadInputError, match="bpm 300 is out of range; use 24 to 240"):
        spec.with_overrides(bpm=300)
    with pytest.raises(BadInputError, match=r"unknown MusicSpec field\(s\) 'tempo'"):
        spec.with_overrides(tempo=100)


def test_frozen() -> None:
    spec = _spec()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.bpm = 100  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"bpm": 300}, "bpm 300 is out of range; use 24 to 240"),
        ({"bpm": 10}, "bpm 10 is out of range; use 24 to 240"),
        ({"bpm": "fast"}, "bpm 'fast' is not a number; use 24 to 240"),
        ({"bpm": float("nan")}, "bpm nan is not a finite number; use 24 to 240"),
        ({"bpm": True}, "bpm True is not a number; use 24 to 240"),
        ({"min_duration": 0.5}, "min_duration 0.5 is out of range; use 1 to 600 seconds"),
        ({"max_duration": 601}, "max_duration 601 is out of range; use 1 to 600 seconds"),
        ({"min_duration": 40},
         "min_duration 40 is longer than max_duration 30; make min_duration <= max_duration"),
        ({"energy": 1.5}, "energy 1.5 is out of range; use 0 (calm) to 1 (intense)"),
        ({"energy": -0.1}, "energy -0.1 is out of range; use 0 (calm) to 1 (intense)"),
        ({"key": "H"},
         """unknown key tonic 'H'; use A-G with an optional #/b, e.g. "D", "F#" or "Bb\""""),
        ({"key": "D minor"},
         """unknown key tonic 'D minor'; use A-G with an optional #/b, e.g. "D", "F#" or "Bb\""""),
        ({"mode": "happy"},
         "unknown mode 'happy'; use one of major, minor, ionian, dorian, phrygian, lydian, "
         "mixolydian, aeolian, locrian"),
        ({"seed": -1}, "seed -1 is not valid; use an integer >= 0"),
        ({"seed": 1.5}, "seed 1.5 is not valid; use an integer >= 0"),
        ({"genre": ""}, "genre '' is not a genre name; use e.g. 'synthwave'"),
        ({"moods": "calm"},
         "moods must be a list of words, got 'calm'; e.g. moods=['calm', 'dark']"),
        ({"instruments": ["piano", ""]}, "instruments holds ''; use non-empty words"),
    ],
)
def test_validation_messages(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(BadInputError) as info:
        _spec(**kw)
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_text_must_be_str() -> None:
    with pytest.raises(BadInputError, match="text must be a string, got 3"):
        MusicSpec(3)  # type: ignore[arg-type]


# GenerationParams


def test_params_defaults_and_dict() -> None:
    params = GenerationParams()
    assert params.to_dict() == {
        "temperature": 1.0, "top_k": 250, "top_p": 0.0, "guidance": 3.0, "extra": {},
    }
    custom = GenerationParams(temperature=0.8, top_k=0, top_p=0.9, extra={"cfg": 2})
    assert GenerationParams.from_dict(custom.to_dict()) == custom
    assert json.loads(json.dumps(custom.to_dict())) == custom.to_dict()
    assert hash(custom) == hash(GenerationParams.from_dict(custom.to_dict()))


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"temperature": 0}, "temperature 0 is out of range; use a value > 0, e.g. 1.0"),
        ({"temperature": -1.0}, "temperature -1 is out of range; use a value > 0, e.g. 1.0"),
        ({"temperature": "hot"}, "temperature 'hot' is not a number; use a value > 0, e.g. 1.0"),
        ({"top_k": -1},
         "top_k -1 is out of range; use 0 (off) or a positive integer, e.g. 250"),
        ({"top_k": 2.5},
         "top_k 2.5 is out of range; use 0 (off) or a positive integer, e.g. 250"),
        ({"top_p": 1.5}, "top_p 1.5 is out of range; use 0 (off) to 1"),
        ({"top_p": -0.1}, "top_p -0.1 is out of range; use 0 (off) to 1"),
        ({"guidance": -1}, "guidance -1 is out of range; use 0 or more, e.g. 3.0"),
        ({"extra": [1, 2]},
         "extra [1, 2] is not a mapping of option names to values; use e.g. {'cfg_coef': 3.0}"),
    ],
)
def test_params_validation(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(BadInputError) as info:
        GenerationParams(**kw)
    assert str(info.value) == message


def test_params_unknown_field() -> None:
    with pytest.raises(BadInputError, match=r"unknown GenerationParams field\(s\) 'seed'"):
        GenerationParams.from_dict({"seed": 1})


def test_params_immutable() -> None:
    source = {"cfg": 2.0}
    params = GenerationParams(extra=source)
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.temperature = 2.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        params.extra["cfg"] = 9.0  # type: ignore[index]
    with pytest.raises(TypeError):
        del params.extra["cfg"]  # type: ignore[attr-defined]
    source["cfg"] = 5.0  # the caller's dict is copied, not shared
    assert params.extra["cfg"] == 2.0
    with pytest.raises(TypeError):
        GenerationParams(0.5)  # type: ignore[call-arg]


def test_params_copy_and_pickle() -> None:
    params = GenerationParams(temperature=0.7, extra={"cfg": 2.0})
    for clone in (pickle.loads(pickle.dumps(params)), copy.deepcopy(params), copy.copy(params)):
        assert clone == params
        assert type(clone.extra).__name__ == "mappingproxy"
    changed = dataclasses.replace(params, top_k=10)
    assert changed.top_k == 10 and changed.extra == params.extra
