from __future__ import annotations

import pytest

from loopmill.errors import BadInputError
from loopmill.prompts import GENRES, INSTRUMENTS, MOODS, parse_key, parse_prompt
from loopmill.prompts.vocab import (
    GENRE_ALIASES,
    INSTRUMENT_ALIASES,
    MOOD_ALIASES,
    SECTION_ALIASES,
)

TYDUST = (
    "Synthwave 80s retro space exploration music, D minor key, 90 BPM, warm analog synth "
    "bass, soft 80s drum machine, mysterious and contemplative"
)


def test_example_prompt() -> None:
    spec = parse_prompt(TYDUST)
    assert spec.text == TYDUST
    assert (spec.genre, spec.key, spec.mode, spec.bpm) == ("synthwave", "D", "minor", 90.0)
    assert {"synth bass", "drum machine"} <= set(spec.instruments)
    assert "drums" not in spec.instruments and "bass" not in spec.instruments
    assert {"mysterious", "contemplative"} <= set(spec.moods)
    assert spec.energy is not None and spec.energy < 0.5  # "soft"
    assert (spec.min_duration, spec.max_duration, spec.seed) == (8.0, 30.0, None)


# (prompt, genre, key, mode, bpm)
TABLE = [
    (TYDUST, "synthwave", "D", "minor", 90),
    ("Retrowave outrun night drive, Am, 100bpm", "synthwave", "A", "minor", 100),
    ("lo-fi hip hop beat, Bb major, tempo 85", "lofi", "Bb", "major", 85),
    ("Chillhop study session in F, 78 BPM", "lofi", "F", None, 78),
    ("LoFi rainy day, key of E♭", "lofi", "Eb", None, None),
    ("dark ambient drone, C# minor key, very slow", "ambient", "C#", "minor", 60),
    ("8-bit chiptune boss battle, E minor, 160 bpm", "chiptune", "E", "minor", 160),
    ("NES style overworld theme in G, fast", "chiptune", "G", None, 140),
    ("Gameboy dungeon, F♯ dorian, at 120 beats per minute", "chiptune", "F#", "dorian", 120),
    ("epic orchestral film score, D min, 72 BPM", "orchestral", "D", "minor", 72),
    ("cinematic trailer music, C major, moderate", "orchestral", "C", "major", 100),
    ("Symphonic fantasy theme, key: Ab major", "orchestral", "Ab", "major", None),
    ("deep house groove, G minor, 124bpm", "house", "G", "minor", 124),
    ("Techno warehouse, 130 BPM, Fm", "house", "F", "minor", 130),
    ("EDM festival drop, upbeat, B flat minor", "house", "Bb", "minor", 140),
    ("guitar rock anthem in E, 140 bpm", "rock", "E", None, 140),
    ("Punk, fast, A major", "rock", "A", "major", 140),
    ("heavy metal riff, D phrygian, tempo: 180", "metal", "D", "phrygian", 180),
    ("smooth jazz lounge, Eb major, 95 bpm", "jazz", "Eb", "major", 95),
    ("bossa nova, A minor, 120-130 bpm", "jazz", "A", "minor", 125),
    ("Swing band in Bb, 160bpm", "jazz", "Bb", None, 160),
    ("atmospheric synthwave, E mixolydian", "synthwave", "E", "mixolydian", None),
    ("a calm track", None, None, None, None),
    ("something in a minor key for a rainy day", None, None, "minor", None),
    ("a minor, slow piano", None, "A", "minor", 70),
    ("Be happy, play a dorian melody", None, None, "dorian", None),
    ("80's synth, C♯m, 110 BPM", "synthwave", "C#", "minor", 110),
    ("synthwave, G lydian, 92.5 bpm", "synthwave", "G", "lydian", 92.5),
    ("electronic dance music at bpm 128 in D", "house", "D", None, 128),
]


@pytest.mark.parametrize(("prompt", "genre", "key", "mode", "bpm"), TABLE)
def test_table(
    prompt: str, genre: str | None, key: str | None, mode: str | None, bpm: float | None
) -> None:
    spec = parse_prompt(prompt)
    assert (spec.genre, spec.key, spec.mode, spec.bpm) == (genre, key, mode, bpm)


def test_table_is_large_enough() -> None:
    assert len(TABLE) >= 20


@pytest.mark.parametrize(
    "prompt",
    ["a calm track", "A calm track", "be bold", "an epic piece", "make a loop", "a b c d",
     "in a dark forest", "ambient, a e s t h e t i c", "deep house, add a bass",
     "Am I dreaming?", "Title: In A Dark Place", "e.g. minor chords"],
)
def test_no_false_keys(prompt: str) -> None:
    assert parse_prompt(prompt).key is None


@pytest.mark.parametrize(
    ("prompt", "key", "mode"),
    [
        ("D minor", "D", "minor"), ("Dm", "D", "minor"), ("D min", "D", "minor"),
        ("key of F#", "F#", None), ("Bb major", "Bb", "major"), ("C# minor key", "C#", "minor"),
        ("in A", "A", None), ("in A, slow", "A", None), ("E dorian", "E", "dorian"),
        ("F♯ minor", "F#", "minor"), ("B♭ major", "Bb", "major"), ("Ebm", "Eb", "minor"),
        ("C sharp minor", "C#", "minor"), ("D-flat major", "Db", "major"),
        ("G major scale", "G", "major"), ("B key", "B", None), ("Key Of C", "C", None),
        ("Cmaj", "C", "major"), ("a minor.", "A", "minor"), ("A locrian", "A", "locrian"),
        ("Am, 90 bpm", "A", "minor"), ("a minor 90 bpm", "A", "minor"),
    ],
)
def test_key_forms(prompt: str, key: str, mode: str | None) -> None:
    spec = parse_prompt(f"ambient pad, {prompt}")
    assert (spec.key, spec.mode) == (key, mode)


def test_mode_without_tonic() -> None:
    assert parse_prompt("sad piano in a minor key").mode == "minor"
    assert parse_prompt("sad piano in a minor key").key is None
    assert parse_prompt("lydian pads").mode == "lydian"
    assert parse_prompt("minor chords").mode is None  # "minor" alone is too vague


@pytest.mark.parametrize(
    ("prompt", "bpm"),
    [("90 BPM", 90), ("90bpm", 90), ("90-bpm", 90), ("tempo 120", 120), ("Tempo: 100", 100),
     ("at 128 beats per minute", 128), ("bpm=75", 75), ("slow", 70), ("moderate", 100),
     ("fast", 140), ("upbeat", 140), ("fast, 100 bpm", 100), ("no tempo here", None),
     ("16-bit, 8 bars", None)],
)
def test_tempo(prompt: str, bpm: float | None) -> None:
    assert parse_prompt(prompt).bpm == bpm


def test_prompt_tempo_out_of_range() -> None:
    with pytest.raises(BadInputError) as info:
        parse_prompt("hardcore at 300 bpm")
    assert str(info.value) == "the prompt's tempo 300 is out of range; use 24 to 240"
    assert parse_prompt("hardcore at 300 bpm", bpm=180).bpm == 180  # the flag wins


def test_energy_words() -> None:
    assert parse_prompt("gentle chill piano").energy == 0.25
    high = parse_prompt("driving intense techno").energy
    assert high is not None and high > 0.75
    mixed = parse_prompt("soft but driving").energy
    assert mixed is not None and 0.4 < mixed < 0.6
    assert parse_prompt("piano").energy is None
    assert parse_prompt("soft piano", energy=0.9).energy == 0.9


def test_genre_aliases_and_priority() -> None:
    for canonical, aliases in GENRE_ALIASES.items():
        for alias in aliases:
            assert parse_prompt(f"some {alias.upper()} music").genre == canonical, alias
    assert parse_prompt("LO-FI Hip-Hop").genre == "lofi"
    assert parse_prompt("jazz-rock").genre == "jazz"  # the first one named
    assert parse_prompt("cinematic chiptune").genre == "chiptune"  # weak alias loses
    assert parse_prompt("cinematic").genre == "orchestral"
    assert GENRES == ("synthwave", "lofi", "ambient", "chiptune", "orchestral", "house",
                      "rock", "jazz", "fantasy", "horror", "dnb", "trap", "metal", "world")
    from loopmill.engines.composer.genres import STYLES

    assert set(GENRES) == set(STYLES)  # the parser names every genre the composer plays


def test_moods() -> None:
    spec = parse_prompt("Serene, dreamy and slightly melancholy; then TRIUMPHANT! heroic")
    assert spec.moods == ("peaceful", "dreamy", "melancholic", "triumphant", "epic")
    assert set(MOOD_ALIASES) == set(MOODS) and len(MOODS) == 15


def test_instruments_multi_word_first() -> None:
    spec = parse_prompt(
        "Rhodes electric piano, bass guitar, drum machine, 808s, hi-hats, kick drum, "
        "snare, arps, lush pads, string section, saxophone, and a pluck"
    )
    assert spec.instruments == (
        "electric piano", "bass guitar", "drum machine", "808", "hi-hat", "kick", "snare",
        "arpeggio", "pad", "strings", "sax", "pluck",
    )
    assert parse_prompt("live drums and piano").instruments == ("drums", "piano")


def test_vocabularies_unambiguous() -> None:
    for table in (GENRE_ALIASES, MOOD_ALIASES, INSTRUMENT_ALIASES, SECTION_ALIASES):
        aliases = [a for values in table.values() for a in values]
        assert len(aliases) == len(set(aliases))
        assert all(a == " ".join(a.lower().split()) for a in aliases)
    assert "synth bass" in INSTRUMENTS and "drum machine" in INSTRUMENTS


def test_sections() -> None:
    spec = parse_prompt("intro, then a build-up, the drop, a breakdown, outro; verse/chorus")
    assert spec.sections == ("intro", "build", "drop", "breakdown", "outro", "verse", "chorus")
    assert parse_prompt("seamless loop").sections == ("loop",)


def test_unknown_words_kept() -> None:
    text = "Quantum flibbertigibbet vaporous noodles"
    spec = parse_prompt(text)
    assert spec.text == text
    assert (spec.genre, spec.moods, spec.instruments, spec.key, spec.bpm) == (
        None, (), (), None, None,
    )


def test_overrides_win() -> None:
    spec = parse_prompt(
        TYDUST, bpm=120, key="F# major", genre="Lo-Fi", moods="happy, Joyful, weird",
        instruments=["Rhodes", "kazoo"], sections=["drop"], energy=0.9, min_duration=10,
        max_duration=20, seed=42,
    )
    assert (spec.bpm, spec.key, spec.mode, spec.genre) == (120.0, "F#", "major", "lofi")
    assert spec.moods == ("happy", "weird")
    assert spec.instruments == ("electric piano", "kazoo")
    assert (spec.sections, spec.energy) == (("drop",), 0.9)
    assert (spec.min_duration, spec.max_duration, spec.seed) == (10.0, 20.0, 42)
    assert spec.text == TYDUST


def test_key_and_mode_overrides() -> None:
    assert (parse_prompt(TYDUST, key="E").key, parse_prompt(TYDUST, key="E").mode) == (
        "E", "minor",  # a key without a mode keeps the text's mode
    )
    spec = parse_prompt(TYDUST, mode="Dorian")
    assert (spec.key, spec.mode) == ("D", "dorian")
    spec = parse_prompt(TYDUST, key="Bbm", mode="maj")
    assert (spec.key, spec.mode) == ("Bb", "major")
    assert parse_prompt("jazz", genre="vaporwave").genre == "vaporwave"


def test_parse_key() -> None:
    assert parse_key("D minor") == ("D", "minor")
    assert parse_key(" f# ") == ("F#", None)
    assert parse_key("Bbm") == ("Bb", "minor")
    assert parse_key("E♭ major key") == ("Eb", "major")
    assert parse_key("c sharp dorian") == ("C#", "dorian")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"bpm": 300}, "bpm 300 is out of range; use 24 to 240"),
        ({"bpm": "x"}, "bpm 'x' is not a number; use 24 to 240"),
        ({"key": "H minor"},
         """unknown key 'H minor'; use a tonic A-G with #/b and major/minor, e.g. "D minor\""""),
        ({"key": "D mayor"},
         """unknown key 'D mayor'; use a tonic A-G with #/b and major/minor, e.g. "D minor\""""),
        ({"mode": "happy"},
         "mode 'happy' is not a mode; use one of major, minor, ionian, dorian, phrygian, "
         "lydian, mixolydian, aeolian, locrian"),
        ({"energy": 2}, "energy 2 is out of range; use 0 (calm) to 1 (intense)"),
        ({"min_duration": 0}, "min_duration 0 is out of range; use 1 to 600 seconds"),
        ({"max_duration": 1000}, "max_duration 1000 is out of range; use 1 to 600 seconds"),
        ({"min_duration": 20, "max_duration": 10},
         "min_duration 20 is longer than max_duration 10; "
         "give a min duration <= the max duration"),
        ({"min_duration": 40},
         "min_duration 40 is longer than the default max duration 30; "
         "give a min duration <= the max duration"),
        ({"seed": -3}, "seed -3 is not valid; use an integer >= 0"),
        ({"genre": " "}, "genre ' ' is empty; use e.g. 'synthwave'"),
        ({"moods": [1]}, "moods [1] is not a list of words; use e.g. 'calm, dark'"),
    ],
)
def test_override_errors(kw: dict[str, object], message: str) -> None:
    """A Python caller reads the parameter it passed (``bpm``), never a flag."""
    with pytest.raises(BadInputError) as info:
        parse_prompt("synthwave", **kw)  # type: ignore[arg-type]
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("kw", "cli"),
    [
        ({"bpm": 300}, "--bpm 300 is out of range; use 24 to 240"),
        ({"min_duration": 20, "max_duration": 10},
         "--min-duration 20 is longer than --max-duration 10; "
         "give a min duration <= the max duration"),
        ({"min_duration": 40},
         "--min-duration 40 is longer than the default max duration 30; "
         "give a min duration <= the max duration"),
        ({"seed": -3}, "--seed -3 is not valid; use an integer >= 0"),
        ({"genre": " "}, "--genre ' ' is empty; use e.g. 'synthwave'"),
        ({"energy": 2}, "energy 2 is out of range; use 0 (calm) to 1 (intense)"),  # no flag
    ],
)
def test_override_errors_name_the_flags_on_the_command_line(kw: dict[str, object],
                                                            cli: str) -> None:
    from loopmill.cli._flags import cli_message

    with pytest.raises(BadInputError) as info:
        parse_prompt("synthwave", **kw)  # type: ignore[arg-type]
    assert cli_message(info.value) == cli


def test_the_prompts_own_tempo_declares_no_field() -> None:
    with pytest.raises(BadInputError, match="the prompt's tempo 500 is out of range") as info:
        parse_prompt("synthwave at 500 BPM")
    assert info.value.fields == ()


def test_unknown_override_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse_prompt("x", tempo=90)  # type: ignore[call-arg]


def test_text_must_be_str() -> None:
    with pytest.raises(BadInputError, match="the prompt must be text"):
        parse_prompt(None)  # type: ignore[arg-type]
